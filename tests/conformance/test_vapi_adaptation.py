"""The adaptation itself, against a scripted fake /api server: it speaks /api as vCenter does
(paths, vmw-task, session header, query filters), and the bindings stay strict (replies vCenter
would never send are rejected). Without these, a passing conformance test would mean little."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _vapi_client import SESSION_HEADER, VcenterApiClient, no_extra_fields, task_result, wait_task
from com.vmware.cis_client import Tasks
from com.vmware.esx.settings.clusters.software_client import Compliance
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.esx.settings_client import ClusterCompliance
from com.vmware.vapi.std.errors_client import Error, NotAllowedInCurrentState, NotFound, Unauthenticated
from com.vmware.vcenter_client import Host
from vmware.vapi.exception import CoreException
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

MSG = {"id": "vapi.test", "default_message": "test", "args": []}
TIME = "2026-11-23T13:00:00.000Z"
COMPLIANCE: dict[str, Any] = {
    "impact": "MAINTENANCE_MODE_REQUIRED", "status": "NON_COMPLIANT", "notifications": {},
    "scan_time": TIME, "commit": "1", "compliant_hosts": [], "non_compliant_hosts": ["host-1"],
    "incompatible_hosts": [], "unavailable_hosts": [], "hosts": {}, "host_info": {"host-1": {"name": "h1"}},
}
TASK: dict[str, Any] = {
    "description": MSG, "service": "com.vmware.esx.settings.clusters.software", "operation": "scan",
    "status": "SUCCEEDED", "cancelable": False, "start_time": TIME, "end_time": TIME,
    "progress": {"total": 1, "completed": 1, "message": MSG}, "result": COMPLIANCE,
}

Handler = Callable[[Request], Response]


def reply(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value), status, content_type="application/json")


class FakeApi:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[Request] = []
        self.routes[("POST", "/api/session")] = lambda r: reply("fake-session", 201)

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        request.get_data()
        self.requests.append(request)
        handler = self.routes.get((request.method, request.path))
        if request.path != "/api/session" and request.headers.get(SESSION_HEADER) != "fake-session":
            response = reply({"error_type": "UNAUTHENTICATED", "messages": [MSG]}, 401)
        elif handler is None:
            response = reply({"error_type": "NOT_FOUND", "messages": [MSG]}, 404)
        else:
            response = handler(request)
        return response(environ, start_response)


@pytest.fixture
def fake() -> Iterator[tuple[FakeApi, VcenterApiClient]]:
    app = FakeApi()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = VcenterApiClient(f"http://127.0.0.1:{server.port}", None, "user@vsphere.local", "secret")
        yield app, client
    finally:
        server.shutdown()
        thread.join(5)


def test_login_is_basic_auth_then_session_header(fake: tuple[FakeApi, VcenterApiClient]) -> None:
    app, client = fake
    login = app.requests[0]
    assert (login.method, login.path) == ("POST", "/api/session")
    assert login.authorization is not None and login.authorization.username == "user@vsphere.local"
    app.routes[("GET", "/api/esx/settings/clusters/domain-c1/software/compliance")] = lambda r: reply(COMPLIANCE)
    result = client.stub(Compliance).get("domain-c1")
    assert isinstance(result, ClusterCompliance)
    assert app.requests[-1].headers[SESSION_HEADER] == "fake-session"
    assert result.host_info["host-1"].name == "h1"    # a map arrives as a JSON object in /api


def test_task_operation_adds_vmw_task_and_result_converts(fake: tuple[FakeApi, VcenterApiClient]) -> None:
    app, client = fake
    app.routes[("POST", "/api/esx/settings/clusters/domain-c1/software")] = lambda r: reply("task-1")
    app.routes[("GET", "/api/cis/tasks/task-1")] = lambda r: reply(TASK)
    task = client.stub(Software).scan_task("domain-c1")
    sent = app.requests[-1]
    assert sent.args.to_dict(flat=False) == {"action": ["scan"], "vmw-task": ["true"]}
    info = wait_task(client, task)
    result = task_result(task, info)
    assert isinstance(result, ClusterCompliance) and result.non_compliant_hosts == {"host-1"}


def test_get_filter_becomes_query_parameters(fake: tuple[FakeApi, VcenterApiClient]) -> None:
    app, client = fake
    app.routes[("GET", "/api/vcenter/host")] = lambda r: reply([])
    client.stub(Host).list(Host.FilterSpec(clusters={"domain-c1"}, standalone=False,
                                           connection_states={Host.ConnectionState.CONNECTED}))
    sent = app.requests[-1]
    assert sent.get_data() == b""
    assert sent.args.to_dict(flat=False) == {"clusters": ["domain-c1"], "standalone": ["false"],
                                             "connection_states": ["CONNECTED"]}


def test_errors_resolve_by_error_type(fake: tuple[FakeApi, VcenterApiClient]) -> None:
    app, client = fake
    path = ("POST", "/api/esx/settings/clusters/domain-c1/software")
    app.routes[path] = lambda r: reply({"error_type": "NOT_ALLOWED_IN_CURRENT_STATE", "messages": [MSG]}, 400)
    with pytest.raises(NotAllowedInCurrentState):
        client.stub(Software).apply_task("domain-c1", Software.ApplySpec(accept_eula=True))
    with pytest.raises(NotFound):
        client.stub(Compliance).get("domain-c404")
    client.session.headers[SESSION_HEADER] = "wrong"
    with pytest.raises(Unauthenticated):
        client.stub(Compliance).get("domain-c1")


def test_error_whose_status_contradicts_error_type_is_not_trusted(fake: tuple[FakeApi, VcenterApiClient]) -> None:
    app, client = fake
    path = ("POST", "/api/esx/settings/clusters/domain-c1/software")
    app.routes[path] = lambda r: reply({"error_type": "NOT_ALLOWED_IN_CURRENT_STATE", "messages": [MSG]}, 404)
    with pytest.raises(Error) as err:
        client.stub(Software).apply_task("domain-c1", Software.ApplySpec(accept_eula=True))
    assert not isinstance(err.value, NotAllowedInCurrentState)


def test_missing_required_field_is_rejected(fake: tuple[FakeApi, VcenterApiClient]) -> None:
    app, client = fake
    broken = {k: v for k, v in COMPLIANCE.items() if k != "status"}
    app.routes[("GET", "/api/esx/settings/clusters/domain-c1/software/compliance")] = lambda r: reply(broken)
    with pytest.raises(CoreException):
        client.stub(Compliance).get("domain-c1")


def test_bad_enum_is_reported_and_running_task_without_progress_is_rejected(
        fake: tuple[FakeApi, VcenterApiClient]) -> None:
    app, client = fake
    path = ("GET", "/api/esx/settings/clusters/domain-c1/software/compliance")
    app.routes[path] = lambda r: reply(COMPLIANCE)
    assert no_extra_fields(client.stub(Compliance).get("domain-c1")) == []          # control: a valid reply
    # The runtime converts an enum value its binding does not declare (forward compatibility): it is
    # no_extra_fields that catches it, which is why every conformance test asserts that list is empty.
    app.routes[path] = lambda r: reply(dict(COMPLIANCE, status="SORT_OF", impact="A_LOT"))
    odd = client.stub(Compliance).get("domain-c1")
    assert no_extra_fields(odd) == ["result.impact = 'A_LOT', not a ComplianceImpact value",
                                    "result.status = 'SORT_OF', not a ComplianceStatus value"]
    running = {k: v for k, v in TASK.items() if k not in ("progress", "result", "end_time")}
    running["status"] = "RUNNING"
    app.routes[("GET", "/api/cis/tasks/task-2")] = lambda r: reply(running)
    with pytest.raises(CoreException):
        client.stub(Tasks).get("task-2")
    bad_date = dict(COMPLIANCE, scan_time="yesterday")
    app.routes[("GET", "/api/esx/settings/clusters/domain-c1/software/compliance")] = lambda r: reply(bad_date)
    with pytest.raises(CoreException):
        client.stub(Compliance).get("domain-c1")


def test_invented_fields_are_reported(fake: tuple[FakeApi, VcenterApiClient]) -> None:
    app, client = fake
    invented = dict(COMPLIANCE, host_info={"host-1": {"name": "h1", "rack": "r7"}}, vendor_note="x")
    app.routes[("GET", "/api/esx/settings/clusters/domain-c1/software/compliance")] = lambda r: reply(invented)
    result = client.stub(Compliance).get("domain-c1")
    assert sorted(no_extra_fields(result)) == ["result.host_info['host-1'].rack", "result.vendor_note"]
