#!/usr/bin/env python3
"""Simulator request latency under concurrent REST clients (issue 2, "Must show").

N client threads (default 50) run for D seconds (default 20). Each client logs in
(``POST /api/session``), then repeatedly scans a cluster (``POST .../software?action=scan&
vmw-task=true``), polls the task (``GET /api/cis/tasks/{task}``) until it ends and reads the
compliance (``GET .../software/compliance``); every few cycles it logs out and in again, and
it logs out at the end. Latency is measured per request on the client side (wall time of
``requests``' call, so it includes TLS and the client's own thread scheduling).

The script starts and stops its own simulator:

    .venv/bin/python bench/sim_latency.py [--clients 50] [--duration 20] [--scenario demo]

It prints, per endpoint class (session, scan, compliance, task poll), the count and the
p50 / p90 / p99 / max latency in ms, the p99/p50 ratio, the overall throughput, and the
simulator's own counters afterwards (live sessions, tasks not finished). The same load
generator (:func:`run_load`) is used by tests/load/test_concurrent_clients.py.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from vlcmsim.testing import SimulatorHandle, start_simulator

SESSION_HEADER = "vmware-api-session-id"
CLASSES = ("session", "scan", "compliance", "task poll")
FINAL = ("SUCCEEDED", "FAILED")


@dataclass
class LoadReport:
    clients: int
    duration: float                     # requested seconds of load
    elapsed: float = 0.0                # wall seconds from start to the last client's logout
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    unfinished_tasks: list[str] = field(default_factory=list)
    cycles: int = 0
    logins: int = 0
    logouts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(q / 100.0 * len(sorted_values))))
    return sorted_values[rank - 1]


class _Client:
    """One simulated REST client with its own connection pool."""

    def __init__(self, index: int, url: str, ca: str | bool, username: str, password: str,
                 clusters: list[str], report: LoadReport, timeout: float) -> None:
        self.index = index
        self.url = url
        self.username = username
        self.password = password
        self.cluster = clusters[index % len(clusters)]
        self.report = report
        self.timeout = timeout
        self.http = requests.Session()
        self.http.trust_env = False      # REQUESTS_CA_BUNDLE must not replace the simulator's CA
        self.http.verify = ca
        self.logged_in = False

    def _call(self, cls: str, method: str, path: str, expect: tuple[int, ...], **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            response = self.http.request(method, self.url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            elapsed = time.perf_counter() - start
            with self.report.lock:
                self.report.latencies[cls].append(elapsed)
                self.report.errors.append(f"client {self.index}: {method} {path}: {exc!r}")
            raise
        elapsed = time.perf_counter() - start
        with self.report.lock:
            self.report.latencies[cls].append(elapsed)
            if response.status_code not in expect:
                self.report.errors.append(f"client {self.index}: {method} {path} -> {response.status_code} "
                                          f"{response.text[:300]}")
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path} -> {response.status_code}")
        return response.json() if response.content else None

    def login(self) -> None:
        session_id = self._call("session", "POST", "/api/session", (200, 201), auth=(self.username, self.password))
        if not isinstance(session_id, str):
            raise RuntimeError(f"session id is not a JSON string: {session_id!r}")
        self.http.headers[SESSION_HEADER] = session_id
        self.logged_in = True
        with self.report.lock:
            self.report.logins += 1

    def logout(self) -> None:
        if not self.logged_in:
            return
        self.logged_in = False
        self._call("session", "DELETE", "/api/session", (200, 204))
        self.http.headers.pop(SESSION_HEADER, None)
        with self.report.lock:
            self.report.logouts += 1

    def cycle(self, poll_interval: float, task_timeout: float) -> None:
        base = f"/api/esx/settings/clusters/{self.cluster}/software"
        task_id = self._call("scan", "POST", base, (200, 201, 202), params={"action": "scan", "vmw-task": "true"})
        if not isinstance(task_id, str):
            raise RuntimeError(f"task id is not a JSON string: {task_id!r}")
        with self.report.lock:
            self.report.tasks.append(task_id)
        deadline = time.monotonic() + task_timeout
        while True:
            info = self._call("task poll", "GET", f"/api/cis/tasks/{task_id}", (200,))
            status = info.get("status")
            if status in FINAL:
                if status != "SUCCEEDED":
                    with self.report.lock:
                        self.report.errors.append(f"client {self.index}: task {task_id} {status}: "
                                                  f"{info.get('error')}")
                break
            if status == "RUNNING" and "progress" not in info:
                with self.report.lock:
                    self.report.errors.append(f"client {self.index}: RUNNING task {task_id} without progress")
            if time.monotonic() > deadline:
                with self.report.lock:
                    self.report.unfinished_tasks.append(task_id)
                    self.report.errors.append(f"client {self.index}: task {task_id} not finished "
                                              f"after {task_timeout}s (last status {status})")
                break
            time.sleep(poll_interval)
        compliance = self._call("compliance", "GET", f"{base}/compliance", (200,))
        if compliance.get("status") not in ("COMPLIANT", "NON_COMPLIANT", "INCOMPATIBLE", "UNAVAILABLE"):
            with self.report.lock:
                self.report.errors.append(f"client {self.index}: compliance status {compliance.get('status')!r}")
        with self.report.lock:
            self.report.cycles += 1

    def run(self, stop_at: float, cycles_per_session: int, poll_interval: float, task_timeout: float) -> None:
        try:
            while time.monotonic() < stop_at:
                self.login()
                try:
                    for _ in range(cycles_per_session):
                        if time.monotonic() >= stop_at:
                            break
                        self.cycle(poll_interval, task_timeout)
                finally:
                    self.logout()
        except Exception as exc:   # noqa: BLE001 - recorded; the report decides
            with self.report.lock:
                if not any(f"client {self.index}:" in e for e in self.report.errors[-5:]):
                    self.report.errors.append(f"client {self.index}: {exc!r}")
            try:
                self.logout()
            except Exception:   # noqa: BLE001 - already recorded
                pass
        finally:
            self.http.close()


def cluster_ids(sim: SimulatorHandle) -> list[str]:
    """Image-managed cluster ids from the admin snapshot."""
    return [c["id"] for c in sim.state()["clusters"] if c.get("image_managed", True)]


def run_load(sim: SimulatorHandle, clients: int = 50, duration: float = 20.0, cycles_per_session: int = 5,
             poll_interval: float = 0.05, task_timeout: float = 30.0, request_timeout: float = 30.0) -> LoadReport:
    """Run the load; return when every client has logged out (bounded by duration + task/request timeouts)."""
    clusters = cluster_ids(sim)
    if not clusters:
        raise RuntimeError("the scenario has no image-managed cluster")
    report = LoadReport(clients=clients, duration=duration)
    start = time.monotonic()
    stop_at = start + duration
    threads = []
    for index in range(clients):
        client = _Client(index, sim.url, sim.verify, sim.username, sim.password, clusters, report,
                         request_timeout)
        thread = threading.Thread(target=client.run, name=f"load-client-{index}", daemon=True,
                                  args=(stop_at, cycles_per_session, poll_interval, task_timeout))
        threads.append(thread)
        thread.start()
    hard_deadline = stop_at + task_timeout + 3 * request_timeout
    for thread in threads:
        thread.join(max(0.0, hard_deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        report.errors.append(f"clients still running after the hard deadline: {stuck}")
    report.elapsed = time.monotonic() - start
    return report


def format_report(report: LoadReport) -> str:
    lines = [f"{report.clients} clients x {report.duration:g} s: {report.requests} requests in "
             f"{report.elapsed:.1f} s = {report.requests / report.elapsed:.0f} req/s; "
             f"{report.cycles} scan cycles, {report.logins} logins, {len(report.tasks)} tasks, "
             f"{len(report.errors)} errors",
             "",
             f"{'endpoint class':<14} {'count':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
             f"{'p99/p50':>8}"]
    every: list[float] = []
    for cls in CLASSES:
        values = sorted(report.latencies.get(cls, []))
        every.extend(values)
        lines.append(_row(cls, values))
    lines.append(_row("all", sorted(every)))
    for error in report.errors[:10]:
        lines.append(f"error: {error}")
    return "\n".join(lines)


def summary(report: LoadReport, scenario: str, time_scale: float, counters: dict[str, Any],
            open_tasks: int) -> dict[str, Any]:
    """The benchmark's figures as a JSON-able dict (milliseconds)."""
    series = {cls: sorted(report.latencies.get(cls, [])) for cls in CLASSES}
    series["all"] = sorted(v for values in series.values() for v in values)
    classes: dict[str, Any] = {}
    for cls, values in series.items():
        if values:
            p50, p90, p99 = (percentile(values, q) * 1000 for q in (50, 90, 99))
            classes[cls] = {"count": len(values), "p50_ms": round(p50, 2), "p90_ms": round(p90, 2),
                            "p99_ms": round(p99, 2), "max_ms": round(values[-1] * 1000, 2),
                            "p99_over_p50": round(p99 / p50, 2) if p50 else None}
    return {"scenario": scenario, "time_scale": time_scale, "clients": report.clients,
            "duration_s": report.duration, "elapsed_s": round(report.elapsed, 2), "requests": report.requests,
            "throughput_rps": round(report.requests / report.elapsed, 1), "errors": len(report.errors),
            "tasks": len(report.tasks), "tasks_not_finished": open_tasks,
            "live_sessions_after": counters["live_sessions"], "latency": classes}


