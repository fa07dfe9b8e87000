"""Start and stop a vlcmsim process for the conformance tests (loopback, free port)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests


@dataclass
class RunningSim:
    url: str
    username: str
    password: str
    ca: str
    state_dir: Path
    process: subprocess.Popen[bytes] | None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator's admin API (/sim/..., no auth)."""
        response = requests.request(method, self.url + path, json=body, verify=self.ca, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_simulator(state_dir: Path, scenario: str = "tiny", time_scale: float = 0.001,
                    startup_timeout: float = 20.0) -> RunningSim:
    """Run ``vlcmsim`` on 127.0.0.1 with a free port; return once server.json names it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    server_json = state_dir / "server.json"
    if server_json.exists():
        server_json.unlink()
    log = open(state_dir / "vlcmsim.log", "wb")  # noqa: SIM115 - kept open for the process
    process = subprocess.Popen(
        [sys.executable, "-m", "vlcmsim.cli", "--scenario", scenario, "--host", "127.0.0.1", "--port", "0",
         "--time-scale", str(time_scale), "--state-dir", str(state_dir)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vlcmsim exited with {process.returncode}: "
                               f"{(state_dir / 'vlcmsim.log').read_text(errors='replace')[-2000:]}")
        if server_json.exists():
            try:
                info = json.loads(server_json.read_text())
            except ValueError:
                info = None   # being written
            if info:
                return RunningSim(info["url"], info["username"], info["password"], info["ca"], state_dir,
                                  process)
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=10)
    raise RuntimeError(f"vlcmsim did not write {server_json} within {startup_timeout}s")


class Ids:
    """Names -> ids from the simulator's /sim/state snapshot (not from the API under test)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.cluster = {c["name"]: c["id"] for c in state["clusters"]}
        self.host = {h["name"]: h["id"] for h in state["hosts"]}
        self.vm = {v["name"]: v["id"] for v in state["vms"]}
        self.datacenter = {d["name"]: d["id"] for d in state["datacenters"]}
