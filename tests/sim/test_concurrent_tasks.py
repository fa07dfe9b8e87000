"""The counters ``running_tasks`` / ``max_concurrent_tasks`` of /sim/counters: vLCM (REST) tasks running at once on
one simulated vCenter (what bench/awx_slicing.py reports for parallel jobs). Judged against the tasks' own
start and finish times in /sim/state, not against the counter's own bookkeeping; SOAP tasks are not counted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from _simapi import Api, build_scenario, cluster, host


def _t(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def peak_overlap(windows: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in windows] + [(e, -1) for _, e in windows])   # ends sort before starts
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


def three_clusters(tmp_path: Path) -> Path:
    return build_scenario(tmp_path, [cluster(f"C{i}", [host(f"esxi-{i}.lab")]) for i in range(3)])


def rest_windows(api: Api) -> list[tuple[float, float]]:
    return [(_t(t["started"]), _t(t["finished"])) for t in api.state()["tasks"]
            if t["protocol"] == "rest" and t["started"] and t["finished"]]


def test_three_scans_at_once_peak_at_three_and_the_count_returns_to_zero(
        sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    api = sim_factory(three_clusters(tmp_path), time_scale=0.05)     # a scan: 1.5 s, far longer than three POSTs
    assert api.counters()["max_concurrent_tasks"] == 0 and api.counters()["running_tasks"] == 0
    ids = []
    for i in range(3):           # started back to back
        r = api.post(f"{api.cpath(f'C{i}')}?action=scan&vmw-task=true")
        assert r.status_code == 200, r.text
        ids.append(r.json())
    assert all(api.wait(tid)["status"] == "SUCCEEDED" for tid in ids)
    windows = rest_windows(api)
    assert len(windows) == 3 and peak_overlap(windows) == 3
    c = api.counters()
    assert c["max_concurrent_tasks"] == peak_overlap(windows) == 3
    assert c["running_tasks"] == 0


def test_control_scans_one_after_another_peak_at_one(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    api = sim_factory(three_clusters(tmp_path))
    for i in range(3):
        assert api.task(api.cpath(f"C{i}"), "scan")["status"] == "SUCCEEDED"
    windows = rest_windows(api)
    assert len(windows) == 3 and peak_overlap(windows) == 1
    assert api.counters()["max_concurrent_tasks"] == 1 and api.counters()["running_tasks"] == 0
    api.sim.reset()
    assert api.counters()["max_concurrent_tasks"] == 0
