#!/usr/bin/env python3
"""Live patch benchmark (issue 13): live patch vs regular remediation of the same cluster, in one run.

Starts its own simulator (livepatch scenario by default: ESXi 8.0 U3, cluster LP-Ready, 4 hosts x 6 VMs, live
patch enforced) and runs the collection's modules through ``ansible`` ad-hoc commands, ``--repeat`` times each,
A and B alternating, each from a reset simulator:

A. live patch: ``vsphere.lifecycle.remediate`` on the cluster as it is (live patch on);
B. regular:    ``vsphere.lifecycle.remediation_policy`` switches live patch off on the same cluster
               (``enforce_quick_patch: false``, or ``live_patch_mode: DISABLE`` on 9.1), then the same
               ``vsphere.lifecycle.remediate``: the same image change, with maintenance mode, evacuation, reboot.

- counted (``/sim/counters`` deltas around the remediate run): VM evacuations (vMotions by maintenance mode),
  reboots, VM fast-suspend-resumes, hosts live patched;
- measured (``/sim/counters``, scenario seconds): maintenance-mode host-seconds and partial-maintenance
  host-seconds; the remediate wall time minus its fixed cost measured in the same repeat (``remediate`` again on
  the now compliant cluster: start-up, login, compliance read, logout), in scenario seconds = wall / time scale;
- VM interruptions: an FSR (A) and a vMotion (B) each briefly stun a VM; counted, not weighed;
- ratios A_i / B_i per repeat, then median (min-max);
- computed from the scenario's durations (labelled): the per-host lower bounds of both methods.

    .venv/bin/python bench/live_patch.py [--scenario livepatch] [--cluster LP-Ready] [--time-scale 0.01] [--repeat 3]

It prints a table (``--json PATH`` writes the figures; ``--table-from PATH`` prints them again). It measures, it
does not assert (the integration tests assert 0 evacuations and 0 reboots).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import BIN, Spread, Workbench, main_of, ratio_spread, sections_text

COUNTERS = ("evacuations", "reboots", "fsrs", "live_patched_hosts", "maintenance_host_seconds",
            "partial_maintenance_host_seconds")


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


def delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, float]:
    return {k: float(after.get(k) or 0) - float(before.get(k) or 0) for k in COUNTERS}


def one_run(bench: Workbench, cluster: str, live: bool, off_args: str) -> dict[str, Any]:
    sim = bench.sim
    sim.reset()
    if not live:
        adhoc(bench, "vsphere.lifecycle.remediation_policy", f"cluster={cluster} {off_args}")
    adhoc(bench, "vsphere.lifecycle.compliance", f"cluster={cluster}")          # both start from a fresh scan
    before = sim.counters()
    wall, result = adhoc(bench, "vsphere.lifecycle.remediate", f"cluster={cluster} accept_eula=true")
    sim.wait_sessions_closed()
    after = sim.counters()
    hosts = len(result.get("successful_hosts") or [])
    method = "live_patch" if live else "maintenance_mode"
    if hosts == 0 or result.get("failed_hosts") or any(r.get("method") != method for r in result.get("hosts") or []):
        raise RuntimeError(f"{'A' if live else 'B'}: expected every host remediated by {method}: {result}")
    fixed, nothing = adhoc(bench, "vsphere.lifecycle.remediate", f"cluster={cluster} accept_eula=true")
    if nothing.get("changed"):
        raise RuntimeError(f"the fixed-cost run remediated something: {nothing}")
    return {"hosts": hosts, "wall": wall, "fixed": fixed, "counters": delta(after, before),
            "fsr_count": result.get("fsr_count", 0)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory(prefix="bench-live-patch-") as tmp:
        bench = Workbench(args.scenario, args.time_scale, Path(tmp))
        try:
            state = bench.sim.state()
            durations = state["durations"]
            off = "live_patch_mode=DISABLE" if str(state["vcenter"]["version"]).startswith("9.") \
                else "enforce_quick_patch=false"
            cid = next(c["id"] for c in state["clusters"] if c["name"] == args.cluster)
            vms = sum(1 for v in state["vms"] if v["power_state"] == "poweredOn"
                      and v["host"] in {h["id"] for h in state["hosts"] if h["cluster"] == cid})
            targets = next((h["live_patch"].get("targets") or [] for h in state["hosts"] if h["cluster"] == cid), [])
            adhoc(bench, "ansible.builtin.ping")                     # warm-up: not measured
            for _ in range(args.repeat):
                runs["A"].append(one_run(bench, args.cluster, True, off))
                runs["B"].append(one_run(bench, args.cluster, False, off))
        finally:
            bench.stop()
    return {"scenario": args.scenario, "cluster": args.cluster, "time_scale": args.time_scale, "repeat": args.repeat,
            "durations": durations, "running_vms": vms, "live_patch_targets": targets, "runs": runs}


def table(f: dict[str, Any]) -> str:
    ts, d = f["time_scale"], f["durations"]
    a_runs, b_runs = f["runs"]["A"], f["runs"]["B"]
    n, vms = a_runs[0]["hosts"], f["running_vms"]

    def values(runs: list[dict[str, Any]], key: str) -> list[float]:
        return [r["counters"][key] for r in runs]

    def pair(key: str, fmt: str = "{:.0f}") -> str:
        return f"{Spread(values(a_runs, key)).text(fmt)} / {Spread(values(b_runs, key)).text(fmt)}"

    wall = {"A": [max(0.0, r["wall"] - r["fixed"]) / ts for r in a_runs],
            "B": [max(0.0, r["wall"] - r["fixed"]) / ts for r in b_runs]}
    interruptions = {"A": [r["counters"]["fsrs"] for r in a_runs], "B": [r["counters"]["evacuations"] for r in b_runs]}
    any_mm = {"A": [r["counters"]["partial_maintenance_host_seconds"] + r["counters"]["maintenance_host_seconds"]
                    for r in a_runs],
              "B": [r["counters"]["maintenance_host_seconds"] + r["counters"]["partial_maintenance_host_seconds"]
                    for r in b_runs]}
    counted = [
        ("hosts remediated, A / B", f"{n} / {b_runs[0]['hosts']}"),
        ("VM evacuations (vMotions by maintenance mode), A / B", pair("evacuations")),
        ("host reboots, A / B", pair("reboots")),
        ("VM fast-suspend-resumes, A / B", pair("fsrs")),
        ("hosts live patched, A / B", pair("live_patched_hosts")),
        ("VM interruptions: FSRs (A) / vMotions (B)",
         f"{Spread(interruptions['A']).text('{:.0f}')} / {Spread(interruptions['B']).text('{:.0f}')}"),
    ]
    measured = [
        ("maintenance-mode host-seconds, A / B", pair("maintenance_host_seconds")),
        ("partial-maintenance host-seconds, A / B", pair("partial_maintenance_host_seconds")),
        ("remediate wall - its fixed cost (scenario s), A / B",
         f"{Spread(wall['A']).text('{:.0f}')} / {Spread(wall['B']).text('{:.0f}')}"),
        ("fixed cost: remediate with nothing to do (wall s)",
         Spread([r["fixed"] for r in a_runs + b_runs]).text("{:.2f}")),
    ]
    ratios = [
        ("(partial + full) maintenance host-seconds A / B", ratio_spread(any_mm["A"], any_mm["B"]).text("{:.3f}")),
        ("partial-MM host-seconds (A) / MM host-seconds (B)",
         ratio_spread(values(a_runs, "partial_maintenance_host_seconds"),
                      values(b_runs, "maintenance_host_seconds")).text("{:.3f}")),
        ("remediate wall - fixed cost, A / B", ratio_spread(wall["A"], wall["B"]).text("{:.3f}")),
    ]
    hostd = d.get("hostd_restart", 0) if "hostd" in f.get("live_patch_targets", []) else 0
    fsr = d.get("fsr_per_vm", 0) if "vmx" in f.get("live_patch_targets", ["vmx"]) else 0
    per_live = d["enter_maintenance"] + d["install"] + hostd + (vms / n) * fsr + d["exit_maintenance"]
    per_regular = d["enter_maintenance"] + (vms / n) * d["evacuate_per_vm"] + d["install"] + d["reboot"] \
        + d["exit_maintenance"]
    computed = [
        ("per host, live patch: enter + install + hostd restart + VMs x fsr_per_vm + exit",
         f"{d['enter_maintenance']:.0f} + {d['install']:.0f} + {hostd:.0f} + {vms / n:.0f} x {fsr:.0f} + "
         f"{d['exit_maintenance']:.0f} = {per_live:.0f} s"),
        ("per host, regular: enter + VMs x evacuate_per_vm + install + reboot + exit",
         f"{d['enter_maintenance']:.0f} + {vms / n:.0f} x {d['evacuate_per_vm']:.0f} + {d['install']:.0f} + "
         f"{d['reboot']:.0f} + {d['exit_maintenance']:.0f} = {per_regular:.0f} s"),
        ("ratio of the two", f"{per_live / per_regular:.3f}"),
    ]
    sections = (("counted (/sim/counters deltas around remediate): median (min-max) over the repeats", counted),
                ("measured: median (min-max); scenario seconds (counters, or wall / time scale)", measured),
                ("ratios of measured figures, per repeat (A_i / B_i), median (min-max)", ratios),
                ("computed from the scenario's durations (not measured)", computed))
    header = (f"live patch benchmark: scenario {f['scenario']}, cluster {f['cluster']} ({n} hosts, {vms} running VMs), "
              f"time scale {ts}, {f['repeat']} repeat(s)")
    return sections_text(header, sections, ["A = remediate with live patch on (partial maintenance mode, FSR, no reboot); B = the same cluster "
              "and image change with live patch switched off by remediation_policy (maintenance mode, DRS "
              "evacuation, reboot). Both after a fresh compliance scan; staging (download) and the pre-check are part of both "
              "remediate runs.",
              f"median of B's wall / A's wall: {statistics.median(wall['B']) / statistics.median(wall['A']):.2f}x"])


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="livepatch")
    parser.add_argument("--cluster", default="LP-Ready")
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3, help="runs of A and of B (median, range)")


def main(argv: list[str] | None = None) -> int:
    return main_of(__doc__, arguments, run, table, argv)


if __name__ == "__main__":
    sys.exit(main())
