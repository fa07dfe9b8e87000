"""The conformance tests' names for the shared simulator client (``vlcmsim.testing``), kept for tests that
import them from here: ``RunningSim`` is ``SimulatorHandle``, ``Ids`` is ``vlcmsim.testing.Ids``."""

from __future__ import annotations

from pathlib import Path

from vlcmsim.testing import Ids, SimulatorHandle
from vlcmsim.testing import start_simulator as _start

RunningSim = SimulatorHandle

__all__ = ["Ids", "RunningSim", "start_simulator"]


def start_simulator(state_dir: Path, scenario: str = "tiny", time_scale: float = 0.001) -> SimulatorHandle:
    """``vlcmsim`` on 127.0.0.1, a free port, HTTPS with the CA from its state dir."""
    return _start(scenario, time_scale=time_scale, state_dir=state_dir, require_ca=True)
