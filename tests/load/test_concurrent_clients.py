"""50 concurrent REST clients for 30 s against the simulator (issue 2, "Must show").

Each client logs in, runs cluster scan + task polling + compliance get in a loop, and logs
out (bench/sim_latency.py's load generator, the one the latency benchmark uses). Afterwards:
no error, no live REST or SOAP session, every task finished. No timing assertion: the load
is bounded (30 s, then each client finishes its cycle and logs out, with hard timeouts).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from vlcmsim.testing import start_simulator

CLIENTS = 50
DURATION = 30.0


def _load_generator() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "sim_latency.py"
    spec = importlib.util.spec_from_file_location("sim_latency", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sim_latency", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.load
def test_fifty_clients_for_thirty_seconds(tmp_path: Path) -> None:
    bench = _load_generator()
    sim = start_simulator("demo", time_scale=0.001, state_dir=tmp_path / "sim")
    try:
        report = bench.run_load(sim, clients=CLIENTS, duration=DURATION)
        counters = sim.counters()
        tasks = {t["id"]: t for t in sim.state()["tasks"]}
    finally:
        sim.stop()
    print(bench.format_report(report))
    assert report.errors == []
    assert report.cycles >= CLIENTS, "every client got through at least one scan cycle on average"
    assert report.logins == report.logouts >= CLIENTS
    assert counters["live_sessions"] == {"rest": 0, "soap": 0}
    assert counters["logins"]["rest"] == report.logins
    assert counters["logouts"]["rest"] == report.logouts
    assert set(report.tasks) <= set(tasks), "every task the clients started is known to the simulator"
    assert report.unfinished_tasks == []
    not_finished = {i: t["status"] for i, t in tasks.items() if t["status"] not in ("SUCCEEDED", "FAILED")}
    assert not_finished == {}
    failed = {i: t["error"] for i, t in tasks.items() if t["status"] == "FAILED"}
    assert failed == {}
    scans = counters["calls"].get("POST /api/esx/settings/clusters/{cluster}/software?action=scan", 0)
    assert scans == len(report.tasks)
