# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix, simulator restarts: vCenter (vlcmsim) stops and starts again on the same port with the same state
directory (same certificate) while a module follows its task. vlcmsim keeps no inventory state across a restart,
so the new process serves the scenario as it was at the start, without the module's session and task: the module
must fail clearly (or succeed), leave no session open on the new process, and a re-run must converge."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from integration.harness import PlaybookRunner
from vlcmsim.testing import SimulatorError, SimulatorHandle, start_simulator

from .faultlib import CLUSTER_HOSTS, OPS, During, in_maintenance, running_task, runs_desired, wait_for

pytestmark = pytest.mark.faults
TIME_SCALE = 0.0005


class Restartable:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.handle = start_simulator("tiny", time_scale=TIME_SCALE, state_dir=state_dir, require_ca=True)
        self.restarts = 0

    def restart(self) -> None:
        """Stop, then start on the same port; the port may stay taken for a moment by the connections the module
        had open (the old server's side of them), so the start is tried again for up to a minute."""
        port = self.handle.port
        self.handle.stop()
        for attempt in range(120):
            try:
                self.handle = start_simulator("tiny", time_scale=TIME_SCALE, state_dir=self.state_dir, port=port,
                                              require_ca=True)
                break
            except SimulatorError as exc:
                if "Address already in use" not in str(exc) or attempt == 119:
                    raise
                time.sleep(0.5)
        self.restarts += 1


@pytest.fixture
def restartable(tmp_path: Path):
    sim = Restartable(tmp_path / "vlcmsim")
    try:
        yield sim
    finally:
        sim.handle.stop()


def restart_when(operation: str, holder: Restartable):
    def action(sim: SimulatorHandle) -> None:
        assert wait_for(sim, lambda s: running_task(s, operation)), f"no {operation} task ran"
        holder.restart()
    return action


@pytest.mark.parametrize("op_name, operation", [("remediate", "apply"), ("stage", "stage"), ("batch", "apply")],
                         ids=["restart-during-apply", "restart-during-stage", "restart-during-batch-apply"])
def test_simulator_restart(op_name: str, operation: str, restartable: Restartable, collections_path: Path,
                           tmp_path: Path, record_property: Any) -> None:
    record_property("kind", "fault")
    record_property("scenario", f"restart-during-{op_name}-{operation}")
    record_property("converged", 0)
    op = OPS[op_name]
    runner = PlaybookRunner(tmp_path, collections_path)
    first_sim = restartable.handle
    env = first_sim.env()
    with During(first_sim, restart_when(operation, restartable)) as during:
        first = runner(op.play(), env=env, extra_args=["-vvv"])
    during.check()
    assert restartable.restarts == 1
    sim = restartable.handle
    assert "Traceback" not in first.output and "MODULE FAILURE" not in first.output, first.output[-3000:]
    if not first.ok:
        msg = str(first.task("op").get("msg", ""))
        assert msg.strip() and "unexpected error" not in msg, msg
    live = sim.wait_sessions_closed()
    second = runner(op.converge(), env=sim.env())
    final = sim.state()
    live_after = sim.wait_sessions_closed()
    leaked = sum(live.values()) + sum(live_after.values())
    converged = second.ok and all(runs_desired(final, h) for h in CLUSTER_HOSTS) and not in_maintenance(final)
    record_property("sessions_leaked", leaked)
    record_property("hosts_left_in_maintenance", len(in_maintenance(final)))
    record_property("converged", int(converged))
    assert second.ok, second.output[-4000:]
    assert second.task("compliance")["status"] == "COMPLIANT"
    assert converged and leaked == 0, (live, live_after, in_maintenance(final))
