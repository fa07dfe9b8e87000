"""Injected faults: request faults (503 burst, reset, expired session, slow) and state faults
(host_fail, host_disconnect, cluster_busy), set through /sim/faults or the scenario."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import urllib3
from _simapi import Api, build_scenario, cluster, host
from vlcmsim.testing import SimulatorError


def test_503_burst_with_retry_after(tiny: Api) -> None:
    tiny.faults({"type": "http_status", "status": 503, "retry_after": 2, "path": "/api/vcenter/cluster",
                 "method": "GET", "count": 2})
    for _ in range(2):
        r = tiny.get("/vcenter/cluster")
        assert r.status_code == 503 and r.headers["Retry-After"] == "2"
        assert r.json()["error_type"] == "SERVICE_UNAVAILABLE"
    assert tiny.get("/vcenter/host").status_code == 200          # other paths are not affected
    assert tiny.get("/vcenter/cluster").status_code == 200       # the burst is over
    assert tiny.sim.faults() == []


def test_fault_matches_the_action_and_a_glob(tiny: Api) -> None:
    tiny.faults({"type": "http_status", "status": 503, "path": "/api/esx/settings/clusters/*/software",
                 "action": "stage"})
    assert tiny.post(tiny.cpath("Tiny-01") + "?action=scan&vmw-task=true").status_code == 200
    r = tiny.post(tiny.cpath("Tiny-01") + "?action=stage&vmw-task=true", {})
    assert r.status_code == 503


def test_reset_connection_drops_the_socket(tiny: Api) -> None:
    tiny.faults({"type": "reset_connection", "path": "/api/vcenter/host"})
    with pytest.raises(requests.exceptions.ConnectionError):
        tiny.get("/vcenter/host")
    assert tiny.get("/vcenter/host").status_code == 200


def test_reset_after_bytes_cuts_the_body_after_the_headers(tiny: Api) -> None:
    """after_bytes: the answer is produced, its headers and that many body bytes are sent, then the socket drops
    (a download cut in the middle); the control without the fault gets the whole body."""
    base = tiny.cpath("Tiny-01")
    spec = {"export_software_spec": False, "export_iso_image": True, "export_offline_bundle": False}
    url = tiny.post(f"{base}?action=export", spec).json()["ISO_IMAGE"]
    whole = tiny.http.get(url, timeout=30).content
    tiny.faults({"type": "reset_connection", "path": "/vum-filedownload/download", "after_bytes": 5000})
    response = tiny.http.get(url, stream=True, timeout=30)
    assert response.status_code == 200 and int(response.headers["Content-Length"]) == len(whole) > 5000
    got = b""
    with pytest.raises(urllib3.exceptions.ProtocolError):
        while block := response.raw.read1(65536):                # whatever has arrived, as it arrives
            got += block
    assert got == whole[:5000]
    assert tiny.sim.faults() == []
    assert tiny.http.get(url, timeout=30).content == whole
    for bad in ({"after_bytes": -1}, {"after_bytes": "x"}, {"after_bytes": 1, "after_response": True}):
        with pytest.raises(SimulatorError, match="after_"):
            tiny.faults({"type": "reset_connection", **bad})


def test_expire_session(tiny: Api) -> None:
    tiny.faults({"type": "expire_session", "path": "/api/vcenter/vm"})
    assert tiny.get("/vcenter/cluster").status_code == 200
    r = tiny.get("/vcenter/vm")
    assert r.status_code == 401 and r.json()["error_type"] == "UNAUTHENTICATED"
    assert tiny.get("/vcenter/cluster").status_code == 401       # the session is gone for good
    tiny.http = tiny.sim.session()                              # a new login works
    assert tiny.get("/vcenter/vm").status_code == 200


def test_slow_call(tiny: Api) -> None:
    tiny.faults({"type": "slow", "seconds": 0.6, "path": "/api/vcenter/datacenter"})
    t0 = time.monotonic()
    assert tiny.get("/vcenter/datacenter").status_code == 200
    assert time.monotonic() - t0 >= 0.6                          # the call was slowed (a lower bound)
    assert tiny.sim.faults() == []                               # ... by the fault, which one call consumed
    assert tiny.get("/vcenter/datacenter").status_code == 200    # so the next call is not slowed
    assert tiny.sim.calls("GET /api/vcenter/datacenter") == 2


def test_host_fail_at_download(tiny: Api) -> None:
    tiny.faults({"type": "host_fail", "host": "esxi-t2.lab.local", "phase": "download"})
    task = tiny.task(tiny.cpath("Tiny-01"), "stage", {})
    assert task["status"] == "FAILED" and "esxi-t2.lab.local" in task["error"]["messages"][0]["default_message"]
    assert tiny.host_state("esxi-t1.lab.local")["staged_commit"] == "1"
    assert tiny.host_state("esxi-t2.lab.local")["staged"] is None


def test_host_fail_at_enter_maintenance(tiny: Api) -> None:
    tiny.put(f"/esx/settings/clusters/{tiny.cluster['Tiny-01']}/policies/apply", {"failure_action": {"action": "FAIL"}})
    tiny.faults({"type": "host_fail", "host": "esxi-t1.lab.local", "phase": "enter_maintenance"})
    task = tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True})
    assert task["status"] == "FAILED"
    st = tiny.host_state("esxi-t1.lab.local")
    assert st["in_maintenance"] is False and st["staged_commit"] == "1"


def test_host_disconnect(tiny: Api) -> None:
    tiny.faults({"type": "host_disconnect", "host": "esxi-t2.lab.local"})
    hosts = tiny.get("/vcenter/host", params={"connection_states": "DISCONNECTED"}).json()
    assert [h["name"] for h in hosts] == ["esxi-t2.lab.local"] and "power_state" not in hosts[0]
    comp = tiny.task(tiny.cpath("Tiny-01"), "scan")["result"]
    assert comp["unavailable_hosts"] == [tiny.host["esxi-t2.lab.local"]]


def test_cluster_busy_until_cleared(tiny: Api) -> None:
    tiny.faults({"type": "cluster_busy", "cluster": "Tiny-01"})
    for action, body in (("stage", {}), ("apply", {"accept_eula": True}), ("check", {}), ("scan", None)):
        r = tiny.post(tiny.cpath("Tiny-01") + f"?action={action}&vmw-task=true", body)
        assert r.status_code == 400 and r.json()["error_type"] == "NOT_ALLOWED_IN_CURRENT_STATE", action
    assert tiny.state()["clusters"][0]["busy"] == "fault"
    tiny.sim.clear_faults()
    assert tiny.task(tiny.cpath("Tiny-01"), "stage", {})["status"] == "SUCCEEDED"


def test_invalid_fault_is_refused_naming_the_field(tiny: Api) -> None:
    with pytest.raises(SimulatorError, match=r"POST /sim/faults -> 400: .*'host'"):
        tiny.sim.add_faults({"type": "host_fail", "host": "nope", "phase": "install"})
    with pytest.raises(SimulatorError, match=r"POST /sim/faults -> 400: .*'type'"):
        tiny.sim.add_faults([{"type": "slow"}, {"type": "boom"}])
    assert tiny.sim.faults() == []             # all or nothing


def test_faults_from_the_scenario(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    path = build_scenario(tmp_path, [cluster("F", [host("esxi-x.lab")])],
                          faults=[{"type": "http_status", "status": 503, "path": "/api/vcenter/cluster"}])
    api = sim_factory(path)
    assert api.get("/vcenter/cluster").status_code == 503
    assert api.get("/vcenter/cluster").status_code == 200


def test_admin_api_is_never_faulted(tiny: Api) -> None:
    tiny.faults({"type": "http_status", "status": 503, "count": 5})      # matches every path
    assert tiny.sim.state()["scenario"] == "tiny"
    assert tiny.get("/vcenter/cluster").status_code == 503


def test_session_idle_timeout(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    idle = 1.0
    api = sim_factory(build_scenario(tmp_path, [cluster("I", [host("esxi-i.lab")])], session_idle_timeout=idle))
    # Use keeps a session alive past the timeout. The server saw the previous call after it started and sees
    # this one before it returns, so when this call returned less than `idle` after the previous one started,
    # the session was never idle that long and the call must succeed. A longer gap (a stalled machine) proves
    # nothing either way: log in again and start over.
    for _attempt in range(5):
        api.http = api.sim.session()
        logged_in = previous = time.monotonic()
        while True:
            time.sleep(idle / 10)
            start = time.monotonic()
            r = api.get("/vcenter/cluster")
            end = time.monotonic()
            if end - previous >= idle:
                break                                          # not decisive: start over
            assert r.status_code == 200, r.text                # used within the timeout: alive
            previous = start
            if start - logged_in > 2 * idle:
                break                                          # alive for twice the timeout, thanks to use
        if start - logged_in > 2 * idle and r.status_code == 200:
            break
    else:
        raise AssertionError("the machine stalled for a whole idle timeout in each of 5 attempts")
    time.sleep(1.5 * idle)                                     # idle for longer than the timeout (a lower bound)
    r = api.get("/vcenter/cluster")
    assert r.status_code == 401 and r.json()["error_type"] == "UNAUTHENTICATED"
    assert api.counters()["live_sessions"]["rest"] == 0
