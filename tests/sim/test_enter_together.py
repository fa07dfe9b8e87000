"""Hosts asked to enter maintenance mode one call after another (a batch) are planned together: DRS sends no VM
of one host of the batch to another host of it (no VM moves twice), and the evacuations run at the same time.
Judged by /sim/counters (evacuations = VMs on the batch's hosts) and /sim/events; a control with the calls spread
further apart than the settle window shows VMs moving twice."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from _simapi import Api
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim
from vlcmsim.protocols.soap_methods import DRS_SETTLE_SECONDS

BATCH = [f"esxi-r{i:02d}.lab.local" for i in range(1, 5)]


@pytest.fixture
def rolling(sim_factory: Any) -> Iterator[tuple[Api, Any]]:
    api = sim_factory("rolling", time_scale=0.002)
    url = urlsplit(api.sim.url)
    si = SmartConnect(host=url.hostname, port=url.port, user=api.sim.username, pwd=api.sim.password,
                      sslContext=ssl.create_default_context(cafile=api.sim.ca))
    yield api, si
    Disconnect(si)


def _enter(api: Api, si: Any, names: list[str], gap: float = 0.0) -> None:
    tasks = []
    for name in names:
        tasks.append(vim.HostSystem(api.host[name], si._stub).EnterMaintenanceMode_Task(timeout=0))
        if gap:
            time.sleep(gap)
    for task in tasks:
        WaitForTask(task, maxWaitTime=120)


def test_a_batch_entered_call_after_call_is_evacuated_once_and_together(rolling: tuple[Api, Any]) -> None:
    api, si = rolling
    running = {vm["id"]: vm["host"] for vm in api.state()["vms"]}
    batch_ids = {api.host[n] for n in BATCH}
    to_move = sum(1 for host in running.values() if host in batch_ids)
    assert to_move == 4 * 23
    _enter(api, si, BATCH)
    counters = api.sim.counters()
    assert counters["evacuations"] == to_move            # no VM moved twice
    assert counters["max_hosts_in_maintenance"] == 4
    assert counters["capacity_violations"] == 0, counters["capacity_violation_log"]
    state = api.state()
    assert all(vm["host"] not in batch_ids for vm in state["vms"])
    evac = [e for e in api.sim.events() if e["phase"] == "evacuate"]
    assert sorted(e["name"] for e in evac) == BATCH
    # every evacuation started before any ended: they ran together
    assert max(e["start"] for e in evac) < min(e["end"] for e in evac)


def test_control_calls_further_apart_than_the_window_move_vms_twice(rolling: tuple[Api, Any]) -> None:
    api, si = rolling
    _enter(api, si, BATCH[:2], gap=DRS_SETTLE_SECONDS * 3)
    counters = api.sim.counters()
    assert counters["evacuations"] > 2 * 23                # the first host's VMs partly landed on the second
    assert counters["capacity_violations"] == 0, counters["capacity_violation_log"]
