#!/usr/bin/env python3
"""Fleet compliance benchmark: playbooks/compliance_report.yml on 1,024 hosts (issue 4, DESIGN.md "fleet
compliance at 1,000+ hosts"; issue 10: figures that compare equal work at equal parallelism).

Starts a simulator on the ``fleet`` scenario (32 image-managed clusters x 32 hosts; scan duration from the
scenario x ``--time-scale``) and runs ``ansible-playbook playbooks/compliance_report.yml`` against it with
the connection only in VMWARE_* variables (and the simulator's CA), as a user or AWX would; then the same on
``--baseline`` (``demo``: 2 clusters x 4 hosts) in a second simulator. Every run is repeated ``--repeat``
times; walls are reported as median (min-max).

Fixed costs are not estimated and subtracted, they cancel: the cost of one more cluster is measured as the
difference between the report of all clusters and the report of one cluster (``vlcm_clusters``), at the same
parallelism, so ansible-playbook's start-up, the discovery (``cluster_info``), the summary and writing the
report file (per run, not per cluster) drop out. That marginal cost per cluster is what scales:

- at ``vlcm_parallel`` = 1 on both scenarios (equal parallelism, equal work per cluster: one scan, one report
  read), fleet against baseline per cluster and per host;
- at ``vlcm_parallel`` = ``--parallel`` (default 8) on the fleet, against its lower bound scan / parallel;
- with ``--forks N`` (default 8, 0 = skip), the per-cluster inventory (the compliance module once per
  cluster, one inventory entry per cluster, ``-f N``; DESIGN.md's pattern) measured the same way (all
  clusters minus one cluster, at N at a time), so it compares with the report at equal work and parallelism.

REST calls and logins per cluster come from ``/sim/counters`` (reset before each run), also as marginal
counts. The report's JSON (``vlcm_report_file``) is checked against ``/sim/state`` (every image-managed
cluster and every host in it), or the script fails.

    .venv/bin/python bench/fleet_compliance.py [--time-scale 0.05] [--repeat 2] [--forks 8] [--json PATH]

It measures, it does not assert (apart from the completeness check); not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from _common import BIN, REPO, Spread, Workbench

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


def api_cost(counters: dict[str, Any]) -> dict[str, Any]:
    calls = counters.get("calls", {})
    return {"rest_calls": sum(n for k, n in calls.items() if " /api/" in k),
            "soap_calls": sum(n for k, n in calls.items() if " /sdk" in k),
            "logins": sum(counters.get("logins", {}).values()),
            "scans": int(calls.get(SCAN_KEY, 0)),
            "live_sessions": sum(counters.get("live_sessions", {}).values())}


def check_report(report: dict[str, Any], state: dict[str, Any], names: list[str]) -> int:
    """Hosts in the report; fails unless it covers exactly the clusters ``names`` and every host in them."""
    managed = {c["name"]: c["id"] for c in state["clusters"] if c["image_managed"] and c["name"] in names}
    got = {r["target"]["name"]: r for r in report["clusters"]}
    if sorted(got) != sorted(managed):
        raise RuntimeError(f"report clusters {sorted(got)} != {sorted(managed)}")
    hosts = 0
    for name, cid in managed.items():
        expected = sorted(h["name"] for h in state["hosts"] if h["cluster"] == cid)
        listed = sorted(h["name"] for h in got[name]["hosts"])
        if listed != expected:
            raise RuntimeError(f"report of {name}: hosts {listed} != {expected}")
        hosts += len(listed)
    return hosts


class Scenario:
    """The runs on one scenario, each repeated: walls (list per run kind) and API cost of the last run."""

    def __init__(self, name: str, args: argparse.Namespace, workdir: Path) -> None:
        self.name = name
        self.args = args
        self.bench = Workbench(name, args.time_scale, workdir)
        self.workdir = workdir
        state = self.bench.sim.state()
        self.managed = [c for c in state["clusters"] if c["image_managed"]]
        self.names = [c["name"] for c in self.managed]
        self.hosts = sum(1 for h in state["hosts"] if h["cluster"] in {c["id"] for c in self.managed})
        self.scan = state["durations"]["scan"] * args.time_scale
        self.walls: dict[str, list[float]] = {}
        self.cost: dict[str, dict[str, Any]] = {}
        dcs = {d["id"]: d["name"] for d in state["datacenters"]}
        self.inventories = {}
        for label, clusters in (("all", self.managed), ("one", self.managed[:1])):
            path = workdir / f"clusters-{label}.yml"
            path.write_text(yaml.safe_dump({"clusters": {"hosts": {
                f"c{i:03}": {"vlcm_cluster": c["name"], "vlcm_datacenter": dcs[c["datacenter"]]}
                for i, c in enumerate(clusters)}}}))
            self.inventories[label] = path
        (workdir / "noop.yml").write_text(NOOP_PLAY)
        (workdir / "per_cluster.yml").write_text(PER_CLUSTER_PLAY)

    def playbook(self, kind: str, path: Path, *extra: str, check: list[str] | None = None) -> None:
        """One run of ``kind`` from a reset simulator: its wall time and API cost; the report checked."""
        self.bench.sim.reset()
        out = self.workdir / "report.json"
        if check is not None:
            extra = (*extra, "-e", json.dumps({"vlcm_report_file": str(out)}))
        wall, _ = self.bench.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(path), *extra])
        self.walls.setdefault(kind, []).append(wall)
        self.bench.sim.wait_sessions_closed()
        self.cost[kind] = api_cost(self.bench.sim.counters())
        if check is not None:
            check_report(json.loads(out.read_text()), self.bench.sim.state(), check)

    def report(self, kind: str, clusters: list[str], parallel: int) -> None:
        self.playbook(kind, PLAYBOOK, "-e", json.dumps({"vlcm_clusters": clusters, "vlcm_parallel": parallel}),
                      check=clusters)

    def measure(self, *, fleet: bool) -> None:
        p, one = self.args.parallel, self.names[:1]
        for _ in range(self.args.repeat):
            self.playbook("fixed", self.workdir / "noop.yml")
            self.report("one", one, 1)
            self.report("all@1", self.names, 1)
            if fleet:
                self.report(f"all@{p}", self.names, p)
                if self.args.forks:
                    for label in ("one", "all"):
                        self.playbook(f"inventory-{label}", self.workdir / "per_cluster.yml",
                                      "-i", str(self.inventories[label]), "-f", str(self.args.forks))

    def marginal(self, all_kind: str, one_kind: str = "one") -> Spread:
        """Seconds per additional cluster: (all clusters - one cluster) / (clusters - 1), per repeat."""
        n = len(self.names) - 1
        return Spread([(a - o) / n for a, o in zip(self.walls[all_kind], self.walls[one_kind], strict=True)])

    def marginal_count(self, key: str, all_kind: str, one_kind: str = "one") -> float:
        return (self.cost[all_kind][key] - self.cost[one_kind][key]) / (len(self.names) - 1)

    def figures(self) -> dict[str, Any]:
        return {"scenario": self.name, "clusters": len(self.names), "hosts": self.hosts, "scan_seconds": self.scan,
                "walls": self.walls, "cost": self.cost}


def table(fleet: Scenario, base: Scenario, args: argparse.Namespace) -> str:
    p, ts = args.parallel, args.time_scale
    f_per_cluster_1, b_per_cluster_1 = fleet.marginal("all@1"), base.marginal("all@1")
    f_hpc, b_hpc = fleet.hosts / len(fleet.names), base.hosts / len(base.names)
    f_per_cluster_p = fleet.marginal(f"all@{p}")
    bound_p = fleet.scan / p

    def w(s: Scenario, kind: str) -> str:
        return Spread(s.walls[kind]).text("{:.1f}", " s")

    measured = [
        ("ansible-playbook fixed cost (one-task play)", f"{w(fleet, 'fixed')}  ({base.name}: {w(base, 'fixed')})"),
        (f"report, {len(fleet.names)} clusters, {p} at a time", w(fleet, f"all@{p}")),
        (f"report, {len(fleet.names)} clusters, 1 at a time", f"{w(fleet, 'all@1')}  ({base.name}, "
                                                             f"{len(base.names)} clusters: {w(base, 'all@1')})"),
        ("report, 1 cluster", f"{w(fleet, 'one')}  ({base.name}: {w(base, 'one')})"),
    ]
    if args.forks:
        measured += [(f"per-cluster inventory, {len(fleet.names)} clusters, -f {args.forks}",
                      w(fleet, "inventory-all")),
                     ("per-cluster inventory, 1 cluster", w(fleet, "inventory-one"))]
    c_all, c_p = fleet.cost["all@1"], fleet.cost[f"all@{p}"]
    counted = [
        ("hosts / clusters", f"{fleet.hosts} / {len(fleet.names)}  ({base.name}: {base.hosts} / {len(base.names)})"),
        ("scans (one per cluster)", f"{c_p['scans']} at {p} at a time, {c_all['scans']} at 1 at a time"),
        (f"REST calls per additional cluster, 1 / {p} at a time",
         f"{fleet.marginal_count('rest_calls', 'all@1'):.1f} / {fleet.marginal_count('rest_calls', f'all@{p}'):.1f}"
         f"  ({base.name}, 1 at a time: {base.marginal_count('rest_calls', 'all@1'):.1f}); SOAP calls "
         f"{c_p['soap_calls']}"),
        ("logins per additional cluster", f"{fleet.marginal_count('logins', f'all@{p}'):.2f}  (per run, for "
                                          f"discovery: {fleet.cost['one']['logins'] - 1}); live sessions "
                                          f"after: {c_p['live_sessions']}"),
    ]
    computed = [
        ("seconds per additional cluster, 1 at a time", f"{f_per_cluster_1.text(unit=' s')}  ({base.name}: "
                                                        f"{b_per_cluster_1.text(unit=' s')})"),
        (f"  per cluster, {fleet.name} / {base.name} (1 at a time)",
         f"{f_per_cluster_1.median / b_per_cluster_1.median:.2f}"),
        (f"  per host, {fleet.name} / {base.name} (1 at a time; {f_hpc:.0f} vs {b_hpc:.0f} hosts per cluster)",
         f"{(f_per_cluster_1.median / f_hpc) / (b_per_cluster_1.median / b_hpc):.3f}"),
        ("  against the scan (1 at a time): per cluster / scan", f"{f_per_cluster_1.median / fleet.scan:.2f}  "
                                                                 f"(scan {fleet.scan:.2f} s = "
                                                                 f"{fleet.scan / ts:.0f} s x {ts:g})"),
        (f"seconds per additional cluster, {p} at a time", f_per_cluster_p.text(unit=" s")),
        (f"  against its bound, scan / {p}", f"{f_per_cluster_p.median / bound_p:.2f}  (bound {bound_p:.3f} s)"),
        (f"  {p} at a time / 1 at a time", f"{f_per_cluster_p.median / f_per_cluster_1.median:.2f}"),
    ]
    if args.forks:
        inv = fleet.marginal("inventory-all", "inventory-one")
        computed += [
            (f"per-cluster inventory, seconds per additional cluster, -f {args.forks}", inv.text(unit=" s")),
            (f"  report ({p} at a time) / inventory (-f {args.forks}), same work per cluster",
             f"{f_per_cluster_p.median / inv.median:.2f}"),
            ("  REST calls / logins per additional cluster",
             f"{fleet.marginal_count('rest_calls', 'inventory-all', 'inventory-one'):.1f} / "
             f"{fleet.marginal_count('logins', 'inventory-all', 'inventory-one'):.2f}"),
        ]
    width = max(len(k) for k, _ in measured + counted + computed)
    lines = [f"fleet compliance: playbooks/compliance_report.yml, scenario {fleet.name}, time scale {ts:g}, "
             f"{args.repeat} run(s) each: median (min-max)", "=" * (width + 60)]
    for title, rows in (("measured (wall time)", measured), ("counted (/sim/counters, one run)", counted),
                        ("computed from the measured walls (marginal: all clusters - 1 cluster, same parallelism)",
                         computed)):
        lines += ["", title, "-" * (width + 60)] + [f"{k.ljust(width)}  {v}" for k, v in rows]
    lines += ["", "notes:",
              "- a marginal cost is (wall of all clusters - wall of one cluster) / (clusters - 1) at the same",
              "  parallelism: start-up, discovery, summary and report file are per run and cancel out.",
              "- fleet and baseline are compared 1 at a time (equal parallelism: the baseline has only 2",
              "  clusters, so at 8 at a time it never fills a batch).",
              "- the report waits on each batch with async_status polls every second, so a batch costs whole",
              "  seconds; the per-cluster inventory waits in the module itself (no polls, no report).",
              "- wall times include module start-up on this machine (2 shared vCPUs): compare ratios."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="fleet", help="the large scenario (default fleet)")
    parser.add_argument("--baseline", default="demo", help="the small scenario to compare with (default demo)")
    parser.add_argument("--time-scale", type=float, default=0.05,
                        help="simulator time scale (default 0.05: a 30 s scan takes 1.5 s)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement (default 2)")
    parser.add_argument("--forks", type=int, default=8,
                        help="also run a per-cluster inventory with this many forks (0: skip; default 8)")
    parser.add_argument("--parallel", type=int, default=8,
                        help="the report's vlcm_parallel: clusters checked at the same time (default 8)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        runs = []
        for name, is_fleet in ((args.baseline, False), (args.scenario, True)):
            scenario = Scenario(name, args, Path(tmp) / ("fleet" if is_fleet else "baseline"))
            try:
                scenario.measure(fleet=is_fleet)
            finally:
                scenario.bench.stop()
            runs.append(scenario)
    base, fleet = runs
    if min(len(base.names), len(fleet.names)) < 2:
        raise SystemExit("both scenarios need at least 2 image-managed clusters (marginal cost per cluster)")
    print(table(fleet, base, args))
    if args.json:
        args.json.write_text(json.dumps({"fleet": fleet.figures(), "baseline": base.figures(),
                                         "time_scale": args.time_scale, "parallel": args.parallel,
                                         "forks": args.forks}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
