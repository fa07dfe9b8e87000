# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of _remediation: host states from compliance, stage/remediation planning, result shaping."""

from __future__ import annotations

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _outcomes as out
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

NOTES = {"info": [], "warnings": [], "errors": []}
CLUSTER = Target("cluster", "domain-c1", "Prod-01")
HOST = Target("host", "host-9", "esx-s")


def part(status, stage=None, current="1", target="2"):
    out = {"status": status, "notifications": NOTES, "current": {"version": current}, "target": {"version": target}}
    if stage:
        out["stage_status"] = stage
    return out


def compliance(status="NON_COMPLIANT", stage="NOT_STAGED", sw_stage="NOT_STAGED", fw_stage=None, notes=None):
    hc = {"status": status, "impact": "REBOOT_REQUIRED", "notifications": notes or NOTES, "commit": "3",
          "base_image": {**part(status, sw_stage, "8.0.3-0.35", "8.0.3-0.50"),
                         "current": {"version": "8.0.3-0.35", "details": {"display_version": "8.0 U3c"}},
                         "target": {"version": "8.0.3-0.50", "details": {"display_version": "8.0 U3e"}}},
          "add_on": {**part(status, sw_stage), "current": {"name": "DEL", "version": "A01"},
                     "target": {"name": "DEL", "version": "A02"}},
          "components": {"ESXi": part(status, sw_stage)}, "hardware_support": {}}
    if stage is not None:
        hc["stage_status"] = stage
    if fw_stage:
        hc["hardware_support"] = {"com.dell": {"status": status, "stage_status": fw_stage, "notifications": NOTES}}
    return hc


FW_NOTE = {"info": [], "errors": [], "warnings": [{
    "id": "com.vmware.vcIntegrity.lifecycle.FirmwareStagingNotSupported", "type": "WARNING",
    "message": {"id": "x", "default_message": "firmware staging is not supported", "args": []}}]}


def test_host_state_reads_versions_and_stage_parts():
    state = rem.host_state("host-1", "esx-a", compliance())
    assert (state.status, state.stage_status, state.impact) == ("NON_COMPLIANT", "NOT_STAGED", "REBOOT_REQUIRED")
    assert state.versions() == {"base_image": "8.0.3-0.35", "base_image_display": "8.0 U3c", "add_on": "A01"}
    assert state.target_versions() == {"base_image": "8.0.3-0.50", "base_image_display": "8.0 U3e", "add_on": "A02"}
    assert not state.staged and state.known


def test_software_staged_with_unstageable_firmware_counts_as_staged():
    hc = compliance(stage="NOT_STAGED", sw_stage="STAGED", fw_stage="NOT_STAGED", notes=FW_NOTE)
    state = rem.host_state("host-2", "esx-b", hc)
    assert state.software_staged and state.firmware_not_staged == ["com.dell"] and state.firmware_unstageable
    assert state.staged
    assert rem.skip_reason(state).startswith("software already staged; the firmware cannot be staged (com.dell)")


def test_partly_staged_software_is_not_staged():
    hc = compliance(stage="NOT_STAGED", sw_stage="STAGED")
    hc["components"]["ESXi"]["stage_status"] = "NOT_STAGED"
    assert not rem.host_state("h", "n", hc).staged


def test_plan_stage_skips_compliant_staged_incompatible_and_unknown():
    incompatible = compliance(status="INCOMPATIBLE",
                              notes={"info": [], "warnings": [], "errors": [
                                  {"id": "e", "message": {"id": "e", "default_message": "CPU not supported", "args": []}}]})
    states = {
        "h1": rem.host_state("h1", "a", compliance()),
        "h2": rem.host_state("h2", "b", compliance(stage="STAGED", sw_stage="STAGED")),
        "h3": rem.host_state("h3", "c", compliance(status="COMPLIANT", stage=None)),
        "h4": rem.host_state("h4", "d", incompatible),
        "h5": rem.host_state("h5", "e", None),
    }
    to_stage, skipped = rem.plan_stage(states)
    assert to_stage == ["h1"]
    assert skipped == {"h2": "already staged", "h3": "compliant with the desired image",
                       "h4": "incompatible with the desired image: CPU not supported",
                       "h5": "compliance is unknown"}


def test_needs_scan_only_for_unknown_hosts():
    report = {"hosts": {"h1": compliance(), "h2": compliance(status="COMPLIANT", stage=None),
                        "h3": compliance(status="UNAVAILABLE"), "h4": compliance(stage="UNKNOWN")}}
    states = rem.host_states(CLUSTER, report, [("h1", "a"), ("h2", "b"), ("h3", "c"), ("h4", "d"), ("h5", "e")])
    assert rem.needs_scan(states) == ["c", "d", "e"]
    assert rem.needs_scan(rem.host_states(HOST, None, [("host-9", "esx-s")])) == ["esx-s"]


def test_plan_remediation_separates_todo_compliant_blocked():
    states = {"h1": rem.host_state("h1", "a", compliance()),
              "h2": rem.host_state("h2", "b", compliance(status="COMPLIANT", stage=None)),
              "h3": rem.host_state("h3", "c", compliance(status="UNAVAILABLE"))}
    todo, compliant, blocked = rem.plan_remediation(states)
    assert todo == ["h1"] and compliant == {"h2": "compliant with the desired image"}
    assert blocked == {"h3": "compliance is unavailable"}


def test_specs_follow_the_binding_shapes():
    assert rem._spec(CLUSTER, ["h2", "h1"], commit="3", accept_eula=True) == \
        {"commit": "3", "accept_eula": True, "hosts": ["h1", "h2"]}
    assert rem._spec(HOST, ["host-9"], commit=None) == {}   # host stage/apply specs have no hosts