def _row(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<14} {0:>7} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {'-':>8}"
    p50, p90, p99 = (percentile(values, q) * 1000 for q in (50, 90, 99))
    return (f"{name:<14} {len(values):>7} {p50:>8.1f} {p90:>8.1f} {p99:>8.1f} {values[-1] * 1000:>8.1f} "
            f"{p99 / p50 if p50 else float('nan'):>8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--scenario", default="demo", help="vlcmsim scenario (demo|tiny|fleet|PATH)")
    parser.add_argument("--time-scale", type=float, default=0.001,
                        help="simulated durations x this (0.001: a 30 s scan takes 30 ms)")
    parser.add_argument("--cycles-per-session", type=int, default=5,
                        help="scan cycles between a client's login and logout")
    parser.add_argument("--poll-interval", type=float, default=0.05, help="seconds between task polls")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="vlcmsim-bench-") as state_dir:
        sim = start_simulator(args.scenario, time_scale=args.time_scale, state_dir=Path(state_dir))
        try:
            report = run_load(sim, args.clients, args.duration, args.cycles_per_session, args.poll_interval)
            counters = sim.counters()
            tasks = sim.state()["tasks"]
        finally:
            sim.stop()
    print(f"scenario {args.scenario}, time scale {args.time_scale:g}")
    print(format_report(report))
    open_tasks = [t["id"] for t in tasks if t["status"] not in FINAL]
    print(f"\nsimulator afterwards: live sessions {counters['live_sessions']}, logins {counters['logins']}, "
          f"tasks {len(tasks)} ({len(open_tasks)} not finished)")
    if args.json:
        Path(args.json).write_text(json.dumps(summary(report, args.scenario, args.time_scale, counters,
                                                      len(open_tasks)), indent=2) + "\n")
    return 1 if report.errors or open_tasks or any(counters["live_sessions"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
