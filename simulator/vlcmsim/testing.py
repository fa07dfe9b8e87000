"""Start and stop a simulator subprocess for tests and benchmarks.

    from vlcmsim.testing import start_simulator
    sim = start_simulator("tiny", time_scale=0.0005, state_dir=tmp_path / "sim")
    try:
        requests.post(sim.url + "/api/session", auth=(sim.username, sim.password), verify=sim.ca)
        sim.admin_post("/sim/faults", {"type": "http_status", "status": 503, "path": "/api/session"})
        sim.admin_get("/sim/counters")
    finally:
        sim.stop()

The simulator runs as `python -m vlcmsim` (the CLI) on 127.0.0.1, port 0 by default; the
handle reads DIR/server.json once the process prints `vlcmsim ready`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests


class SimulatorError(RuntimeError):
    pass


def _plain_session() -> requests.Session:
    """A requests.Session that ignores REQUESTS_CA_BUNDLE / proxy variables (they would override
    `session.verify` and could route loopback traffic through a proxy)."""
    s = requests.Session()
    s.trust_env = False
    return s


@dataclass
class SimulatorHandle:
    url: str
    ca: str | None
    username: str
    password: str
    state_dir: Path
    process: subprocess.Popen[str]
    info: dict[str, Any] = field(default_factory=dict)
    _http: requests.Session = field(default_factory=lambda: _plain_session())

    @property
    def verify(self) -> str | bool:
        return self.ca if self.ca else False

    def admin_get(self, path: str) -> Any:
        r = self._http.get(self.url + path, verify=self.verify, timeout=30)
        r.raise_for_status()
        return r.json()

    def admin_post(self, path: str, json_body: Any = None) -> Any:
        r = self._http.post(self.url + path, json=json_body, verify=self.verify, timeout=60)
        if r.status_code >= 400:
            raise SimulatorError(f"POST {path} -> {r.status_code}: {r.text}")
        return r.json() if r.content else None

    def admin_delete(self, path: str) -> None:
        r = self._http.delete(self.url + path, verify=self.verify, timeout=30)
        r.raise_for_status()

    def session(self) -> requests.Session:
        """A logged-in requests.Session for /api (header vmware-api-session-id set)."""
        s = _plain_session()
        s.verify = self.verify
        r = s.post(self.url + "/api/session", auth=(self.username, self.password), timeout=30)
        r.raise_for_status()
        s.headers["vmware-api-session-id"] = r.json()
        return s

    def stop(self, timeout: float = 10.0) -> int | None:
        self._http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(scenario: str, time_scale: float = 0.0005, state_dir: str | Path = ".state/vlcmsim-test",
                    port: int = 0, extra_args: tuple[str, ...] | list[str] = (),
                    startup_timeout: float = 20.0) -> SimulatorHandle:
    """Start `python -m vlcmsim` and wait until it serves; raises SimulatorError with its output if not."""
    state = Path(state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    info_path = state / "server.json"
    if info_path.exists():
        info_path.unlink()
    cmd = [sys.executable, "-m", "vlcmsim", "--scenario", str(scenario), "--port", str(port),
           "--time-scale", repr(time_scale), "--state-dir", str(state), *extra_args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    log = open(state / "simulator.log", "w")   # noqa: SIM115 - owned by the process lifetime
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.close()
            raise SimulatorError(f"vlcmsim exited with {proc.returncode}: "
                                 f"{(state / 'simulator.log').read_text()[-2000:]}")
        if info_path.exists():
            try:
                info = json.loads(info_path.read_text())
            except ValueError:
                info = None
            if info and info.get("pid") == proc.pid:
                return SimulatorHandle(url=info["url"], ca=info.get("ca"), username=info["username"],
                                       password=info["password"], state_dir=state, process=proc, info=info)
        time.sleep(0.02)
    proc.kill()
    proc.wait(5)
    raise SimulatorError(f"vlcmsim did not start within {startup_timeout}s: "
                         f"{(state / 'simulator.log').read_text()[-2000:]}")