class Recorder:
    def __init__(self, task_result):
        self.posts = []
        self.task_result = task_result

    def post(self, path, **kwargs):
        self.posts.append((path, kwargs))
        return "task-1"

    def get(self, path, **kwargs):
        assert path == "/api/cis/tasks/task-1"
        return {"status": "SUCCEEDED", "result": self.task_result}


def test_apply_posts_accept_eula_and_hosts_as_a_task():
    client = Recorder({"status": {"status": "OK"}})
    info = rem.apply(client, CLUSTER, ["h1"], commit="3", timeout=5)
    path, kwargs = client.posts[0]
    assert path == "/api/esx/settings/clusters/domain-c1/software"
    assert kwargs["params"] == {"action": "apply", "vmw-task": "true"}
    assert kwargs["json"] == {"commit": "3", "accept_eula": True, "hosts": ["h1"]}
    assert info["_task_id"] == "task-1"


def test_host_outcomes_of_cluster_and_standalone_results():
    cluster_result = {"host_info": {"h1": {"name": "esx-a"}, "h2": {"name": "esx-b"}}, "host_status": {
        "h2": {"status": "OK", "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:11:00.500Z",
               "notifications": FW_NOTE},
        "h1": {"status": "ERROR", "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:01:00Z",
               "notifications": {"info": [], "warnings": [], "errors": [
                   {"id": "x", "message": {"id": "x", "default_message": "install failed", "args": []}}]}}}}
    rows = out.host_outcomes(CLUSTER, cluster_result, out.names_of(cluster_result, CLUSTER))
    assert [(r["name"], r["status"], r["seconds"]) for r in rows] == [("esx-a", "ERROR", 60.0), ("esx-b", "OK", 660.5)]
    assert rows[0]["errors"] == ["install failed"] and rows[1]["firmware_not_staged"] is True
    host_result = {"status": {"status": "OK", "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:00:30Z",
                              "notifications": NOTES}, "host_info": {"name": "esx-s"}}
    rows = out.host_outcomes(HOST, host_result, out.names_of(host_result, HOST))
    assert [(r["id"], r["name"], r["seconds"]) for r in rows] == [("host-9", "esx-s", 30.0)]


def msg(text, fix=None):
    out = {"description": {"id": "d", "default_message": text, "args": []}}
    if fix:
        out["resolution"] = {"id": "r", "default_message": fix, "args": []}
    return out


def test_check_summary_names_host_check_and_fix():
    result = {"status": "ERROR", "host_info": {"h1": {"name": "esx-a"}}, "entity_results": [
        {"type": "CLUSTER", "cluster": "domain-c1", "status": "WARNING", "check_statuses": [
            {"check": {"check": "c", "name": {"default_message": "HA admission control"}}, "status": "WARNING",
             "issues": [{"default_message": "HA may block"}], "check_issues": []}]},
        {"type": "HOST", "host": "h1", "status": "ERROR", "check_statuses": [
            {"check": {"check": "m", "name": {"default_message": "Maintenance mode"}}, "status": "ERROR",
             "check_issues": [msg("VM x cannot be evacuated", "Enable DRS")], "issues": []},
            {"check": {"check": "ok", "name": {"default_message": "Connection"}}, "status": "OK",
             "check_issues": [], "issues": []}]}]}
    summary = out.check_summary(CLUSTER, result, out.names_of(result, CLUSTER))
    assert summary["status"] == "ERROR"
    assert summary["errors"] == ["host esx-a: Maintenance mode: VM x cannot be evacuated (Enable DRS)"]
    assert summary["warnings"] == ["cluster 'Prod-01': HA admission control: HA may block"]
    host_summary = out.check_summary(HOST, {"status": "OK", "entity_result": {"type": "HOST", "host": "host-9",
                                                                              "status": "OK", "check_statuses": []}}, {})
    assert host_summary == {"status": "OK", "errors": [], "warnings": []}


def test_impact_summary_selected_hosts():
    impact = {"impact": [{"message": {"default_message": "DPM will be disabled"}}],
              "host_impact": {"h1": [{"message": {"default_message": "enters maintenance mode"}}],
                              "h2": [{"message": {"default_message": "reboots"}}]}}
    summary = out.impact_summary(CLUSTER, impact, {"h1": "esx-a", "h2": "esx-b"}, only=["h2"])
    assert summary == {"cluster": ["DPM will be disabled"], "hosts": {"esx-b": ["reboots"]}}


@pytest.mark.parametrize(("maintenance", "expected"), [
    ({"h1": True}, "vLCM left this host in maintenance mode"),
    ({"h1": False}, "the host is not in maintenance mode"),
])
def test_failure_message_names_host_reason_maintenance_and_staging(maintenance, expected):
    rows = [{"id": "h1", "name": "esx-a", "status": "ERROR", "errors": ["failed during install"]},
            {"id": "h2", "name": "esx-b", "status": "OK", "errors": []}]
    text = out.failure_message(CLUSTER, rows, ["task failed"], maintenance, {"h1": True})
    assert text.startswith("remediation of cluster 'Prod-01' failed on 1 host(s): host 'esx-a': failed during install")
    assert expected in text and "stays staged" in text and "Remediated before the failure: esx-b." in text


def test_failure_message_without_host_rows_uses_task_messages():
    assert out.failure_message(HOST, [], ["boom"], {}, {}) == "remediation of host 'esx-s' failed: boom."
