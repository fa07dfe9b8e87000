"""Fixtures of the REST conformance tests: one simulator per session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _vapi_client import VcenterApiClient
from vlcmsim.testing import Ids, SimulatorHandle, start_simulator


@pytest.fixture(scope="session")
def sim_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    # time_scale 0.001: a 20-minute host remediation takes ~1 s.
    sim = start_simulator("tiny", time_scale=0.001, state_dir=tmp_path_factory.mktemp("vlcmsim-conformance"),
                          require_ca=True)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def sim(sim_process: SimulatorHandle) -> SimulatorHandle:
    """The simulator, freshly reset to the tiny scenario (state, sessions, tasks, faults)."""
    sim_process.reset()
    return sim_process


@pytest.fixture
def client(sim: SimulatorHandle) -> Iterator[VcenterApiClient]:
    """A client logged in through the binding; logged out at the end."""
    c = VcenterApiClient(sim.url, sim.ca, sim.username, sim.password)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def ids(sim: SimulatorHandle) -> Ids:
    return sim.ids()
