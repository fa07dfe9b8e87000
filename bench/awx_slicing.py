#!/usr/bin/env python3
"""AWX job slicing of the rolling playbook (issue 9 item 8): 1, 2 and 4 slices against one vCenter (vlcmsim, fleet).

What AWX does for a sliced job template, done here with the same pieces (see docs/awx.md):

1. inventory sync: the inventory plugin ``vsphere.lifecycle.vcenter`` run once (``ansible-inventory --list`` over
   ``playbooks/inventory/demo.vcenter.yml``), its clusters (group ``vlcm_clusters``) sorted by name, the first
   ``--clusters`` of them kept (a subset keeps the run to a few minutes);
2. slicing: slice i of N gets the hosts ``[i::N]`` (AWX: ``hosts[slice_number - 1::slice_count]``), written as a
   static inventory with the synced host variables;
3. N jobs at once: one process per slice, each ``ansible_runner.run`` of ``rolling_remediation.yml`` in its own
   private data dir, the connection only in ``envvars`` (AWX's VMware credential injection), no env files.

Each configuration starts from a reset simulator. Figures per configuration (median (min-max) over ``--repeat``):
the wall time from the first job's start to the last job's end, its ratio to 1 slice (per repeat), and from
``/sim/counters``: the peak of vLCM tasks running at once on the one vCenter (``max_concurrent_tasks``), capacity
violations, the highest peak of hosts in maintenance mode of any cluster; from ``/sim/state``: the clusters whose
hosts are all compliant and out of maintenance mode afterwards.

    .venv/bin/python bench/awx_slicing.py [--clusters 8] [--slices 1 2 4] [--time-scale 0.01] [--forks 5] [--repeat 1]

It measures, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from _common import BIN, REPO, Spread, Workbench, main_of

INVENTORY = REPO / "playbooks" / "inventory" / "demo.vcenter.yml"


def plain(value: Any) -> Any:
    """ansible-inventory's JSON marks strings from outside as ``{"__ansible_unsafe": "..."}``: the bare values
    (AWX stores the synced variables as plain JSON too)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def sync_inventory(bench: Workbench) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """AWX's inventory update: the plugin once; (cluster inventory hosts sorted by name, their host variables)."""
    proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(INVENTORY), "--list"], env=bench.env,
                          cwd=str(bench.workdir), capture_output=True, text=True, timeout=600, check=True)
    data = plain(json.loads(proc.stdout))
    hosts = sorted(data.get("vlcm_clusters", {}).get("hosts", []))
    hostvars = data.get("_meta", {}).get("hostvars", {})
    return hosts, {h: hostvars.get(h, {}) for h in hosts}


def slices(hosts: list[str], count: int) -> list[list[str]]:
    """AWX's job slicing: slice i (0-based) of ``count`` takes hosts[i::count]; empty slices are not launched."""
    return [part for part in (hosts[i::count] for i in range(count)) if part]


def private_data_dir(root: Path, hosts: list[str], hostvars: dict[str, dict[str, Any]]) -> Path:
    """What AWX lays out for one slice: project/ (the playbooks) and inventory/hosts.yml (the slice's hosts)."""
    shutil.copytree(REPO / "playbooks", root / "project", ignore=shutil.ignore_patterns("inventory"))
    (root / "inventory").mkdir()
    inventory = {"all": {"children": {"vlcm_clusters": {"hosts": {h: hostvars[h] for h in hosts}}}}}
    (root / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=True))
    return root


def run_slice(pdd: str, envvars: dict[str, str], extravars: dict[str, Any], queue: Any) -> None:
    """One sliced job (its own process, as AWX runs each slice as a job of its own)."""
    import ansible_runner

    for key in [k for k in os.environ if k.startswith(("VMWARE_", "ANSIBLE_"))]:
        del os.environ[key]          # runner starts from this process's environment: only envvars may say these
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"     # ansible-playbook of this venv
    start = time.time()
    r = ansible_runner.run(private_data_dir=pdd, playbook="rolling_remediation.yml", envvars=envvars,
                           inventory=str(Path(pdd) / "inventory" / "hosts.yml"), extravars=extravars,
                           suppress_env_files=True, quiet=True, settings={"job_timeout": 3600})
    queue.put({"pdd": pdd, "status": r.status, "rc": r.rc, "start": start, "end": time.time(),
               "failures": dict(r.stats.get("failures", {})) if r.stats else {}})


