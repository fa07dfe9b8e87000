#!/usr/bin/env python3
"""Rolling remediation benchmark (issue 9): vLCM's sequential default against the rolling role on ``Rolling-16``.

``Rolling-16`` (rolling scenario): 16 hosts of 23 VMs each whose spare capacity allows 4 in maintenance mode.
Each repeat (``--repeat``; figures are median (min-max), ratios taken per repeat):

- **sequential**: ``ansible localhost -m vsphere.lifecycle.remediate -a cluster=Rolling-16`` (stage, pre-check,
  apply: vLCM one host at a time), then its fixed cost: the same command on the now compliant cluster;
- **role**: ``ansible-playbook -i playbooks/inventory/demo.vcenter.yml playbooks/rolling_remediation.yml`` limited
  to Rolling-16 (capacity decides the waves), then its fixed cost: the same run again (nothing to do), which must
  change nothing (``/sim/counters`` mutating calls);
- **forecast**: the role on ``History-04``, whose last remediation vLCM recorded (835 s per host), comparing the
  plan's forecast with the measured window.

The simulator is reset before each run. Walls are turned into scenario seconds (wall / time scale) after their
fixed cost is subtracted. The sequential run uses its own, smaller ``--sequential-time-scale`` (16 hosts one after
another): the comparison is in scenario seconds, and a run's fixed cost does not scale. Every task poll (scan,
stage, pre-check, apply) of the role runs at most ``--task-poll-max`` apart (vlcm_task_poll_max), scaled like the
durations: the default 10 s on a real vCenter is 1 s at time scale 0.1; the sequential run's polls are scaled the
same way (0.2 s at 0.02). Computed rows (the lower bound) come from the scenario's durations in ``/sim/state``. A
last section splits the role's wall time by phase (task start and end from the results callback) next to the
phase's own duration in the scenario.

    .venv/bin/python bench/rolling.py [--time-scale 0.1] [--sequential-time-scale 0.02] [--repeat 1]

It measures, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import BIN, REPO, Spread, Workbench, main_of, ratio_spread

CLUSTER = "Rolling-16"
HISTORY = "History-04"
PLAYBOOK = REPO / "playbooks" / "rolling_remediation.yml"
INVENTORY = REPO / "playbooks" / "inventory" / "demo.vcenter.yml"
CALLBACKS = REPO / "tests" / "integration" / "callback_plugins"


def role(bench: Workbench, cluster: str, poll_max: float, records: Path) -> tuple[float, list[dict[str, Any]]]:
    """The rolling playbook on one cluster: (wall seconds, the task results of the run)."""
    records.unlink(missing_ok=True)
    bench.env.update(ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), ANSIBLE_CALLBACKS_ENABLED="results_json",
                     VLCM_TEST_RESULTS=str(records))
    extra = json.dumps({"vlcm_accept_eula": True, "vlcm_clusters_pattern": cluster, "vlcm_task_poll_max": poll_max})
    wall, _proc = bench.run([str(BIN / "ansible-playbook"), "-i", str(INVENTORY), str(PLAYBOOK), "-e", extra])
    rows = [json.loads(line) for line in records.read_text().splitlines() if line.strip()]
    return wall, rows


def records(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The callback's records of the role's task ``name`` (Ansible prefixes it with the role's name)."""
    return [r for r in rows if r["task"].split(" : ", 1)[-1].startswith(name)]


def results(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r["result"] for r in records(rows, name)]


def sequential(bench: Workbench, poll_max: float) -> float:
    wall, _ = bench.run([str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-m",
                         "vsphere.lifecycle.remediate", "-a",
                         f"cluster={CLUSTER} accept_eula=true task_poll_max={poll_max:g}", "-o"])
    return wall


PHASES = (("scan", "Compliance of the cluster"), ("stage", "Stage the desired image"), ("plan", "Plan the waves"),
          ("pre-check", "Remediation pre-check"), ("waves", "Remediate the wave"))


