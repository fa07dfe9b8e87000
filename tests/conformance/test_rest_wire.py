"""What the bindings do not check but vCenter always does: JSON replies are labelled
application/json, errors carry the vAPI error body, 204 replies are empty."""

from __future__ import annotations

import requests
from _vapi_client import SESSION_HEADER
from vlcmsim.testing import Ids, SimulatorHandle


def _session(sim: SimulatorHandle) -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    http.verify = sim.ca
    response = http.post(sim.url + "/api/session", auth=(sim.username, sim.password), timeout=30)
    assert response.status_code == 201
    http.headers[SESSION_HEADER] = response.json()
    return http


def test_json_replies_are_labelled_json(sim: SimulatorHandle, ids: Ids) -> None:
    http = _session(sim)
    cluster, host = ids.cluster["Tiny-01"], ids.host["esxi-ts.lab.local"]
    paths = ["/api/session", "/api/vcenter/datacenter", "/api/vcenter/cluster", "/api/vcenter/host",
             "/api/vcenter/vm", f"/api/esx/settings/clusters/{cluster}/software",
             f"/api/esx/settings/clusters/{cluster}/policies/apply",
             f"/api/esx/settings/clusters/{cluster}/policies/apply/effective",
             f"/api/esx/settings/hosts/{host}/software", "/api/esx/settings/defaults/clusters/policies/apply"]
    for path in paths:
        response = http.get(sim.url + path, timeout=30)
        assert response.status_code == 200, (path, response.text)
        assert response.headers.get("Content-Type", "").startswith("application/json"), path
        response.json()
    http.delete(sim.url + "/api/session", timeout=30)


def test_error_bodies_are_vapi_errors(sim: SimulatorHandle) -> None:
    http = _session(sim)
    cases = [
        (http.get, "/api/esx/settings/clusters/domain-c999999/software/compliance", 404, "NOT_FOUND"),
        (requests.get, "/api/vcenter/host", 401, "UNAUTHENTICATED"),
    ]
    for call, path, status, error_type in cases:
        response = call(sim.url + path, verify=sim.ca, timeout=30)
        assert response.status_code == status, path
        assert response.headers.get("Content-Type", "").startswith("application/json"), path
        body = response.json()
        assert body["error_type"] == error_type
        assert body["messages"] and all({"id", "default_message", "args"} <= set(m) for m in body["messages"])
    http.delete(sim.url + "/api/session", timeout=30)


def test_no_content_replies_are_empty(sim: SimulatorHandle) -> None:
    http = _session(sim)
    response = http.delete(sim.url + "/api/session", timeout=30)
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response.headers or response.headers["Content-Type"].startswith(
        "application/json")
