"""cis session create/get/delete through com.vmware.cis_client.Session, and its errors."""

from __future__ import annotations

import pytest
import requests
from _vapi_client import SESSION_HEADER, VcenterApiClient, no_extra_fields
from com.vmware.cis_client import Session
from com.vmware.esx.settings.clusters.software_client import Compliance
from com.vmware.vapi.std.errors_client import Unauthenticated
from vlcmsim.testing import Ids, SimulatorHandle


def test_create_get_delete(sim: SimulatorHandle) -> None:
    before = sim.counters()
    client = VcenterApiClient(sim.url, sim.ca, sim.username, sim.password)
    assert isinstance(client.session_id, str) and len(client.session_id) >= 16
    info = client.stub(Session).get()
    assert no_extra_fields(info) == []
    assert "administrator" in info.user.lower()
    assert info.created_time <= info.last_accessed_time
    during = sim.counters()
    assert during["logins"]["rest"] == before["logins"]["rest"] + 1
    assert during["live_sessions"]["rest"] == before["live_sessions"]["rest"] + 1
    old_id = client.session_id
    client.close()
    after = sim.counters()
    assert after["live_sessions"]["rest"] == before["live_sessions"]["rest"]
    # the deleted id is no longer accepted
    stale = VcenterApiClient(sim.url, sim.ca, sim.username, sim.password, login=False)
    stale.session.headers[SESSION_HEADER] = old_id
    with pytest.raises(Unauthenticated) as err:
        stale.stub(Session).get()
    assert err.value.messages, "an UNAUTHENTICATED error carries messages"


def test_session_id_is_a_json_string_on_the_wire(sim: SimulatorHandle) -> None:
    # issue 2 "Must show": POST /api/session with basic auth returns a JSON string.
    response = requests.post(sim.url + "/api/session", auth=(sim.username, sim.password), verify=sim.ca,
                             timeout=30)
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("application/json")
    session_id = response.json()
    assert isinstance(session_id, str) and session_id
    requests.delete(sim.url + "/api/session", headers={SESSION_HEADER: session_id}, verify=sim.ca, timeout=30)


def test_wrong_password_is_unauthenticated(sim: SimulatorHandle) -> None:
    with pytest.raises(Unauthenticated):
        VcenterApiClient(sim.url, sim.ca, sim.username, sim.password + "x")
    assert sim.counters()["live_sessions"]["rest"] == 0


def test_call_without_session_is_unauthenticated(sim: SimulatorHandle, ids: Ids) -> None:
    anonymous = VcenterApiClient(sim.url, sim.ca, sim.username, sim.password, login=False)
    with pytest.raises(Unauthenticated):
        anonymous.stub(Compliance).get(ids.cluster["Tiny-01"])


def test_expired_session_is_unauthenticated_and_relogin_works(sim: SimulatorHandle, client: VcenterApiClient,
                                                               ids: Ids) -> None:
    sim.add_faults({"type": "expire_session", "path": "/api/session", "method": "GET"})
    with pytest.raises(Unauthenticated):
        client.stub(Session).get()
    # the session stays expired
    with pytest.raises(Unauthenticated):
        client.stub(Compliance).get(ids.cluster["Tiny-01"])
    client.session_id = None
    client.login()
    assert "administrator" in client.stub(Session).get().user.lower()
