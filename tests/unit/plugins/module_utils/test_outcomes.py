# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Result shaping of stage / apply (pure): apply rows and fields, a failed stage, failure messages."""

from __future__ import annotations

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _outcomes as out
from ansible_collections.vsphere.lifecycle.plugins.module_utils._remediation import HostState
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

CLUSTER = Target("cluster", "domain-c1", "Prod-01")
NOTES = {"info": [], "warnings": [], "errors": []}
NAMES = {"h1": "esx-a", "h2": "esx-b", "h3": "esx-c"}


def status(st, start="2026-11-30T10:00:00.000Z", end="2026-11-30T10:12:30.500Z", errors=()):
    notes = dict(NOTES, errors=[{"type": "ERROR", "id": "x", "message": {"id": "x", "default_message": e, "args": []}}
                                for e in errors])
    return {"status": st, "start_time": start, "end_time": end, "notifications": notes}


def state(host_id, base, stage="NOT_STAGED", status="NON_COMPLIANT"):
    return HostState(id=host_id, name=NAMES[host_id], status=status, stage_status=stage,
                     base_current=base, base_target="8.0.3-0.50")


APPLY = {"status": status("ERROR"), "host_info": {h: {"name": n} for h, n in NAMES.items()},
         "host_status": {"h1": status("OK"), "h2": status("ERROR", errors=["failed during install"]),
                         "h3": status("SKIPPED", end="2026-11-30T10:00:00.000Z")}}


def test_apply_rows_and_fields():
    before = {h: state(h, "8.0.3-0.35") for h in NAMES}
    after = {"h1": state("h1", "8.0.3-0.50", status="COMPLIANT"), "h2": state("h2", "8.0.3-0.35", stage="STAGED"),
             "h3": state("h3", "8.0.3-0.35")}
    rows = out.apply_rows(CLUSTER, APPLY, NAMES, before, after)
    assert [(r["name"], r["status"]) for r in rows] == [("esx-a", "OK"), ("esx-b", "ERROR"), ("esx-c", "SKIPPED")]
    assert rows[0]["before"]["base_image"] == "8.0.3-0.35" and rows[0]["after"]["base_image"] == "8.0.3-0.50"
    assert rows[0]["maintenance_seconds"] == 750.5 and rows[2]["maintenance_seconds"] == 0.0
    assert rows[1]["staged_after"] is True and rows[1]["status_after"] == "NON_COMPLIANT"
    fields = out.apply_fields(rows)
    assert fields["successful_hosts"] == ["esx-a"] and fields["failed_hosts"] == ["esx-b"]
    assert fields["maintenance_host_seconds"] == 1501.0
    assert fields["skipped_by_vlcm"] == [{"name": "esx-c", "reason": "vLCM status SKIPPED"}]


def test_a_failed_stage_is_split_by_the_refreshed_compliance():
    after = {"h1": state("h1", "8.0.3-0.35", stage="STAGED"), "h2": state("h2", "8.0.3-0.35")}
    assert out.stage_split(["h1", "h2", "h3"], NAMES, after) == (["esx-a"], ["esx-b", "esx-c"])


def test_failure_message_when_soap_is_unreachable_and_vms_were_left_off():
    rows = [{"id": "h2", "name": "esx-b", "status": "ERROR", "errors": ["failed to enter maintenance mode"]}]
    text = out.failure_message(CLUSTER, rows, [], None, {}, maintenance_error="SOAP connection refused",
                               vms_not_restored=[{"name": "gpu-render-01", "power_state": "POWERED_OFF"}])
    assert "host 'esx-b': failed to enter maintenance mode -- whether vLCM left this host in maintenance mode " \
           "could not be read (SOAP connection refused); check it in the vSphere Client" in text
    assert "not restored: 'gpu-render-01' (powered off); power them on" in text
    assert text.endswith("staged hosts are not staged again.")


def test_skipped_rows_and_diff():
    assert out.skipped_rows({"h2": "compliant", "h1": "compliant"}, NAMES) == [
        {"name": "esx-a", "reason": "compliant"}, {"name": "esx-b", "reason": "compliant"}]
    states = {h: state(h, "8.0.3-0.35") for h in NAMES}
    diff = out.versions_diff(states, ["h1"], NAMES)
    assert diff["before"]["esx-a"]["base_image"] == "8.0.3-0.35" and diff["after"]["esx-a"]["base_image"] == "8.0.3-0.50"
