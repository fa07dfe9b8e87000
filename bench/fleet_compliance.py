#!/usr/bin/env python3
"""Fleet compliance benchmark: playbooks/compliance_report.yml on 1,024 hosts (issue 4, DESIGN.md "fleet
compliance at 1,000+ hosts").

Starts its own simulator on the ``fleet`` scenario (32 image-managed clusters x 32 hosts; scan duration from
the scenario x ``--time-scale``), runs ``ansible-playbook playbooks/compliance_report.yml`` against it with the
connection only in VMWARE_* variables (and the simulator's CA), as a user or AWX would, then does the same on
the ``--baseline`` scenario (``demo`` by default) in a second simulator. Every figure comes from this run:

- wall time of the report, per cluster and per host; the fixed cost of ``ansible-playbook`` itself (a
  one-task debug play, same environment) shown next to it;
- REST calls and logins per cluster from the simulator's ``/sim/counters`` (reset before each run);
- per-host wall time fleet / baseline (how the report scales with the fleet);
- wall time against its lower bound: the playbook checks ``vlcm_parallel`` clusters at a time (``--parallel``,
  default 8: async module runs, vCenter scans them in parallel), so the bound is ceil(clusters / parallel) x scan
  duration x time scale (a scan of a cluster takes one ``scan`` duration, its hosts in parallel); the same
  report with ``vlcm_parallel=1`` (one cluster at a time) is measured too, as a ratio;
- with ``--forks N`` (default 8, 0 = skip) the same compliance module once per cluster from a generated
  inventory with one entry per cluster (the DESIGN.md pattern) and ``-f N``: the parallel variant the shipped
  playbook does not offer; its bound is ceil(clusters / N) x scan x time scale.

The report's JSON (``vlcm_report_file``) is checked against ``/sim/state``: every image-managed cluster and
every host in it is in it, or the script fails.

    .venv/bin/python bench/fleet_compliance.py [--time-scale 0.01] [--forks 8] [--baseline demo] [--json PATH]

It measures, it does not assert (apart from the completeness check); not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PLAYBOOK = REPO / "playbooks" / "compliance_report.yml"
SCAN_KEY = "POST /api/esx/settings/clusters/{cluster}/software?action=scan"

NOOP_PLAY = """\
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Nothing
      ansible.builtin.debug:
        msg: fixed cost of ansible-playbook
"""

# one inventory entry per cluster (vlcm_cluster, vlcm_datacenter): forks run clusters in parallel
PER_CLUSTER_PLAY = """\
- hosts: clusters
  connection: local
  gather_facts: false
  tasks:
    - name: Check compliance of the cluster
      vsphere.lifecycle.compliance:
        cluster: "{{ vlcm_cluster }}"
        datacenter: "{{ vlcm_datacenter }}"
"""


def scan_seconds(scenario: str) -> float:
    """The scenario's ``scan`` duration (scenario seconds), as the simulator reads it."""
    import vlcmsim
    from vlcmsim.model import Durations

    path = Path(scenario) if scenario.endswith((".yml", ".yaml")) else \
        Path(vlcmsim.__file__).parent / "scenarios" / f"{scenario}.yml"
    given = (yaml.safe_load(path.read_text()) or {}).get("durations") or {}
    return float(given.get("scan", Durations().scan))