def phases(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Wall seconds of the role's vCenter tasks (from the callback's started/ended), the waves summed, and
    'between waves': the Ansible tasks from the end of one batch to the start of the next."""
    out: dict[str, float] = {}
    for key, name in PHASES:
        mine = [r for r in records(rows, name) if r.get("started")]
        out[key] = sum(r["ended"] - r["started"] for r in mine)
    batches = [r for r in records(rows, "Remediate the wave") if r.get("started")]
    out["between waves"] = sum(b["started"] - a["ended"] for a, b in zip(batches, batches[1:], strict=False))
    out["batches"] = len(batches)
    return out


def cluster_id(bench: Workbench, name: str) -> str:
    return bench.sim.ids().cluster[name]


def per_host_seconds(durations: dict[str, float], vms: int) -> float:
    """One host's remediation from the scenario's durations: enter + evacuation + install + reboot + exit."""
    return (durations["enter_maintenance"] + vms * durations["evacuate_per_vm"] + durations["install"]
            + durations["reboot"] + durations["exit_maintenance"])


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-rolling-"))
    f: dict[str, Any] = {"time_scale": args.time_scale, "sequential_time_scale": args.sequential_time_scale,
                         "task_poll_max": args.task_poll_max, "repeat": args.repeat, "runs": []}
    seq_bench = Workbench("rolling", args.sequential_time_scale, work / "seq")
    role_bench = Workbench("rolling", args.time_scale, work / "role")
    try:
        state = role_bench.sim.state()
        f["durations"] = state["durations"]
        cid = cluster_id(role_bench, CLUSTER)
        f["hosts"] = sum(1 for h in state["hosts"] if h["cluster"] == cid)
        f["vms_per_host"] = sum(1 for v in state["vms"] if v["host"] in
                                {h["id"] for h in state["hosts"] if h["cluster"] == cid}) // f["hosts"]
        role_bench.run([str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-m", "ping"])
        # the sequential run's polls scaled like the role's: 10 s on a real vCenter is task_poll_max at time scale
        seq_poll = args.task_poll_max * args.sequential_time_scale / args.time_scale
        f["sequential_task_poll_max"] = seq_poll
        for i in range(args.repeat):
            r: dict[str, Any] = {}
            seq_bench.sim.reset()
            r["seq_wall"] = sequential(seq_bench, seq_poll)
            c = seq_bench.sim.counters()
            r["seq_peak"] = c["max_hosts_in_maintenance_per_cluster"].get(cluster_id(seq_bench, CLUSTER), 0)
            r["seq_violations"] = c["capacity_violations"]
            r["seq_fixed"] = sequential(seq_bench, seq_poll)

            role_bench.sim.reset()
            r["role_wall"], rows = role(role_bench, CLUSTER, args.task_poll_max, work / f"role{i}.jsonl")
            c = role_bench.sim.counters()
            plan = results(rows, "Plan the waves")[0]
            r["plan_sizes"] = [w["size"] for w in plan["waves"]]
            at_turn = {h["name"]: h["vms_at_its_turn"] for h in plan["forecast"]["hosts"]}
            r["wave_vms"] = [max(at_turn[h] for h in w["hosts"]) for w in plan["waves"]]
            r["waves_run"] = [len(b["successful_hosts"]) for b in results(rows, "Remediate the wave")]
            r["phases"] = phases(rows)
            r["role_peak"] = c["max_hosts_in_maintenance_per_cluster"].get(cid, 0)
            r["role_violations"] = c["capacity_violations"]
            r["compliant"] = sum(1 for h in role_bench.sim.state()["hosts"]
                                 if h["cluster"] == cid and h["compliance_status"] == "COMPLIANT"
                                 and not h["in_maintenance"])
            snapshot = role_bench.sim.counters()
            r["role_fixed"], _rows = role(role_bench, CLUSTER, args.task_poll_max, work / f"again{i}.jsonl")
            r["rerun_mutating"] = role_bench.sim.mutating_calls(since=snapshot)

            role_bench.sim.reset()
            r["hist_wall"], rows = role(role_bench, HISTORY, args.task_poll_max, work / f"hist{i}.jsonl")
            hplan = results(rows, "Plan the waves")[0]
            logs = results(rows, "Record the wave")
            r["hist_forecast"] = hplan["forecast"]["total_seconds"]
            r["hist_forecast_basis"] = sorted({b for w in hplan["waves"] for b in w["forecast_basis"]})
            r["hist_waves"] = [w["size"] for w in hplan["waves"]]
            r["hist_actual_wall"] = sum(w["seconds"] for w in logs[-1]["ansible_facts"]["vlcm_wave_log"]) if logs else 0.0
            f["runs"].append(r)
            print(f"repeat {i + 1}/{args.repeat} done", file=sys.stderr)
    finally:
        seq_bench.stop()
        role_bench.stop()
    return f


def phase_rows(runs: list[dict[str, Any]], d: dict[str, float], host_s: float, ts: float) -> list[tuple[str, str]]:
    """The role's wall by phase (runs made since the callback records task start and end)."""
    rows: list[tuple[str, str]] = []
    rows.append(("", ""))
    rows.append(("where the role's wall goes, measured (task start/end), median (min-max), wall s", "scenario's own"))
    own = {"scan": d["scan"], "stage": d["download"], "plan": 0.0, "pre-check": d["check"],
           "waves": runs[0]["phases"]["batches"] * host_s, "between waves": 0.0}
    for key in ("scan", "stage", "plan", "pre-check", "waves", "between waves"):
        rows.append((f"  {key}" + (f" ({runs[0]['phases']['batches']} batches)" if key == "waves" else ""),
                     f"{Spread([r['phases'][key] for r in runs]).text('{:.1f}', ' s'):<28}{own[key] * ts:.1f} s"))
    rows.append(("  the rest (start-up, set_fact/assert/debug tasks, summary)",
                 Spread([r["role_wall"] - sum(r["phases"][k] for k in own) for r in runs]).text("{:.1f}", " s")))
    return rows


