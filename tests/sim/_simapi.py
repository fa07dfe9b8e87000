"""Helpers of the simulator tests: a REST client that waits on tasks, and a builder of small custom
scenarios (tiny's depot and images with other clusters)."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import requests
import yaml
from vlcmsim import scenarios
from vlcmsim.testing import SimulatorHandle

TIME_SCALE = 0.0005


class Api:
    """A logged-in /api client against one simulator, with id lookups; ``sim`` is the shared simulator
    client (vlcmsim.testing.SimulatorHandle) for everything under /sim/."""

    def __init__(self, sim: SimulatorHandle) -> None:
        self.sim = sim
        self.base = sim.url + "/api"
        self.http = sim.session()
        self.refresh_ids()

    def refresh_ids(self) -> None:
        ids = self.sim.ids()
        self.cluster, self.host, self.vm, self.host_name = ids.cluster, ids.host, ids.vm, ids.host_name

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.base + path, timeout=30, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.http.post(self.base + path, json=body, timeout=30, **kw)

    def put(self, path: str, body: Any = None) -> requests.Response:
        return self.http.put(self.base + path, json=body, timeout=30)

    def task(self, path: str, action: str, body: Any = None) -> dict[str, Any]:
        """Start `action` as a task (vmw-task=true) and wait for it; returns the final task info."""
        r = self.post(f"{path}?action={action}&vmw-task=true", body)
        assert r.status_code == 200, r.text
        tid = r.json()
        assert isinstance(tid, str)
        return self.wait(tid)

    def wait(self, tid: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.get(f"/cis/tasks/{tid}").json()
            if info["status"] in ("SUCCEEDED", "FAILED"):
                return info
            time.sleep(0.01)
        raise AssertionError(f"task {tid} did not finish within {timeout}s")

    def state(self) -> dict[str, Any]:
        return self.sim.state()

    def host_state(self, name: str) -> dict[str, Any]:
        return next(h for h in self.state()["hosts"] if h["name"] == name)

    def counters(self) -> dict[str, Any]:
        return self.sim.counters()

    def faults(self, *items: dict[str, Any]) -> None:
        self.sim.add_faults(list(items))

    def cpath(self, name: str) -> str:
        return f"/esx/settings/clusters/{self.cluster[name]}/software"

    def hpath(self, name: str) -> str:
        return f"/esx/settings/hosts/{self.host[name]}/software"


def tiny_data() -> dict[str, Any]:
    """The bundled tiny scenario as a dict (its depot and images are reused by custom scenarios)."""
    return yaml.safe_load(scenarios.scenario_path("tiny").read_text())


def build_scenario(tmp: Path, clusters: list[dict[str, Any]], standalone: list[dict[str, Any]] | None = None,
                   **top: Any) -> Path:
    """Write a scenario with tiny's depot/images and the given clusters; returns its path."""
    data = copy.deepcopy(tiny_data())
    data["name"] = top.pop("name", "custom")
    data.update(top)
    data["datacenters"] = [{"name": "DC1", "clusters": clusters, "hosts": standalone or []}]
    path = tmp / f"{data['name']}.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def host(name: str, image: str = "current", vms: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    return {"name": name, "installed_image": image, "vms": vms or [], **kw}


def cluster(name: str, hosts: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {"name": name, "desired_image": "desired", "hosts": hosts, **kw}
