# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediate over a fake transport: the already-in-desired-state branch, and a failed apply whose SOAP read of the
maintenance state fails. (Everything else runs through ansible-playbook against vlcmsim in tests/integration.)"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _module, _soap
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ConnectionFailure
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import RestClient
from ansible_collections.vsphere.lifecycle.plugins.modules import remediate
from ansible_collections.vsphere.lifecycle.tests.unit.plugins.module_utils.fakes import (
    FakeResponse,
    FakeSession,
    host_compliance,
    software_info,
    vapi_error,
)

BASE = "/api/esx/settings/clusters/domain-c7"
OK = {"status": "OK", "start_time": "2026-11-30T10:00:00.000Z", "end_time": "2026-11-30T10:05:00.000Z",
      "notifications": {"info": [], "warnings": [], "errors": []}}


def failed(text):
    return dict(OK, status="ERROR", notifications={"info": [], "warnings": [], "errors": [
        {"type": "ERROR", "id": "e", "message": {"id": "e", "default_message": text, "args": []}}]})


class MiniVcenter:
    """One cluster 'Prod' with one non-compliant host esx-b (host-10) whose image is staged; apply as scripted."""

    def __init__(self, apply: str) -> None:
        self.apply = apply
        self.requests: list[str] = []
        self.vm_power = "POWERED_ON"
        self.session = FakeSession(handler=self.handle)

    def compliance(self):
        hc = host_compliance("NON_COMPLIANT", "8.0.3-0.30.24022510")
        hc["stage_status"] = "STAGED"
        return {"status": "NON_COMPLIANT", "impact": "REBOOT_REQUIRED", "commit": "2", "notifications": {},
                "non_compliant_hosts": ["host-10"], "hosts": {"host-10": hc}, "host_info": {"host-10": {"name": "esx-b"}}}

    def handle(self, call):
        path = urlsplit(call["url"]).path
        query = dict(parse_qsl(urlsplit(call["url"]).query))
        query.update(call.get("params") if isinstance(call.get("params"), dict) else {})
        action = query.get("action")
        self.requests.append(f"{call['method']} {path}" + (f"?action={action}" if action else ""))
        if path == "/api/session":
            return FakeResponse(201, "s1") if call["method"] == "POST" else FakeResponse(204)
        if path == "/api/vcenter/cluster":
            return FakeResponse(200, [{"cluster": "domain-c7", "name": "Prod"}])
        if path == "/api/vcenter/host":
            return FakeResponse(200, [{"host": "host-10", "name": "esx-b"}])
        if path == "/api/vcenter/vm":
            return FakeResponse(200, [{"vm": "vm-5", "name": "gpu-render-01", "power_state": self.vm_power}])
        if path == f"{BASE}/software/compliance":
            return FakeResponse(200, self.compliance())
        if path == f"{BASE}/software" and call["method"] == "GET":
            return FakeResponse(200, software_info())     # the image the report was computed against
        if path == f"{BASE}/software" and action in ("check", "apply"):
            if action == "apply" and self.apply == "already":
                return vapi_error(400, "ALREADY_IN_DESIRED_STATE", "Prod is already compliant.")
            return FakeResponse(200, f"task-{action}")
        if path == "/api/cis/tasks/task-check":
            return FakeResponse(200, {"status": "SUCCEEDED", "result": {"status": "OK", "entity_results": []}})
        if path == "/api/cis/tasks/task-apply":
            self.vm_power = "POWERED_OFF"     # the power-action policy powered it off; the failed apply left it so
            return FakeResponse(200, {"status": "FAILED", "error": {"error_type": "ERROR", "messages": [
                {"id": "x", "default_message": "Remediation of Prod failed on 1 host(s).", "args": []}]}})
        if path == f"{BASE}/software/reports/last-apply-result":
            return FakeResponse(200, {"status": failed("x"), "host_info": {"host-10": {"name": "esx-b"}},
                                      "host_status": {"host-10": failed("Host esx-b failed to enter maintenance mode.")}})
        return vapi_error(404, "NOT_FOUND", f"no {path}")


class UnreachableSoap:
    def __init__(self, params):
        pass

    def retrieve(self, *args, **kwargs):
        raise ConnectionFailure("SOAP connection to vCenter vc.example.com:443 failed: connection refused")

    def close(self):
        pass


def run(fake, monkeypatch, capsys):
    monkeypatch.setattr(_module, "RestClient", lambda params, **kw: RestClient(params, session=fake.session, sleep=lambda s: None, **kw))
    monkeypatch.setattr(_soap, "SoapClient", UnreachableSoap)
    args = {"hostname": "vc.example.com", "username": "u@vsphere.local", "password": "Unit-Secret-99", "cluster": "Prod",
            "accept_eula": True}
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        remediate.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_already_in_desired_state_changes_nothing(monkeypatch, capsys):
    fake = MiniVcenter(apply="already")
    code, out = run(fake, monkeypatch, capsys)
    assert code == 0, out
    assert out["changed"] is False and out["staged_hosts"] == [] and "apply_task" not in out
    assert f"POST {BASE}/software?action=apply" in fake.requests
    assert not any("action=stage" in r for r in fake.requests)      # esx-b was already staged


def test_failed_apply_with_soap_unreachable_reports_everything_it_knows(monkeypatch, capsys):
    fake = MiniVcenter(apply="fail")
    code, out = run(fake, monkeypatch, capsys)
    assert code == 1 and out["failed"] is True
    assert out["changed"] is True and out["task_id"] == "task-apply"
    assert out["failed_hosts"] == ["esx-b"] and out["successful_hosts"] == []
    assert out["left_in_maintenance_mode"] == []
    assert out["vms_not_restored"] == [{"name": "gpu-render-01", "power_state": "POWERED_OFF"}], out["msg"]
    assert "host 'esx-b': Host esx-b failed to enter maintenance mode." in out["msg"]
    assert "could not be read (SOAP connection to vCenter vc.example.com:443 failed: connection refused)" in out["msg"]
    assert "'gpu-render-01' (powered off)" in out["msg"]
    assert any("could not read the maintenance state" in str(w) for w in out["warnings"])
    assert fake.requests[-1] == "DELETE /api/session"
