#!/usr/bin/env python3
"""Remediation benchmark (issue 4; issue 10: repeated, equal work, measured and computed kept apart).

Starts its own simulator (demo scenario by default, realistic durations x ``--time-scale``) and runs the
collection's modules through ``ansible`` ad-hoc commands, as a user would, ``--repeat`` times each (A and B
alternate, so a drift of the machine spreads over both):

A. stage first: ``vsphere.lifecycle.stage`` then ``vsphere.lifecycle.remediate`` on one cluster;
B. no staging:  ``vsphere.lifecycle.compliance`` (the scan A's stage did) then
   ``vsphere.lifecycle.remediate stage_first=false`` on the same cluster (state reset).

So A's and B's ``remediate`` start from the same knowledge (a compliance report) and differ in one thing:
B downloads inside the apply task. Each run's ``remediate`` wall time has the module's fixed cost subtracted,
measured in the same run: ``remediate`` again on the now compliant cluster (start-up, login, inventory,
compliance read, logout; nothing to do). Reported as median (min-max) over the repeats; ratios are taken
per repeat (A_i / B_i) and then summarised the same way.

- measured: maintenance-mode host-seconds (``/sim/counters``, scenario seconds), the ``remediate`` wall time
  minus its fixed cost (scenario seconds = wall / time scale), vLCM's apply window (from the apply result),
  and the fixed costs themselves (``ansible -m ping``, ``remediate`` with nothing to do), ``compliance``
  with and without a scan;
- counted: REST calls, SOAP calls and logins per remediated host, downloads (``/sim/counters``);
- computed from the scenario's durations, not measured: the lower bound of the remediation (pre-check +
  hosts x (enter maintenance + install + reboot + exit), + download for B; VM evacuations left out) and the
  physical share (install+reboot)/(download+install+reboot), what staging would save in maintenance mode if
  the download happened inside it (as before vSphere 8).

    .venv/bin/python bench/remediation.py [--scenario demo] [--cluster Cluster-A] [--time-scale 0.05] [--repeat 3]

It prints a table (and ``--json PATH`` writes the figures; ``--table-from PATH`` prints them again).
It measures, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import BIN, Spread, Workbench, main_of, ratio_spread, sections_text


def adhoc(bench: Workbench, module: str, args: str = "") -> tuple[float, dict[str, Any]]:
    """``ansible localhost -m MODULE -a ARGS -o``: (wall seconds, module result)."""
    cmd = [str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-m", module, "-o"]
    if args:
        cmd += ["-a", args]
    wall, proc = bench.run(cmd)
    line = next((ln for ln in proc.stdout.splitlines() if "=>" in ln), "")
    try:
        return wall, (json.loads(line.split("=>", 1)[1]) if line else {})
    except ValueError:
        return wall, {}


def api_delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, float]:
    def sums(c: dict[str, Any]) -> dict[str, float]:
        calls = c.get("calls", {})
        return {"rest_calls": sum(v for k, v in calls.items() if " /api" in k),
                "soap_calls": sum(v for k, v in calls.items() if k.endswith(" /sdk")),
                "logins": sum((c.get("logins") or {}).values()),
                "mm_host_seconds": float(c.get("maintenance_host_seconds") or 0),
                "downloads": float(c.get("downloads") or 0)}
    a, b = sums(after), sums(before)
    return {k: a[k] - b[k] for k in a}


def window_seconds(result: dict[str, Any]) -> float:
    """vLCM's own apply window: min start_time .. max end_time over the hosts' apply status (wall seconds)."""
    rows = result.get("hosts") or []
    starts = [r["start_time"] for r in rows if r.get("start_time")]
    ends = [r["end_time"] for r in rows if r.get("end_time")]
    if not starts or not ends:
        return 0.0

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (max(parse(e) for e in ends) - min(parse(s) for s in starts)).total_seconds()


def one_run(bench: Workbench, cluster: str, stage_first: bool) -> dict[str, Any]:
    """A (stage_first) or B from a reset simulator; wall seconds and counter deltas."""
    sim = bench.sim
    sim.reset()
    before = sim.counters()
    if stage_first:
        prepare_wall, _ = adhoc(bench, "vsphere.lifecycle.stage", f"cluster={cluster}")
    else:
        prepare_wall, _ = adhoc(bench, "vsphere.lifecycle.compliance", f"cluster={cluster}")
    prepared = sim.counters()
    wall, result = adhoc(bench, "vsphere.lifecycle.remediate", f"cluster={cluster} accept_eula=true "
                                                              f"stage_first={'true' if stage_first else 'false'}")
    hosts = len(result.get("successful_hosts") or [])
    if hosts == 0 or result.get("scanned_hosts") or result.get("failed_hosts"):
        raise RuntimeError(f"{'A' if stage_first else 'B'}: expected a remediation of known, non-compliant hosts "
                           f"without a scan: {result}")
    sim.wait_sessions_closed()
    after = sim.counters()
    fixed_wall, nothing = adhoc(bench, "vsphere.lifecycle.remediate", f"cluster={cluster} accept_eula=true")
    if nothing.get("changed") or nothing.get("successful_hosts"):
        raise RuntimeError(f"the fixed-cost run remediated something: {nothing}")
    return {"hosts": hosts, "prepare_wall": prepare_wall, "remediate_wall": wall, "fixed_wall": fixed_wall,
            "apply_window": window_seconds(result), "remediate": api_delta(after, prepared),
            "both": api_delta(after, before)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    ts = args.time_scale
    runs: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory(prefix="bench-remediation-") as tmp:
        bench = Workbench(args.scenario, ts, Path(tmp))
        try:
            durations = bench.sim.state()["durations"]
            adhoc(bench, "ansible.builtin.ping")                     # warm-up: not measured
            ping, comp, comp_scan = [], [], []
            for _ in range(args.repeat):
                runs["A"].append(one_run(bench, args.cluster, True))
                runs["B"].append(one_run(bench, args.cluster, False))
                ping.append(adhoc(bench, "ansible.builtin.ping")[0])
                comp.append(adhoc(bench, "vsphere.lifecycle.compliance", f"cluster={args.cluster} refresh=false")[0])
                comp_scan.append(adhoc(bench, "vsphere.lifecycle.compliance", f"cluster={args.cluster}")[0])
        finally:
            bench.stop()
    return {"scenario": args.scenario, "cluster": args.cluster, "time_scale": ts, "repeat": args.repeat,
            "durations": durations, "runs": runs, "ping": ping, "compliance": comp, "compliance_scan": comp_scan}


def table(f: dict[str, Any]) -> str:
    ts, d = f["time_scale"], f["durations"]
    a_runs, b_runs = f["runs"]["A"], f["runs"]["B"]
    n = a_runs[0]["hosts"]
    per_host = d["enter_maintenance"] + d["install"] + d["reboot"] + d["exit_maintenance"]
    bound = {"A": d["check"] + n * per_host, "B": d["check"] + d["download"] + n * per_host}

    def scenario_s(r: dict[str, Any]) -> float:
        """remediate's wall minus its fixed cost (same run), in scenario seconds."""
        return max(0.0, r["remediate_wall"] - r["fixed_wall"]) / ts

    mm = {k: [r["remediate"]["mm_host_seconds"] for r in v] for k, v in f["runs"].items()}
    rem = {k: [scenario_s(r) for r in v] for k, v in f["runs"].items()}
    win = {k: [r["apply_window"] / ts for r in v] for k, v in f["runs"].items()}
    fixed = [r["fixed_wall"] for r in a_runs + b_runs]

    def pair(values: dict[str, list[float]], fmt: str = "{:.0f}") -> str:
        return f"{Spread(values['A']).text(fmt)} / {Spread(values['B']).text(fmt)}"

    def per_host_count(key: str, label: str) -> str:
        a = statistics.median(r["both"][key] for r in a_runs) / n
        b = statistics.median(r["remediate"][key] for r in b_runs) / n
        return f"{a:.2f} / {b:.2f}" if label == "soap" else f"{a:.1f} / {b:.1f}"

    measured = [
        ("maintenance-mode host-seconds, A / B (/sim/counters)", pair(mm)),
        ("remediate wall - its fixed cost, A / B", pair(rem)),
        ("vLCM apply window, A / B (apply result)", pair(win)),
        ("fixed cost: remediate with nothing to do (wall s)", Spread(fixed).text("{:.2f}")),
        ("fixed cost: ansible -m ping (wall s)", Spread(f["ping"]).text("{:.2f}")),
        ("ansible -m compliance refresh=false / with scan (wall s)",
         f"{Spread(f['compliance']).text('{:.2f}')} / {Spread(f['compliance_scan']).text('{:.2f}')}"),
    ]
    counted = [
        ("REST calls per remediated host, A (stage+remediate) / B (remediate)", per_host_count("rest_calls", "rest")),
        ("SOAP calls per remediated host, A / B", per_host_count("soap_calls", "soap")),
        ("logins per remediated host, A (2 modules) / B (1 module)", per_host_count("logins", "logins")),
        ("downloads, A (by stage) / B (inside remediate)",
         f"{statistics.median(r['both']['downloads'] for r in a_runs):.0f} / "
         f"{statistics.median(r['remediate']['downloads'] for r in b_runs):.0f}"),
    ]
    ratios = [
        ("maintenance-mode host-seconds A / B", ratio_spread(mm["A"], mm["B"]).text("{:.3f}")),
        ("remediation window A / B (what staging first saves in it)", ratio_spread(rem["A"], rem["B"]).text("{:.3f}")),
        ("vLCM apply window A / B", ratio_spread(win["A"], win["B"]).text("{:.3f}")),
        ("remediation A / its lower bound", Spread([x / bound["A"] for x in rem["A"]]).text("{:.3f}")),
        ("remediation B / its lower bound (incl. download)", Spread([x / bound["B"] for x in rem["B"]]).text("{:.3f}")),
        ("compliance refresh=false / ping", ratio_spread(f["compliance"], f["ping"]).text("{:.2f}")),
        ("compliance with scan / ping", ratio_spread(f["compliance_scan"], f["ping"]).text("{:.2f}")),
    ]
    computed = [
        ("lower bound A = check + hosts x (enter+install+reboot+exit)",
         f"{d['check']:.0f} + {n} x {per_host:.0f} = {bound['A']:.0f} s"),
        ("lower bound B = A's + download", f"{bound['B']:.0f} s"),
        ("physical share (install+reboot)/(download+install+reboot)",
         f"({d['install']:.0f}+{d['reboot']:.0f})/({d['download']:.0f}+{d['install']:.0f}+{d['reboot']:.0f}) = "
         f"{(d['install'] + d['reboot']) / (d['download'] + d['install'] + d['reboot']):.3f}"),
    ]
    sections = (("measured: median (min-max) over the repeats; scenario seconds = wall / time scale", measured),
                ("counted (/sim/counters): median over the repeats", counted),
                ("ratios of measured figures, per repeat (A_i / B_i), median (min-max)", ratios),
                ("computed from the scenario's durations (not measured)", computed))
    header = (f"remediation benchmark: scenario {f['scenario']}, cluster {f['cluster']} ({n} hosts), "
              f"time scale {ts}, {f['repeat']} repeat(s)")
    return sections_text(header, sections, ["A = stage module, then remediate; B = compliance (scan), then remediate with stage_first=false, "
              "which makes vLCM download inside the apply task, before any host enters maintenance mode (as "
              "vSphere 8 does). The remediate walls have the module's own fixed cost (same run) subtracted."])


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="demo")
    parser.add_argument("--cluster", default="Cluster-A")
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3, help="runs of A, of B and of each fixed cost (median, range)")


def main(argv: list[str] | None = None) -> int:
    return main_of(__doc__, arguments, run, table, argv)


if __name__ == "__main__":
    sys.exit(main())