def table(f: dict[str, Any]) -> str:
    ts, sts, runs = f["time_scale"], f["sequential_time_scale"], f["runs"]
    d = f["durations"]
    host_s = per_host_seconds(d, f["vms_per_host"])
    k = runs[0]["plan_sizes"][0]
    bound = math.ceil(f["hosts"] / k) * host_s + d["download"]
    role_s = [(r["role_wall"] - r["role_fixed"]) / ts for r in runs]
    role_raw = [r["role_wall"] / ts for r in runs]
    seq_s = [(r["seq_wall"] - r["seq_fixed"]) / sts for r in runs]
    hist_actual = [r["hist_actual_wall"] / ts for r in runs]
    rows: list[tuple[str, str]] = []

    def sp(values: list[float], fmt: str = "{:.0f}", unit: str = " s") -> str:
        return Spread(values).text(fmt, unit)

    rows.append(("measured: median (min-max); scenario seconds = wall / time scale", ""))
    rows.append((f"sequential default (remediate on the cluster), minus its fixed cost (ts {sts:g})", sp(seq_s)))
    rows.append(("  its fixed cost (remediate with nothing to do, wall)", sp([r["seq_fixed"] for r in runs], "{:.1f}")))
    rows.append((f"role (rolling_remediation.yml), minus its fixed cost (ts {ts:g})", sp(role_s)))
    rows.append(("  role, fixed cost not subtracted", sp(role_raw)))
    rows.append(("  its fixed cost (the same run again, nothing to do, wall)", sp([r["role_fixed"] for r in runs], "{:.1f}")))
    rows.append(("orchestration overhead per host (role - lower bound) / hosts",
                 sp([(s - bound) / f["hosts"] for s in role_s], "{:.1f}")
                 + f"  (wall: {Spread([(s - bound) * ts / f['hosts'] for s in role_s]).text('{:.2f}', ' s')})"))
    rows.append((f"forecast vs actual window, {HISTORY} (history recorded)",
                 f"{runs[0]['hist_forecast']} s forecast ({', '.join(runs[0]['hist_forecast_basis'])}, waves "
                 f"{runs[0]['hist_waves']}) / {Spread(hist_actual).text('{:.0f}', ' s')} actual"))
    rows.append(("", ""))
    rows.append(("counted (/sim/counters, /sim/state)", ""))
    rows.append(("plan (wave sizes) / waves run", f"{runs[0]['plan_sizes']} / {runs[0]['waves_run']}"))
    rows.append(("peak hosts in maintenance mode: role vs k / sequential",
                 f"{max(r['role_peak'] for r in runs)} vs k = {k} / {max(r['seq_peak'] for r in runs)}"))
    rows.append(("capacity violations: role / sequential",
                 f"{sum(r['role_violations'] for r in runs)} / {sum(r['seq_violations'] for r in runs)}"))
    rows.append(("hosts compliant and out of maintenance mode after the role",
                 f"{min(r['compliant'] for r in runs)} of {f['hosts']}"))
    rows.append(("re-run of the role: mutating calls", json.dumps([r["rerun_mutating"] for r in runs])))
    rows.append(("", ""))
    rows.append(("ratios of measured figures, per repeat: median (min-max)", ""))
    rows.append(("role / lower bound", Spread([s / bound for s in role_s]).text("{:.3f}", "")))
    rows.append(("  fixed cost not subtracted", Spread([s / bound for s in role_raw]).text("{:.3f}", "")))
    rows.append(("role / sequential default", ratio_spread(role_s, seq_s).text("{:.3f}", "")))
    rows.append(("forecast / actual window (History-04)",
                 Spread([r["hist_forecast"] / a for r, a in zip(runs, hist_actual, strict=True)]).text("{:.3f}", "")))
    if all("phases" in r for r in runs):
        rows.extend(phase_rows(runs, d, host_s, ts))
    rows.append(("", ""))
    rows.append(("computed from the scenario's durations (/sim/state), not measured", ""))
    rows.append(("per-host time = enter + VMs x evacuate + install + reboot + exit",
                 f"{d['enter_maintenance']:g} + {f['vms_per_host']} x {d['evacuate_per_vm']:g} + {d['install']:g} + "
                 f"{d['reboot']:g} + {d['exit_maintenance']:g} = {host_s:g} s"))
    rows.append(("lower bound = ceil(hosts / k) x per-host time + one staging pass",
                 f"ceil({f['hosts']} / {k}) x {host_s:g} + {d['download']:g} = {bound:g} s"))
    rows.append(("sequential lower bound = hosts x per-host time + staging",
                 f"{f['hosts']} x {host_s:g} + {d['download']:g} = {f['hosts'] * host_s + d['download']:g} s"))
    if all("wave_vms" in r for r in runs):
        vms = runs[0]["wave_vms"]
        moved = sum(per_host_seconds(d, n) for n in vms) + d["download"]
        rows.append(("bound counting the VMs earlier waves moved: sum over waves of one host's time with the most",
                     ""))
        rows.append((f"  VMs on a host of the wave at its turn (plan: {vms}) + staging",
                     f"{moved:g} s; role / it: {Spread([s / moved for s in role_s]).text('{:.3f}', '')}"))
    width = max(len(a) for a, _ in rows) + 2
    return "\n".join(f"{a:<{width}}{b}".rstrip() for a, b in rows)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--time-scale", type=float, default=0.1, help="for the role runs")
    parser.add_argument("--sequential-time-scale", type=float, default=0.02, help="for the sequential default")
    parser.add_argument("--task-poll-max", type=float, default=1.0, help="vlcm_task_poll_max of the role runs")
    parser.add_argument("--repeat", type=int, default=1)


def main(argv: list[str] | None = None) -> int:
    return main_of(__doc__, arguments, run, table, argv)


if __name__ == "__main__":
    sys.exit(main())
