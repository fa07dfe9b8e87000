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


# ----------------------------------------------------------------- a second vCenter (image import, depots, promotion)
@pytest.fixture(scope="module")
def target_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    """A second simulator on the promotion_target scenario (a depot that lacks what tiny's image needs)."""
    server = start_simulator(tmp_path_factory.mktemp("target"), scenario="promotion_target", time_scale=0.002)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def target(target_server: SimulatorHandle) -> Iterator[SimulatorHandle]:
    """The second vCenter, reset before each test; no session may be left open on it."""
    target_server.reset()
    yield target_server
    live = target_server.wait_sessions_closed()
    assert live.get("rest", 0) == 0 and live.get("soap", 0) == 0, f"sessions left open on the target: {live}"
    assert target_server.counters()["logins"].get("soap", 0) == 0


@pytest.fixture
def files(sim: SimulatorHandle, run_playbook: Callable[..., PlaybookResult], tmp_path: Path) -> dict[str, Path]:
    """Tiny-01's desired image exported from tiny as ZIP and JSON (through image_export)."""
    out = tmp_path / "export"
    out.mkdir()
    result = run_playbook(f"""
        - name: zip
          vsphere.lifecycle.image_export: {{cluster: Tiny-01, format: zip, dest: "{out}/Tiny-01.zip"}}
        - name: json
          vsphere.lifecycle.image_export: {{cluster: Tiny-01, format: json, dest: "{out}/Tiny-01.json"}}
    """)
    assert result.ok, result.output
    return {"zip": out / "Tiny-01.zip", "json": out / "Tiny-01.json"}
