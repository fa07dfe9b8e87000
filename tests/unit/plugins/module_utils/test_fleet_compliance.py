# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure shaping of the fleet report: live-patch readiness, incompatible VMs, fleet counts, failed entries."""

from __future__ import annotations

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _fleet_compliance as fleet
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError, TaskFailedError

NOTE = "com.vmware.vcIntegrity.lifecycle.LivePatch."


def note(nid, text, *args):
    return {"id": nid, "message": {"id": nid, "default_message": text, "args": list(args)}}


def test_live_patch_ready_from_impact_and_mode_name():
    raw = {"impact": "PARTIAL_MAINTENANCE_MODE_REQUIRED",
           "impact_details": {"partial_maintenance_mode_name": "quickPatchPartialMM"}}
    assert fleet.live_patch(raw) == {"ready": True, "partial_maintenance_mode": "quickPatchPartialMM", "reasons": []}
    assert fleet.incompatible_vms(raw) == []          # live patch in play, no VM named: none (not n/a)


def test_live_patch_not_ready_names_the_reasons():
    raw = {"impact": "REBOOT_REQUIRED", "notifications": {"warnings": [
        note(NOTE + "Ineligible.TPM", "Host esx-1 cannot be live patched: it has a TPM.", "esx-1", "TPM"),
        note("com.vmware.vcIntegrity.lifecycle.Other", "unrelated")]}}
    assert fleet.live_patch(raw) == {"ready": False, "partial_maintenance_mode": None,
                                     "reasons": ["Host esx-1 cannot be live patched: it has a TPM."]}


def test_live_patch_unknown_is_none_for_n_a():
    raw = {"impact": "REBOOT_REQUIRED", "notifications": {"warnings": [note("x.FirmwareStagingNotSupported", "fw")]}}
    assert fleet.live_patch(raw) is None
    assert fleet.incompatible_vms(raw) is None
    assert fleet.live_patch({}) is None and fleet.incompatible_vms({}) is None


def test_incompatible_vms_before_and_after_a_live_patch():
    raw = {"impact": "PARTIAL_MAINTENANCE_MODE_REQUIRED", "notifications": {"warnings": [
        note(NOTE + "VmIncompatible.SHARED_DISK", "VM sql-1 uses a shared disk", "sql-1", "vm-9", "SHARED_DISK"),
        note(NOTE + "VmPending.FAULT_TOLERANCE", "VM ft-1 still runs the old revision", "ft-1", "vm-3")]}}
    assert fleet.incompatible_vms(raw) == [
        {"name": "sql-1", "reason": "SHARED_DISK", "pending": False, "message": "VM sql-1 uses a shared disk"},
        {"name": "ft-1", "reason": "FAULT_TOLERANCE", "pending": True, "message": "VM ft-1 still runs the old revision"},
    ]


def test_add_live_patch_sets_both_fields_per_row():
    rows = [{"id": "host-1"}, {"id": "host-2"}]
    fleet.add_live_patch(rows, {"host-1": {"impact": "PARTIAL_MAINTENANCE_MODE_REQUIRED"}})
    assert rows[0]["live_patch"]["ready"] is True and rows[0]["incompatible_vms"] == []
    assert rows[1]["live_patch"] is None and rows[1]["incompatible_vms"] is None


def test_fleet_counts_targets_and_hosts():
    entries = [
        {"status": "NON_COMPLIANT", "hosts": [{"status": "COMPLIANT"}, {"status": "NON_COMPLIANT"}, {"status": None}]},
        {"status": "ERROR", "error": "busy"},
        {"status": "COMPLIANT", "hosts": [{"status": "COMPLIANT"}]},
    ]
    counts = fleet.fleet_counts(entries)
    assert counts["targets"] == {"compliant": 1, "non_compliant": 1, "incompatible": 0, "unavailable": 0,
                                 "not_scanned": 0, "error": 1, "total": 3}
    assert counts["hosts"] == {"compliant": 2, "non_compliant": 1, "incompatible": 0, "unavailable": 1, "total": 4}


def test_failed_entry_not_scanned_only_without_refresh_and_not_found():
    target = {"type": "cluster", "id": "domain-c1", "name": "C1"}
    missing = ApiError("no report", error_type="NOT_FOUND", status=404)
    assert fleet.failed_entry(target, missing, refresh=False)["status"] == "NOT_SCANNED"
    assert fleet.failed_entry(target, missing, refresh=True) == {"target": target, "status": "ERROR",
                                                                 "error": "no report"}
    failed = TaskFailedError("compliance scan of cluster 'C1' failed", task_id="t-1", messages=[], info={})
    assert fleet.failed_entry(target, failed, refresh=False)["status"] == "ERROR"