def run_config(bench: Workbench, work: Path, hosts: list[str], hostvars: dict[str, dict[str, Any]], count: int,
               args: argparse.Namespace) -> dict[str, Any]:
    bench.sim.reset()
    envvars = {**bench.sim.env(), "ANSIBLE_COLLECTIONS_PATH": bench.env["ANSIBLE_COLLECTIONS_PATH"],
               "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_LOCALHOST_WARNING": "false",
               "ANSIBLE_FORKS": str(args.forks)}
    extravars = {"vlcm_accept_eula": True, "vlcm_task_poll_max": max(0.1, round(10 * args.time_scale, 3))}
    queue: Any = multiprocessing.get_context("spawn").Queue()
    procs = []
    for i, part in enumerate(slices(hosts, count)):
        pdd = private_data_dir(work / f"slice{i + 1}of{count}", part, hostvars)
        env = {**envvars, "ANSIBLE_HOME": str(pdd / ".ansible_home"), "ANSIBLE_LOCAL_TEMP": str(pdd / ".ansible_tmp")}
        proc = multiprocessing.get_context("spawn").Process(target=run_slice, args=(str(pdd), env, extravars, queue))
        procs.append(proc)
    started = time.time()
    for proc in procs:
        proc.start()
    jobs = [queue.get(timeout=7200) for _ in procs]
    for proc in procs:
        proc.join()
    ended = max(j["end"] for j in jobs)
    counters, state = bench.sim.counters(), bench.sim.state()
    wanted = {hostvars[h].get("vlcm_cluster", h) for h in hosts}
    ids = {c["name"]: c["id"] for c in state["clusters"] if c["name"] in wanted}
    done = [name for name, cid in ids.items()
            if all(h["compliance_status"] == "COMPLIANT" and not h["in_maintenance"]
                   for h in state["hosts"] if h["cluster"] == cid)]
    return {"slices": len(procs), "wall": ended - started, "jobs": [j["end"] - j["start"] for j in jobs],
            "failed_jobs": sum(1 for j in jobs if j["status"] != "successful"),
            "max_concurrent_tasks": counters.get("max_concurrent_tasks"),
            "capacity_violations": counters["capacity_violations"],
            "peak_in_maintenance": max((counters["max_hosts_in_maintenance_per_cluster"].get(cid, 0)
                                        for cid in ids.values()), default=0),
            "clusters_done": len(done), "clusters": len(ids)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-awx-slicing-"))
    bench = Workbench("fleet", args.time_scale, work / "bench")
    figures: dict[str, Any] = {"time_scale": args.time_scale, "forks": args.forks, "repeat": args.repeat,
                               "configs": {}}
    try:
        hosts, hostvars = sync_inventory(bench)
        figures["clusters_in_fleet"] = len(hosts)
        hosts = hosts[:args.clusters]
        figures["clusters"] = len(hosts)
        figures["hosts_per_cluster"] = sorted({int(hostvars[h].get("vlcm_host_count") or 0) for h in hosts})
        for r in range(args.repeat):
            for count in args.slices:
                out = run_config(bench, work / f"r{r}", hosts, hostvars, count, args)
                figures["configs"].setdefault(str(count), []).append(out)
                print(f"repeat {r + 1}/{args.repeat}, {count} slice(s): {out['wall']:.1f} s", file=sys.stderr)
    finally:
        bench.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return figures


def table(f: dict[str, Any]) -> str:
    configs = f["configs"]
    base = configs.get("1")
    head = ("slices", "jobs", "wall (s)", "wall / 1 slice", "peak vLCM tasks at once", "capacity violations",
            "peak hosts in MM (a cluster)", "clusters done", "failed jobs")
    rows = [head]
    for key in sorted(configs, key=int):
        runs = configs[key]
        ratio = (Spread([r["wall"] / b["wall"] for r, b in zip(runs, base, strict=False)]).text("{:.2f}")
                 if base else "-")
        rows.append((key, str(runs[0]["slices"]), Spread([r["wall"] for r in runs]).text("{:.1f}"), ratio,
                     f"{max(r['max_concurrent_tasks'] for r in runs)}", str(sum(r["capacity_violations"] for r in runs)),
                     str(max(r["peak_in_maintenance"] for r in runs)),
                     f"{min(r['clusters_done'] for r in runs)}/{runs[0]['clusters']}",
                     str(sum(r["failed_jobs"] for r in runs))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [f"fleet scenario, {f['clusters']} of {f['clusters_in_fleet']} clusters ({', '.join(map(str, f['hosts_per_cluster']))}"
             f" hosts each), time scale {f['time_scale']:g}, forks {f['forks']} per job, one simulated vCenter;"
             " wall: median (min-max) over repeats; counted: /sim/counters, /sim/state (max / sum over repeats)"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clusters", type=int, default=8, help="the first N clusters of the fleet (by name)")
    parser.add_argument("--slices", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--forks", type=int, default=5, help="forks of each job (AWX job template: Forks)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the private data dirs (artifacts) of the jobs")


def check(args: argparse.Namespace) -> str | None:
    if args.clusters < 1 or any(s < 1 for s in args.slices) or args.time_scale <= 0:
        return "--clusters and --slices must be 1 or more, --time-scale more than 0"
    return None


def main(argv: list[str] | None = None) -> int:
    return main_of(__doc__, arguments, run, table, argv, check)


if __name__ == "__main__":
    sys.exit(main())
