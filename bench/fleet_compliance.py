#!/usr/bin/env python3
"""Fleet compliance benchmark: the 1,024-host report, before and after issue 12, in one run.

Starts a simulator on the ``fleet`` scenario (32 image-managed clusters x 32 hosts; a scan takes the scenario's
30 s x ``--time-scale``, default 0.01 = 0.3 s) and runs, from a reset simulator each time, with the connection
only in the VMWARE_* variables (and the simulator's CA), as a user or AWX would:

- ``before``: the report as it was until issue 12 (``bench/legacy/compliance_report.yml``, kept verbatim):
  ``cluster_info``, then one ``compliance`` module per cluster, ``vlcm_parallel`` at a time with async jobs,
  the summary, the JSON file (``vlcm_report_file``);
- ``after @ P``: ``playbooks/compliance_report.yml`` on role ``compliance_report``: one ``fleet_compliance``
  run (discovery included, one session, P scans at a time), the summary, the JSON file and the HTML page
  (``vlcm_report_dir``) and the JSON copy (``vlcm_report_file``): the same work plus the HTML page;
- ``ansible-playbook`` on a one-task play (its fixed cost, for reference).

Every kind of run is repeated ``--repeat`` times, interleaved (before, after, ... in turn), and reported as
median (min-max). REST calls, logins and scans per cluster come from ``/sim/counters`` of the last run of
each kind. Each report's JSON is checked against ``/sim/state`` (every image-managed cluster and every host
in it), or the script fails.

    .venv/bin/python bench/fleet_compliance.py [--time-scale 0.01] [--repeat 3] [--parallel 8,32] [--json PATH]

It measures, it does not assert (apart from the completeness check); not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import BIN, REPO, Spread, Workbench, ratio_spread

AFTER = REPO / "playbooks" / "compliance_report.yml"
BEFORE = REPO / "bench" / "legacy" / "compliance_report.yml"
SCAN_KEY = "POST /api/esx/settings/clusters/{cluster}/software?action=scan"
GOAL_SECONDS = 10.0

NOOP_PLAY = """\
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Nothing
      ansible.builtin.debug:
        msg: fixed cost of ansible-playbook
