"""Fixtures for the simulator tests: start/stop `vlcmsim` subprocesses via vlcmsim.testing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _simapi import TIME_SCALE, Api
from vlcmsim.testing import SimulatorHandle, start_simulator


@pytest.fixture
def sim_factory(tmp_path: Path) -> Iterator[Callable[..., Api]]:
    """start(scenario or path, time_scale=..., extra_args=...) -> Api; every simulator is stopped after the test."""
    started: list[SimulatorHandle] = []

    def start(scenario: str | Path = "tiny", time_scale: float = TIME_SCALE,
              extra_args: tuple[str, ...] = ()) -> Api:
        state_dir = tmp_path / f"sim{len(started)}"
        handle = start_simulator(str(scenario), time_scale=time_scale, state_dir=state_dir,
                                 extra_args=extra_args)
        started.append(handle)
        return Api(handle)

    yield start
    for h in started:
        h.stop()


@pytest.fixture(scope="module")
def tiny_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    handle = start_simulator("tiny", time_scale=TIME_SCALE, state_dir=tmp_path_factory.mktemp("tiny"))
    yield handle
    handle.stop()


@pytest.fixture
def tiny(tiny_sim: SimulatorHandle) -> Api:
    """The module's tiny simulator, reset to the scenario before each test."""
    tiny_sim.reset()
    return Api(tiny_sim)
