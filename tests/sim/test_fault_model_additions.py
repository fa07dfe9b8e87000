"""The fault kinds added for the fault matrix (issue 12): a host disconnecting at a phase, a host reconnecting, a
phase that hangs until the faults are cleared, the record of issued session ids, and the deliberately bad server
certificates (--tls-flaw)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests
from _simapi import Api
from vlcmsim.testing import SimulatorError


def test_host_disconnect_at_a_phase_waits_for_that_phase(tiny: Api) -> None:
    tiny.put(f"/esx/settings/clusters/{tiny.cluster['Tiny-01']}/policies/apply", {"failure_action": {"action": "FAIL"}})
    tiny.sim.add_faults({"type": "host_disconnect", "host": "esxi-t2.lab.local", "phase": "install"})
    assert tiny.host_state("esxi-t2.lab.local")["connection_state"] == "connected"      # not yet
    task = tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True})
    assert task["status"] == "FAILED"
    t2 = tiny.host_state("esxi-t2.lab.local")
    assert t2["connection_state"] == "disconnected" and tiny.sim.faults() == []
    assert t2["installed"] != tiny.state()["clusters"][0]["desired_image"]              # the install did not land
    tiny.sim.add_faults({"type": "host_reconnect", "host": "esxi-t2.lab.local"})
    assert tiny.host_state("esxi-t2.lab.local")["connection_state"] == "connected"
    assert tiny.sim.faults() == []                                                       # applied, not stored
    assert tiny.task(tiny.cpath("Tiny-01"), "scan")["status"] == "SUCCEEDED"     # its compliance is known again
    again = tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True})
    assert again["status"] == "SUCCEEDED", (again.get("error"), again.get("result"))


def test_a_phase_without_that_fault_is_not_disconnected(tiny: Api) -> None:
    # control: the same fault at another phase leaves a stage alone (staging has no install phase)
    tiny.sim.add_faults({"type": "host_disconnect", "host": "esxi-t2.lab.local", "phase": "install"})
    assert tiny.task(tiny.cpath("Tiny-01"), "stage", {})["status"] == "SUCCEEDED"
    assert tiny.host_state("esxi-t2.lab.local")["connection_state"] == "connected"
    assert len(tiny.sim.faults()) == 1


def test_host_hang_holds_the_phase_until_the_faults_are_cleared(tiny: Api) -> None:
    tiny.sim.add_faults({"type": "host_hang", "host": "esxi-t1.lab.local", "phase": "download"})
    r = tiny.post(tiny.cpath("Tiny-01") + "?action=stage&vmw-task=true", {})
    tid = r.json()
    # the other host's download ends while esxi-t1's does not: the task is still running after it
    seen = threading.Event()

    def other_download_done() -> bool:
        return any(e["phase"] == "download" and e.get("name", tiny.host_name.get(e["host"])) == "esxi-t2.lab.local"
                   for e in tiny.sim.events())

    for _ in range(2000):
        if other_download_done():
            seen.set()
            break
        threading.Event().wait(0.01)
    assert seen.is_set()
    assert tiny.get(f"/cis/tasks/{tid}").json()["status"] == "RUNNING"
    assert len(tiny.sim.faults()) == 1                     # a hang is not consumed
    tiny.sim.clear_faults()
    assert tiny.wait(tid)["status"] == "SUCCEEDED"


def test_a_reset_lets_a_hung_phase_go(tiny: Api) -> None:
    tiny.sim.add_faults({"type": "host_hang", "host": "esxi-t1.lab.local", "phase": "download"})
    tid = tiny.post(tiny.cpath("Tiny-01") + "?action=stage&vmw-task=true", {}).json()
    assert tiny.get(f"/cis/tasks/{tid}").json()["status"] in ("PENDING", "RUNNING")
    tiny.sim.reset()
    assert tiny.sim.state()["tasks"] == []                 # a new world; the old one's thread was let go


def test_fault_fields_of_the_new_kinds_are_checked(tiny: Api) -> None:
    with pytest.raises(SimulatorError, match="'phase'"):
        tiny.sim.add_faults({"type": "host_hang", "host": "esxi-t1.lab.local", "phase": "exit_maintenance"})
    with pytest.raises(SimulatorError, match="'phase'"):
        tiny.sim.add_faults({"type": "host_disconnect", "host": "esxi-t1.lab.local", "phase": "later"})
    with pytest.raises(SimulatorError, match="'host'"):
        tiny.sim.add_faults({"type": "host_reconnect", "host": "nope"})
    assert tiny.sim.faults() == []


def test_issued_session_ids_are_recorded_across_resets(tiny: Api) -> None:
    first = tiny.sim.session()
    sid = first.headers["vmware-api-session-id"]
    assert sid in tiny.sim.issued_sessions()
    tiny.sim.reset()
    assert sid in tiny.sim.issued_sessions()
    issued_file = Path(tiny.sim.state_dir) / "sessions-issued.txt"
    assert sid in issued_file.read_text().split()
    assert tiny.sim.admin_get("sessions")["live"] == []    # the reset dropped it


@pytest.mark.parametrize("flaw, reason", [("expired", "certificate has expired"),
                                          ("wrong-name", "mismatch")])
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_flaw_serves_a_certificate_clients_refuse(tmp_path: Path, flaw: str, reason: str) -> None:
    from vlcmsim.testing import start_simulator

    handle = start_simulator("tiny", state_dir=tmp_path / flaw, extra_args=["--tls-flaw", flaw])
    try:
        with pytest.raises(requests.exceptions.SSLError, match=reason):
            requests.get(handle.url + "/sim/state", verify=handle.ca, timeout=10)
        # control: the server itself answers once verification is off
        assert requests.get(handle.url + "/sim/state", verify=False, timeout=10).status_code == 200
    finally:
        handle.stop()
