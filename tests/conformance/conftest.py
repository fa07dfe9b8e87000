"""Fixtures of the REST conformance tests: one simulator per session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _sim import Ids, RunningSim, start_simulator
from _vapi_client import VcenterApiClient


@pytest.fixture(scope="session")
def sim_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    # time_scale 0.001: a 20-minute host remediation takes ~1 s.
    sim = start_simulator(Path(tmp_path_factory.mktemp("vlcmsim-conformance")), "tiny", 0.001)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def sim(sim_process: RunningSim) -> RunningSim:
    """The simulator, freshly reset to the tiny scenario (state, sessions, tasks, faults)."""
    sim_process.admin("POST", "/sim/reset")
    return sim_process


@pytest.fixture
def client(sim: RunningSim) -> Iterator[VcenterApiClient]:
    """A client logged in through the binding; logged out at the end."""
    c = VcenterApiClient(sim.url, sim.ca, sim.username, sim.password)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def ids(sim: RunningSim) -> Ids:
    return Ids(sim.admin("GET", "/sim/state"))