class Sim:
    """One vlcmsim (its own test helper: 127.0.0.1, a free port, a private state dir) and the run env."""

    def __init__(self, scenario: str, time_scale: float, workdir: Path) -> None:
        from vlcmsim.testing import start_simulator

        self.scenario = scenario
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.handle = start_simulator(scenario, time_scale=time_scale, state_dir=workdir / "sim", port=0,
                                      startup_timeout=120.0)
        info = self.handle.info
        self.url = info["url"].rstrip("/")
        self.ca = info["ca"]
        collections = workdir / "collections"
        link = collections / "ansible_collections" / "vsphere" / "lifecycle"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO, target_is_directory=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "ANSIBLE_"))}
        self.env = {**base, "ANSIBLE_COLLECTIONS_PATH": str(collections),
                    "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_LOCALHOST_WARNING": "false",
                    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_NOCOLOR": "1",
                    "ANSIBLE_RETRY_FILES_ENABLED": "false",
                    "ANSIBLE_HOME": str(workdir / "ansible_home"), "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
                    "VMWARE_HOST": info["host"], "VMWARE_PORT": str(info["port"]),
                    "VMWARE_USER": info["username"], "VMWARE_PASSWORD": info["password"],
                    "VMWARE_CA_PATH": self.ca, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        self.http = requests.Session()
        self.http.trust_env = False

    def admin(self, method: str, path: str) -> Any:
        response = self.http.request(method, f"{self.url}/sim/{path}", verify=self.ca, timeout=120)
        response.raise_for_status()
        return response.json() if response.content else None

    def playbook(self, path: Path, *args: str) -> float:
        """Run ansible-playbook; its wall seconds. Raises with the output's tail when it fails."""
        cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", str(path), *args]
        start = time.monotonic()
        proc = subprocess.run(cmd, env=self.env, cwd=str(self.workdir), capture_output=True, text=True,
                              timeout=7200)
        wall = time.monotonic() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed (rc {proc.returncode}):\n"
                               f"{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
        return wall

    def stop(self) -> None:
        self.handle.stop()


def api_cost(counters: dict[str, Any]) -> dict[str, Any]:
    calls = counters.get("calls", {})
    return {"rest_calls": sum(n for k, n in calls.items() if " /api/" in k),
            "soap_calls": sum(n for k, n in calls.items() if " /sdk" in k),
            "logins": sum(counters.get("logins", {}).values()),
            "scans": int(calls.get(SCAN_KEY, 0)),
            "live_sessions": sum(counters.get("live_sessions", {}).values()),
            "calls": dict(sorted(calls.items()))}


def check_report(report: dict[str, Any], state: dict[str, Any]) -> tuple[int, int]:
    """(clusters, hosts) of the report; fails unless it covers every image-managed cluster and its hosts."""
    managed = {c["name"]: c["id"] for c in state["clusters"] if c["image_managed"]}
    got = {r["target"]["name"]: r for r in report["clusters"]}
    if sorted(got) != sorted(managed):
        raise RuntimeError(f"report clusters {sorted(got)} != image-managed clusters {sorted(managed)}")
    hosts = 0
    for name, cid in managed.items():
        expected = sorted(h["name"] for h in state["hosts"] if h["cluster"] == cid)
        names = sorted(h["name"] for h in got[name]["hosts"])
        if names != expected:
            raise RuntimeError(f"report of {name}: hosts {names} != {expected}")
        hosts += len(names)
    return len(managed), hosts


def measure(scenario: str, args: argparse.Namespace, workdir: Path, *, forks: int) -> dict[str, Any]:
    sim = Sim(scenario, args.time_scale, workdir)
    try:
        noop = workdir / "noop.yml"
        noop.write_text(NOOP_PLAY)
        fixed = min(sim.playbook(noop) for _ in range(2))
        sim.admin("POST", "reset")
        out = workdir / "report.json"
        wall = sim.playbook(PLAYBOOK, "-e", json.dumps({"vlcm_report_file": str(out), "vlcm_parallel": args.parallel}))
        time.sleep(0.3)  # a logout may land a moment after ansible-playbook returns
        cost = api_cost(sim.admin("GET", "counters"))
        state = sim.admin("GET", "state")
        clusters, hosts = check_report(json.loads(out.read_text()), state)
        scan = scan_seconds(scenario) * args.time_scale
        row: dict[str, Any] = {
            "scenario": scenario, "clusters": clusters, "hosts": hosts, "wall": wall, "fixed": fixed,
            "per_cluster": wall / clusters, "per_host": wall / hosts, "scan_seconds": scan,
            "parallel_checks": args.parallel, "bound": math.ceil(clusters / args.parallel) * scan, **cost}
        if forks > 0:   # the fleet only: the same report one cluster at a time, and the per-cluster inventory
            sim.admin("POST", "reset")
            swall = sim.playbook(PLAYBOOK, "-e", json.dumps({"vlcm_parallel": 1}))
            row["sequential"] = {"wall": swall, "bound": clusters * scan}
            inventory = workdir / "clusters.yml"
            managed = [c for c in state["clusters"] if c["image_managed"]]
            dcs = {d["id"]: d["name"] for d in state.get("datacenters", [])}
            inventory.write_text(yaml.safe_dump({"clusters": {"hosts": {
                f"c{i:03}": {"vlcm_cluster": c["name"], "vlcm_datacenter": dcs.get(c["datacenter"], c["datacenter"])}
                for i, c in enumerate(managed)}}}))
            play = workdir / "per_cluster.yml"
            play.write_text(PER_CLUSTER_PLAY)
            sim.admin("POST", "reset")
            pwall = sim.playbook(play, "-i", str(inventory), "-f", str(forks))
            time.sleep(0.3)
            pcost = api_cost(sim.admin("GET", "counters"))
            row["parallel"] = {"forks": forks, "wall": pwall, "per_host": pwall / hosts,
                               "bound": math.ceil(clusters / forks) * scan, **pcost}
        return row
    finally:
        sim.stop()


def table(fleet: dict[str, Any], base: dict[str, Any], time_scale: float) -> str:
    rows: list[tuple[str, str]] = [
        ("hosts / clusters", f"{fleet['hosts']} / {fleet['clusters']}  ({base['scenario']}: "
                             f"{base['hosts']} / {base['clusters']})"),
        ("report wall time", f"{fleet['wall']:.1f} s  ({base['scenario']}: {base['wall']:.1f} s)"),
        ("  fixed cost of ansible-playbook", f"{fleet['fixed']:.1f} s (one-task debug play)"),
        ("time per cluster", f"{fleet['per_cluster']:.2f} s  ({base['scenario']}: {base['per_cluster']:.2f} s)"),
        ("time per host", f"{fleet['per_host'] * 1000:.0f} ms  ({base['scenario']}: {base['per_host'] * 1000:.0f} ms)"),
        ("per host, fleet / " + base["scenario"], f"{fleet['per_host'] / base['per_host']:.2f}"),
        ("per cluster, fleet / " + base["scenario"], f"{fleet['per_cluster'] / base['per_cluster']:.2f}"),
        ("REST calls per cluster", f"{fleet['rest_calls'] / fleet['clusters']:.1f}  ({base['scenario']}: "
                                   f"{base['rest_calls'] / base['clusters']:.1f}); SOAP calls {fleet['soap_calls']}"),
        ("logins per cluster", f"{fleet['logins'] / fleet['clusters']:.2f}  ({base['scenario']}: "
                               f"{base['logins'] / base['clusters']:.2f}); live sessions after: "
                               f"{fleet['live_sessions']}"),
        ("scans", f"{fleet['scans']} (one per cluster)"),
        (f"lower bound ({fleet['parallel_checks']} at a time)",
         f"{fleet['bound']:.1f} s = ceil({fleet['clusters']}/{fleet['parallel_checks']}) x scan "
         f"{fleet['scan_seconds'] / time_scale:.0f} s x {time_scale:g}"),
        ("wall / lower bound", f"{fleet['wall'] / fleet['bound']:.2f}  ({base['scenario']}: "
                               f"{base['wall'] / base['bound']:.2f})"),
        ("overhead per cluster above scan", f"{(fleet['wall'] - fleet['bound']) / fleet['clusters']:.2f} s"),
    ]
    q = fleet.get("sequential")
    if q:
        rows += [
            ("report, one cluster at a time", f"{q['wall']:.1f} s; lower bound {q['bound']:.1f} s; "
                                              f"wall / bound {q['wall'] / q['bound']:.2f}"),
            (f"  {fleet['parallel_checks']} at a time / one at a time", f"{fleet['wall'] / q['wall']:.2f}"),
        ]
    p = fleet.get("parallel")
    if p:
        rows += [
            (f"per-cluster inventory, -f {p['forks']}", f"{p['wall']:.1f} s, {p['per_host'] * 1000:.0f} ms per host, "
                                                        f"{fleet['wall'] / p['wall']:.2f}x faster than the report"),
            ("  its lower bound; wall / bound", f"{p['bound']:.1f} s = ceil({fleet['clusters']}/{p['forks']}) x scan; "
                                           f"{p['wall'] / p['bound']:.2f}"),
            ("  REST calls / logins per cluster", f"{p['rest_calls'] / fleet['clusters']:.1f} / "
                                                  f"{p['logins'] / fleet['clusters']:.2f}; live sessions after: "
                                                  f"{p['live_sessions']}"),
        ]
    width = max(len(k) for k, _ in rows)
    lines = [f"fleet compliance: playbooks/compliance_report.yml, scenario {fleet['scenario']}, "
             f"time scale {time_scale:g}", "-" * (width + 60)]
    lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
    lines += ["", "notes:",
              "- the report checks vlcm_parallel clusters at a time (async module runs on localhost, polled every",
              "  second); each check costs a module start + login + scan task + polls + report read + logout, so at",
              "  small time scales the controller's CPU (2 cores here), not vCenter, bounds the wall time.",
              "- each cluster is one module run: one login and one logout per cluster, plus cluster_info's.",
              "- the per-cluster inventory row is not the shipped playbook: it shows what forks buy when the",
              "  inventory entries are clusters (DESIGN.md); the simulator runs scans of different clusters at once.",
              "- wall times include module start-up on this machine; compare ratios, not seconds."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="fleet", help="the large scenario (default fleet)")
    parser.add_argument("--baseline", default="demo", help="the small scenario to compare with (default demo)")
    parser.add_argument("--time-scale", type=float, default=0.01,
                        help="simulator time scale (default 0.01: a 30 s scan takes 0.3 s)")
    parser.add_argument("--forks", type=int, default=8,
                        help="also run a per-cluster inventory with this many forks (0: skip; default 8)")
    parser.add_argument("--parallel", type=int, default=8,
                        help="the report's vlcm_parallel: clusters checked at the same time (default 8)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        base = measure(args.baseline, args, Path(tmp) / "baseline", forks=0)
        fleet = measure(args.scenario, args, Path(tmp) / "fleet", forks=args.forks)
    print(table(fleet, base, args.time_scale))
    if args.json:
        args.json.write_text(json.dumps({"fleet": fleet, "baseline": base, "time_scale": args.time_scale}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
