# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compliance module end to end over a fake transport: module base, argument handling, clean failures."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _module
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import RestClient
from ansible_collections.vsphere.lifecycle.plugins.modules import compliance
from ansible_collections.vsphere.lifecycle.tests.unit.plugins.module_utils.fakes import (
    FakeResponse,
    FakeSession,
    cluster_compliance,
    software_info,
    vapi_error,
)

PASSWORD = "Unit-Secret-99"


class MiniVcenter:
    """Just enough of /api for the compliance module: session, inventory, scan task, compliance."""

    def __init__(self) -> None:
        self.sessions: set[str] = set()
        self.requests: list[str] = []
        self.session = FakeSession(handler=self.handle)

    def handle(self, call):
        path = urlsplit(call["url"]).path
        query = dict(parse_qsl(urlsplit(call["url"]).query))
        if isinstance(call.get("params"), dict):
            query.update(call["params"])
        self.requests.append(f"{call['method']} {path}")
        if path == "/api/session" and call["method"] == "POST":
            if call["auth"][1] != PASSWORD:
                return vapi_error(401, "UNAUTHENTICATED", "Authentication required.")
            self.sessions.add("s1")
            return FakeResponse(201, "s1")
        if call["headers"].get("vmware-api-session-id") not in self.sessions:
            return vapi_error(401, "UNAUTHENTICATED", "no session")
        if path == "/api/session" and call["method"] == "DELETE":
            self.sessions.clear()
            return FakeResponse(204)
        if path == "/api/vcenter/cluster":
            names = {v for k, v in call.get("params") or [] if k == "names"}
            clusters = [{"cluster": "domain-c7", "name": "Prod", "drs_enabled": True, "ha_enabled": True}]
            return FakeResponse(200, [c for c in clusters if not names or c["name"] in names])
        if path == "/api/vcenter/host":
            return FakeResponse(200, [{"host": "host-10", "name": "esx-b", "connection_state": "CONNECTED"},
                                      {"host": "host-11", "name": "esx-a", "connection_state": "CONNECTED"}])
        if path == "/api/esx/settings/clusters/domain-c7/software" and query.get("action") == "scan":
            assert query.get("vmw-task") == "true"
            return FakeResponse(200, "task-1")
        if path == "/api/cis/tasks/task-1":
            return FakeResponse(200, {"status": "SUCCEEDED"})
        if path == "/api/esx/settings/clusters/domain-c7/software/compliance":
            return FakeResponse(200, cluster_compliance())
        if path == "/api/esx/settings/clusters/domain-c7/software" and call["method"] == "GET":
            return FakeResponse(200, software_info())     # the image the report was computed against
        return vapi_error(404, "NOT_FOUND", f"no {path}")


@pytest.fixture
def vcenter(monkeypatch):
    fake = MiniVcenter()

    def factory(params, **kwargs):
        return RestClient(params, session=fake.session, sleep=lambda seconds: None, **kwargs)

    monkeypatch.setattr(_module, "RestClient", factory)
    return fake


def run_module(args, capsys):
    base = {"hostname": "vc.example.com", "username": "admin@vsphere.local", "password": PASSWORD}
    base.update(args)
    with patch_module_args(base), pytest.raises(SystemExit) as exit_info:
        compliance.main()
    out = json.loads(capsys.readouterr().out)
    return exit_info.value.code, out


def test_cluster_report_and_logout(vcenter, capsys):
    code, out = run_module({"cluster": "Prod"}, capsys)
    assert code == 0, out
    assert out["changed"] is False and out["refreshed"] is True and out["scan_task"] == "task-1"
    assert out["target"] == {"type": "cluster", "id": "domain-c7", "name": "Prod"}
    assert out["counts"]["total"] == 3 and out["non_compliant_hosts"] == ["esx-b"]
    assert vcenter.requests[-1] == "DELETE /api/session" and not vcenter.sessions


def test_hosts_subset_and_no_scan(vcenter, capsys):
    code, out = run_module({"cluster": "Prod", "hosts": ["esx-a"], "refresh": False}, capsys)
    assert code == 0, out
    assert [h["name"] for h in out["hosts"]] == ["esx-a"] and out["status"] == "COMPLIANT"
    assert not any("action" in r for r in vcenter.requests)
    assert "POST /api/esx/settings/clusters/domain-c7/software" not in vcenter.requests


def test_unknown_cluster_fails_cleanly_and_logs_out(vcenter, capsys):
    code, out = run_module({"cluster": "Nope"}, capsys)
    assert code == 1 and out["failed"] is True
    assert out["msg"] == "cluster 'Nope' not found; clusters there: Prod"
    assert "exception" not in out
    assert vcenter.requests[-1] == "DELETE /api/session"


def test_wrong_password_fails_without_secret(vcenter, capsys):
    code, out = run_module({"cluster": "Prod", "password": "Wrong-Secret-1"}, capsys)
    assert code == 1 and "refused" in out["msg"] and "admin@vsphere.local" in out["msg"]
    assert "Wrong-Secret-1" not in json.dumps(out) and PASSWORD not in json.dumps(out)
    assert "exception" not in out


def test_validate_certs_false_warns(vcenter, capsys):
    code, out = run_module({"cluster": "Prod", "validate_certs": False}, capsys)
    assert code == 0
    assert "validate_certs is false" in json.dumps(out["warnings"])  # 2.19 sends structured warnings


def test_environment_fallbacks(vcenter, capsys, monkeypatch):
    monkeypatch.setenv("VMWARE_HOST", "vc-env.example.com")
    monkeypatch.setenv("VMWARE_USER", "env-user@vsphere.local")
    monkeypatch.setenv("VMWARE_PASSWORD", PASSWORD)
    monkeypatch.setenv("VMWARE_PORT", "8443")
    monkeypatch.setenv("VMWARE_VALIDATE_CERTS", "false")
    with patch_module_args({"cluster": "Prod"}), pytest.raises(SystemExit) as exit_info:
        compliance.main()
    out = json.loads(capsys.readouterr().out)
    assert exit_info.value.code == 0, out
    login = vcenter.session.calls[0]
    assert login["url"] == "https://vc-env.example.com:8443/api/session"
    assert login["auth"][0] == "env-user@vsphere.local" and login["verify"] is False
    assert base64.b64encode(PASSWORD.encode()).decode() not in json.dumps(out)


def test_bad_combination_is_rejected_before_any_call(vcenter, capsys):
    code, out = run_module({"cluster": "Prod", "host": "esx-a"}, capsys)
    assert code == 1 and "mutually exclusive" in out["msg"]
    assert vcenter.requests == []


def test_missing_ca_file_is_reported(vcenter, capsys, tmp_path):
    code, out = run_module({"cluster": "Prod", "ca_path": str(tmp_path / "missing.pem")}, capsys)
    assert code == 1 and "ca_path" in out["msg"] and vcenter.requests == []


def test_a_bug_is_a_clean_failure_without_traceback(vcenter, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("base_image")

    monkeypatch.setattr(compliance.vlcm, "cluster_report", broken)
    code, out = run_module({"cluster": "Prod"}, capsys)
    assert code == 1 and out["msg"] == "unexpected error (please report it): KeyError: 'base_image'"
    assert "exception" not in out
    assert vcenter.requests[-1] == "DELETE /api/session" and not vcenter.sessions
