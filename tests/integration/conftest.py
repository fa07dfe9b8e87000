# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the integration tests (reuse them for every module):

- ``sim``: one vlcmsim per test module (scenario from the module's ``SIM_SCENARIO``, default ``tiny``),
  reset through ``POST /sim/reset`` before each test; after each test no REST or SOAP session may be live,
  and with ``REST_ONLY = True`` in the test module no SOAP login may have happened.
- ``run_playbook(playbook, env=None, connection=True, extra_args=None)``: runs ansible-playbook;
  ``playbook`` is YAML text (a task list or whole plays) or a path; with ``connection`` the
  simulator's VMWARE_* variables are set. Returns a ``PlaybookResult`` (rc, stdout, stderr, task(name)).
- ``counters``: a callable returning ``GET /sim/counters``.

``sim`` is ``vlcmsim.testing.SimulatorHandle``, the client every suite and benchmark shares: ``state()``,
``counters()``, ``calls(key)``, ``events()``, ``add_faults()``, ``faults()``, ``mutating_calls(since=)``,
``env()``, ``session()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("vlcmsim.testing", reason="vlcmsim is not installed (pip install -e simulator)")

from vlcmsim.testing import SimulatorHandle  # noqa: E402

from .harness import PlaybookResult, PlaybookRunner, collections_tree, start_simulator  # noqa: E402


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return collections_tree(tmp_path_factory.mktemp("collections"))


@pytest.fixture(scope="module")
def sim_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    scenario = getattr(request.module, "SIM_SCENARIO", "tiny")
    time_scale = getattr(request.module, "SIM_TIME_SCALE", 0.002)
    server = start_simulator(tmp_path_factory.mktemp("vlcmsim"), scenario=scenario, time_scale=time_scale)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sim(sim_server: SimulatorHandle, request: pytest.FixtureRequest) -> Iterator[SimulatorHandle]:
    sim_server.reset()
    yield sim_server
    live = sim_server.wait_sessions_closed()
    assert live.get("rest", 0) == 0 and live.get("soap", 0) == 0, f"sessions left open: {live}"
    if getattr(request.module, "REST_ONLY", False):  # modules that need no SOAP must never open it
        soap_logins = sim_server.counters()["logins"].get("soap", 0)
        assert soap_logins == 0, f"a REST-only module logged in over SOAP {soap_logins} time(s)"


@pytest.fixture
def counters(sim: SimulatorHandle) -> Callable[[], dict[str, Any]]:
    return sim.counters


@pytest.fixture
def run_playbook(sim: SimulatorHandle, collections_path: Path, tmp_path: Path) -> Callable[..., PlaybookResult]:
    runner = PlaybookRunner(tmp_path, collections_path)

    def run(playbook: str | Path, *, env: dict[str, str] | None = None, connection: bool = True,
            extra_args: list[str] | None = None, timeout: float = 300.0) -> PlaybookResult:
        full_env = dict(sim.env()) if connection else {}
        full_env.update(env or {})
        return runner(playbook, env=full_env, extra_args=extra_args, timeout=timeout)

    return run
