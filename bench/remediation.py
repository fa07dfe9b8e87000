#!/usr/bin/env python3
"""Remediation benchmark (issue 4): staging, remediation wall time, API cost per host, module overhead.

Starts its own simulator (demo scenario by default, realistic durations x ``--time-scale``) and
runs the collection's modules through ``ansible`` ad-hoc commands, as a user would:

A. stage first: ``vsphere.lifecycle.stage`` then ``vsphere.lifecycle.remediate`` on one cluster;
B. no staging:  ``vsphere.lifecycle.remediate stage_first=false`` on the same cluster (state reset).

Every figure is a ratio of two quantities measured in the same run:

- maintenance-mode host-seconds A / B (the simulator's ``/sim/counters``, in scenario seconds), next to
  the physical share (install+reboot)/(download+install+reboot) from the scenario's durations, which is
  what staging saves against a remediation that downloads inside maintenance mode;
- cluster remediation wall time (the ``remediate`` module, minus the ``ansible -m ping`` wall time of the
  same run, converted to scenario seconds) against its lower bound from the scenario's durations:
  pre-check + hosts x (enter maintenance + install + reboot + exit maintenance), + download for B
  (VM evacuations are left out of the bound); also vLCM's own apply window from the apply task;
- REST calls, SOAP calls and logins per remediated host (``/sim/counters``);
- ``ansible localhost -m vsphere.lifecycle.compliance`` wall time against ``ansible localhost -m ping``.

    .venv/bin/python bench/remediation.py [--scenario demo] [--cluster Cluster-A] [--time-scale 0.05]

It prints a table (and ``--json PATH`` writes the figures). It measures, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def scenario_durations(scenario: str) -> dict[str, float]:
    import vlcmsim

    path = Path(scenario) if scenario.endswith((".yml", ".yaml")) else \
        Path(vlcmsim.__file__).parent / "scenarios" / f"{scenario}.yml"
    data = yaml.safe_load(path.read_text())
    from vlcmsim.model import Durations

    defaults = Durations()
    given = data.get("durations") or {}
    return {k: float(given.get(k, getattr(defaults, k))) for k in vars(defaults)}


class Bench:
    def __init__(self, scenario: str, time_scale: float, workdir: Path) -> None:
        from vlcmsim.testing import start_simulator

        self.time_scale = time_scale
        self.handle = start_simulator(scenario, time_scale=time_scale, state_dir=workdir / "sim", port=0)
        info = self.handle.info
        self.url = info["url"].rstrip("/")
        self.ca = info["ca"]
        link = workdir / "collections" / "ansible_collections" / "vsphere" / "lifecycle"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO, target_is_directory=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "ANSIBLE_"))}
        self.env = {**base, "ANSIBLE_COLLECTIONS_PATH": str(workdir / "collections"),
                    "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_LOCALHOST_WARNING": "false",
                    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_NOCOLOR": "1",
                    "ANSIBLE_HOME": str(workdir / "ansible_home"), "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
                    "VMWARE_HOST": info["host"], "VMWARE_PORT": str(info["port"]),
                    "VMWARE_USER": info["username"], "VMWARE_PASSWORD": info["password"], "VMWARE_CA_PATH": self.ca,
                    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        self.http = requests.Session()
        self.http.trust_env = False

    def admin(self, method: str, path: str) -> Any:
        response = self.http.request(method, f"{self.url}/sim/{path}", verify=self.ca, timeout=60)
        response.raise_for_status()
        return response.json() if response.content else None

    def adhoc(self, module: str, args: str = "") -> tuple[float, dict[str, Any]]:
        """``ansible localhost -m MODULE -a ARGS -o``: (wall seconds, module result)."""
        cmd = [str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-m", module, "-o"]
        if args:
            cmd += ["-a", args]
        start = time.monotonic()
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=7200)
        wall = time.monotonic() - start
        line = next((ln for ln in proc.stdout.splitlines() if "=>" in ln), "")
        try:
            result = json.loads(line.split("=>", 1)[1]) if line else {}
        except ValueError:
            result = {}
        if proc.returncode != 0:
            raise RuntimeError(f"ansible -m {module} {args} failed (rc {proc.returncode}): "
                               f"{result.get('msg') or proc.stdout[-2000:] + proc.stderr[-2000:]}")
        return wall, result

    def stop(self) -> None:
        self.handle.stop()


def delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, float]:
    def sums(c: dict[str, Any]) -> dict[str, float]:
        calls = c.get("calls", {})
        return {
            "rest_calls": sum(v for k, v in calls.items() if " /api" in k),
            "soap_calls": sum(v for k, v in calls.items() if k.endswith(" /sdk")),
            "logins": sum((c.get("logins") or {}).values()),
            "mm_host_seconds": float(c.get("maintenance_host_seconds") or 0),
            "downloads": float(c.get("downloads") or 0),
        }
    a, b = sums(after), sums(before)
    return {k: a[k] - b[k] for k in a}


def window_seconds(result: dict[str, Any]) -> float | None:
    """vLCM's own apply window: min start_time .. max end_time over the hosts' apply status."""
    rows = result.get("hosts") or []
    starts = [r.get("start_time") for r in rows if r.get("start_time")]
    ends = [r.get("end_time") for r in rows if r.get("end_time")]
    if not starts or not ends:
        return None

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (max(parse(e) for e in ends) - min(parse(s) for s in starts)).total_seconds()


def run(args: argparse.Namespace) -> dict[str, Any]:
    durations = scenario_durations(args.scenario)
    ts = args.time_scale
    with tempfile.TemporaryDirectory(prefix="bench-remediation-") as tmp:
        bench = Bench(args.scenario, ts, Path(tmp))
        try:
            ping = [bench.adhoc("ansible.builtin.ping")[0] for _ in range(args.repeat)]
            ping_wall = statistics.median(ping)
            runs: dict[str, dict[str, Any]] = {}
            for label, stage_first in (("A", True), ("B", False)):
                bench.admin("POST", "reset")
                before = bench.admin("GET", "counters")
                stage_wall = 0.0
                if stage_first:
                    stage_wall, staged = bench.adhoc("vsphere.lifecycle.stage", f"cluster={args.cluster}")
                rem_wall, result = bench.adhoc(
                    "vsphere.lifecycle.remediate",
                    f"cluster={args.cluster} accept_eula=true stage_first={'true' if stage_first else 'false'}")
                after = bench.admin("GET", "counters")
                hosts = len(result.get("successful_hosts") or [])
                if hosts == 0:
                    raise RuntimeError(f"run {label}: no host was remediated: {result}")
                runs[label] = {"hosts": hosts, "stage_wall": stage_wall, "remediate_wall": rem_wall,
                               "vlcm_apply_window": window_seconds(result), **delta(after, before)}
            comp = [bench.adhoc("vsphere.lifecycle.compliance", f"cluster={args.cluster} refresh=false")[0]
                    for _ in range(args.repeat)]
            comp_scan = [bench.adhoc("vsphere.lifecycle.compliance", f"cluster={args.cluster}")[0]
                         for _ in range(args.repeat)]
        finally:
            bench.stop()
    d = durations
    per_host = d["enter_maintenance"] + d["install"] + d["reboot"] + d["exit_maintenance"]
    n = runs["A"]["hosts"]
    figures = {
        "scenario": args.scenario, "cluster": args.cluster, "time_scale": ts, "hosts": n, "durations": d,
        "ping_wall": ping_wall, "runs": runs,
        "mm_ratio": runs["A"]["mm_host_seconds"] / runs["B"]["mm_host_seconds"],
        "physical_share": (d["install"] + d["reboot"]) / (d["download"] + d["install"] + d["reboot"]),
        "bound_A": d["check"] + n * per_host,
        "bound_B": d["check"] + d["download"] + n * per_host,
        "compliance_wall": statistics.median(comp), "compliance_scan_wall": statistics.median(comp_scan),
    }
    for label in ("A", "B"):
        r = runs[label]
        r["remediate_scenario_s"] = max(0.0, r["remediate_wall"] - ping_wall) / ts
        r["apply_window_scenario_s"] = (r["vlcm_apply_window"] or 0.0) / ts
        figures[f"wall_ratio_{label}"] = r["remediate_scenario_s"] / figures[f"bound_{label}"]
    return figures


def table(f: dict[str, Any]) -> str:
    a, b = f["runs"]["A"], f["runs"]["B"]
    d = f["durations"]
    rows = [
        ("Maintenance-mode host-seconds, stage first (A) / without (B)",
         f"{a['mm_host_seconds']:.0f} / {b['mm_host_seconds']:.0f} s", f"{f['mm_ratio']:.3f}"),
        ("  physical share (install+reboot)/(download+install+reboot)",
         f"({d['install']:.0f}+{d['reboot']:.0f})/({d['download']:.0f}+{d['install']:.0f}+{d['reboot']:.0f})",
         f"{f['physical_share']:.3f}"),
        ("Remediation window (remediate module wall time), A / B",
         f"{a['remediate_scenario_s']:.0f} / {b['remediate_scenario_s']:.0f} s",
         f"{a['remediate_scenario_s'] / b['remediate_scenario_s']:.3f}" if b["remediate_scenario_s"] else "-"),
        ("Cluster remediation wall time A / lower bound",
         f"{a['remediate_scenario_s']:.0f} / {f['bound_A']:.0f} s", f"{f['wall_ratio_A']:.3f}"),
        ("Cluster remediation wall time B / lower bound (incl. download)",
         f"{b['remediate_scenario_s']:.0f} / {f['bound_B']:.0f} s", f"{f['wall_ratio_B']:.3f}"),
        ("  vLCM apply window A / B (from the apply result)",
         f"{a['apply_window_scenario_s']:.0f} / {b['apply_window_scenario_s']:.0f} s",
         f"{a['apply_window_scenario_s'] / b['apply_window_scenario_s']:.3f}" if b["apply_window_scenario_s"] else "-"),
        ("REST calls per remediated host, A (stage+remediate) / B",
         f"{a['rest_calls']:.0f}/{a['hosts']} , {b['rest_calls']:.0f}/{b['hosts']}",
         f"{a['rest_calls'] / a['hosts']:.1f} / {b['rest_calls'] / b['hosts']:.1f}"),
        ("SOAP calls per remediated host, A / B",
         f"{a['soap_calls']:.0f}/{a['hosts']} , {b['soap_calls']:.0f}/{b['hosts']}",
         f"{a['soap_calls'] / a['hosts']:.2f} / {b['soap_calls'] / b['hosts']:.2f}"),
        ("Logins per remediated host, A (2 modules) / B (1 module)",
         f"{a['logins']:.0f}/{a['hosts']} , {b['logins']:.0f}/{b['hosts']}",
         f"{a['logins'] / a['hosts']:.2f} / {b['logins'] / b['hosts']:.2f}"),
        ("ansible -m compliance (refresh=false) / -m ping wall time",
         f"{f['compliance_wall']:.2f} / {f['ping_wall']:.2f} s", f"{f['compliance_wall'] / f['ping_wall']:.2f}"),
        ("ansible -m compliance (with scan) / -m ping wall time",
         f"{f['compliance_scan_wall']:.2f} / {f['ping_wall']:.2f} s",
         f"{f['compliance_scan_wall'] / f['ping_wall']:.2f}"),
    ]
    width = max(len(r[0]) for r in rows)
    mid = max(len(r[1]) for r in rows)
    head = (f"remediation benchmark: scenario {f['scenario']}, cluster {f['cluster']} ({f['hosts']} hosts), "
            f"time scale {f['time_scale']} (times in scenario seconds = wall / time scale)")
    lines = [head, "", f"{'figure':<{width}}  {'measured':<{mid}}  ratio", "-" * (width + mid + 10)]
    lines += [f"{name:<{width}}  {value:<{mid}}  {ratio}" for name, value, ratio in rows]
    lines.append("")
    lines.append(f"downloads: A {a['downloads']:.0f} (by stage), B {b['downloads']:.0f} (inside remediate); "
                 f"stage module wall time A: {a['stage_wall']:.1f} s")
    lines.append("A = stage module, then remediate; B = remediate with stage_first=false (vLCM stages inside the apply "
                 "task, before any host enters maintenance mode, as vSphere 8 does). The physical share is the "
                 "maintenance-mode time staging saves against a remediation that downloads inside maintenance mode.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="demo")
    parser.add_argument("--cluster", default="Cluster-A")
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=5, help="runs of ping / compliance (median)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--table-from", type=Path, help="print the table of figures written earlier by --json")
    args = parser.parse_args(argv)
    figures = json.loads(args.table_from.read_text()) if args.table_from else run(args)
    print(table(figures))
    if args.json and not args.table_from:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