"""


def api_cost(counters: dict[str, Any]) -> dict[str, Any]:
    calls = counters.get("calls", {})
    return {"rest_calls": sum(n for k, n in calls.items() if " /api/" in k),
            "soap_calls": sum(n for k, n in calls.items() if " /sdk" in k),
            "logins": sum(counters.get("logins", {}).values()),
            "scans": int(calls.get(SCAN_KEY, 0)),
            "task_polls": sum(n for k, n in calls.items() if k.startswith("GET /api/cis/tasks/")),
            "live_sessions": sum(counters.get("live_sessions", {}).values())}


def check_report(report: dict[str, Any], state: dict[str, Any]) -> int:
    """Hosts in the report; fails unless it covers every image-managed cluster and every host in them."""
    managed = {c["name"]: c["id"] for c in state["clusters"] if c["image_managed"]}
    got = {r["target"]["name"]: r for r in report["clusters"]}
    if sorted(got) != sorted(managed):
        raise RuntimeError(f"report clusters {sorted(got)} != {sorted(managed)}")
    hosts = 0
    for name, cid in managed.items():
        expected = sorted(h["name"] for h in state["hosts"] if h["cluster"] == cid)
        listed = sorted(h["name"] for h in got[name].get("hosts", []))
        if listed != expected:
            raise RuntimeError(f"report of {name}: hosts {listed} != {expected}")
        hosts += len(listed)
    return hosts


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.bench = Workbench(args.scenario, args.time_scale, workdir)
        state = self.bench.sim.state()
        self.managed = [c for c in state["clusters"] if c["image_managed"]]
        self.hosts = sum(1 for h in state["hosts"] if h["cluster"] in {c["id"] for c in self.managed})
        self.scan = state["durations"]["scan"] * args.time_scale
        self.walls: dict[str, list[float]] = {}
        self.cost: dict[str, dict[str, Any]] = {}
        self.checked: dict[str, int] = {}
        self.load: list[float] = []
        (workdir / "noop.yml").write_text(NOOP_PLAY)

    def run(self, kind: str, playbook: Path, variables: dict[str, Any] | None) -> None:
        self.bench.sim.reset()
        out = self.workdir / f"{kind.replace(' ', '_').replace('@', 'at')}.json"
        out.unlink(missing_ok=True)
        extra = ["-e", json.dumps({**variables, "vlcm_report_file": str(out)})] if variables is not None else []
        wall, _ = self.bench.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook), *extra])
        self.walls.setdefault(kind, []).append(wall)
        self.bench.sim.wait_sessions_closed()
        self.cost[kind] = api_cost(self.bench.sim.counters())
        if variables is not None:
            self.checked[kind] = check_report(json.loads(out.read_text()), self.bench.sim.state())

    def measure(self) -> None:
        self.load.append(os.getloadavg()[0])
        for _ in range(self.args.repeat):
            self.run("ansible-playbook, one-task play", self.workdir / "noop.yml", None)
            self.run(f"before @ {self.args.before_parallel}", BEFORE, {"vlcm_parallel": self.args.before_parallel})
            for p in self.args.parallel:
                self.run(f"after @ {p}", AFTER, {"vlcm_parallel": p,
                                                  "vlcm_report_dir": str(self.workdir / f"report-{p}")})
            self.load.append(os.getloadavg()[0])

    def figures(self) -> dict[str, Any]:
        return {"walls": self.walls, "cost": self.cost, "hosts": self.hosts, "clusters": len(self.managed),
                "scan_seconds": self.scan, "load_average_1min": self.load}


def table(b: Bench, args: argparse.Namespace) -> str:
    n = len(b.managed)
    before = f"before @ {args.before_parallel}"
    rows = []
    for kind, walls in b.walls.items():
        cost = b.cost[kind]
        per = (f"{cost['rest_calls'] / n:6.2f}  {cost['logins'] / n:6.3f}  {cost['scans']:5d}  "
               f"{cost['task_polls'] / n:5.2f}") if kind in b.checked else f"{'':6}  {'':6}  {'':5}  {'':5}"
        rows.append(f"{kind:<32} {Spread(walls).text(unit=' s'):<24} {per}  {b.checked.get(kind, '')}")
    header = (f"{'run':<32} {'wall: median (min-max)':<24} {'REST/c':>6}  {'login/c':>6}  {'scans':>5}  "
              f"{'poll/c':>5}  hosts in report")
    lines = [f"fleet compliance report: scenario {args.scenario} ({n} clusters, {b.hosts} hosts), time scale "
             f"{args.time_scale:g} (scan {b.scan:.2f} s), {args.repeat} run(s) of each, interleaved",
             f"machine: {os.cpu_count()} CPU(s), 1-min load average before and after each round: "
             f"{', '.join(f'{x:.1f}' for x in b.load)}",
             "", "measured (wall) and counted (/sim/counters, last run of each kind; /c = per cluster)",
             "-" * len(header), header, "-" * len(header), *rows]
    lines += ["", "computed from the measured walls", "-" * len(header)]
    for p in args.parallel:
        after = f"after @ {p}"
        speedup = ratio_spread(b.walls[before], b.walls[after])
        med = Spread(b.walls[after]).median
        lines.append(f"{before} / {after} (paired runs): {speedup.text(unit='x')}; {after}: "
                     f"{1000 * med / b.hosts:.1f} ms per host; goal <= {GOAL_SECONDS:g} s: "
                     f"{'met' if med <= GOAL_SECONDS else 'NOT met'} (median {med:.2f} s)")
        c_b, c_a = b.cost[before], b.cost[after]
        lines.append(f"  REST calls per cluster {c_b['rest_calls'] / n:.2f} -> {c_a['rest_calls'] / n:.2f}, "
                     f"logins per cluster {c_b['logins'] / n:.3f} -> {c_a['logins'] / n:.3f}, "
                     f"SOAP calls {c_b['soap_calls']} -> {c_a['soap_calls']}")
    lines += ["", "notes:",
              "- 'before' is the playbook of issue 4 (bench/legacy/), one compliance module per cluster in async",
              "  batches; 'after' is one fleet_compliance run that also renders the HTML page (more work).",
              "- both include ansible-playbook start-up, discovery, the summary and the report file(s).",
              "- wall times on this machine (2 shared vCPUs, other jobs running): compare ratios within a run."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="fleet", help="scenario (default fleet: 32 x 32 hosts)")
    parser.add_argument("--time-scale", type=float, default=0.01,
                        help="simulator time scale (default 0.01: a 30 s scan takes 0.3 s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind (default 3)")
    parser.add_argument("--parallel", default="8,32",
                        help="vlcm_parallel values of the new report, comma-separated (default 8,32)")
    parser.add_argument("--before-parallel", type=int, default=8,
                        help="vlcm_parallel of the old report (default 8, its default)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    args.parallel = [int(p) for p in str(args.parallel).split(",") if p.strip()]
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        bench = Bench(args, Path(tmp))
        try:
            bench.measure()
        finally:
            bench.bench.stop()
    print(table(bench, args))
    if args.json:
        args.json.write_text(json.dumps({**bench.figures(), "time_scale": args.time_scale,
                                         "parallel": args.parallel, "before_parallel": args.before_parallel},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
