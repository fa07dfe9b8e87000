"""The simulator for the conformance tests, via the core helper ``vlcmsim.testing``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from vlcmsim.testing import SimulatorHandle
from vlcmsim.testing import start_simulator as _start


@dataclass
class RunningSim:
    url: str
    username: str
    password: str
    ca: str
    handle: SimulatorHandle

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator's admin API (/sim/..., no auth); raise on an HTTP error."""
        response = requests.request(method, self.url + path, json=body, verify=self.ca, timeout=60)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def stop(self) -> None:
        self.handle.stop()


def start_simulator(state_dir: Path, scenario: str = "tiny", time_scale: float = 0.001) -> RunningSim:
    """``vlcmsim`` on 127.0.0.1, a free port, HTTPS with the CA from its state dir."""
    handle = _start(scenario, time_scale=time_scale, state_dir=state_dir)
    if not handle.ca:
        handle.stop()
        raise AssertionError("the simulator must serve HTTPS with a CA in its state dir")
    return RunningSim(handle.url, handle.username, handle.password, handle.ca, handle)


class Ids:
    """Names -> ids from the simulator's /sim/state snapshot (not from the API under test)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.cluster = {c["name"]: c["id"] for c in state["clusters"]}
        self.host = {h["name"]: h["id"] for h in state["hosts"]}
        self.vm = {v["name"]: v["id"] for v in state["vms"]}
        self.datacenter = {d["name"]: d["id"] for d in state["datacenters"]}
