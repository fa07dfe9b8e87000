# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of live patch: the setting, scan facts, reasons, the cluster verdict, the ENFORCE refusal, the apply
methods, the plan of live_patch_vms and the power_cycle option."""

from __future__ import annotations

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _livepatch as lp
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _livepatch_vms as lpv
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

CLUSTER = Target("cluster", "domain-c1", "C1")
HOST_TARGET = Target("host", "host-9", "esx-9")
NOTE = lp.NOTE


def note(what, *args):
    return {"id": NOTE + what, "message": {"id": NOTE + what, "default_message": what, "args": list(args)}}


def compliance(impact="PARTIAL_MAINTENANCE_MODE_REQUIRED", installed="8.0.3-0.35", desired="8.0.3-0.50",
               warnings=(), errors=(), add_on="COMPLIANT", status="NON_COMPLIANT"):
    return {"status": status, "impact": impact,
            "base_image": {"current": {"version": installed}, "target": {"version": desired}},
            "add_on": {"status": add_on},
            "components": {"ESXi": {"status": "NON_COMPLIANT", "current_source": "BASE_IMAGE",
                                    "target_source": "BASE_IMAGE"}},
            "notifications": {"warnings": list(warnings), "errors": list(errors)}}


def test_mode_of_both_fields_and_standalone():
    assert lp.mode_of({"enforce_quick_patch": True}, CLUSTER)[0] == lp.ENFORCE
    assert lp.mode_of({"enforce_quick_patch": False}, CLUSTER)[0] == lp.DISABLE
    spec = {"enforce_quick_patch": False, "software_policy_spec": {"live_patch_action": {"live_patch_mode": lp.AUTO}}}
    assert lp.mode_of(spec, CLUSTER) == (lp.AUTO, "software_policy_spec.live_patch_action.live_patch_mode")
    assert lp.mode_of({"enforce_quick_patch": True}, HOST_TARGET)[0] == lp.DISABLE


def test_scan_facts_reads_notes_and_ignores_base_image_components():
    s = lp.scan_facts(compliance(warnings=[note("VmIncompatible.FAULT_TOLERANCE", "ft-1", "vm-1", "FAULT_TOLERANCE",
                                                "esx-1")],
                                 errors=[note("Ineligible.TPM", "esx-1", "TPM")]))
    assert s.live_patch and s.other_changes == [] and s.ineligible == {"TPM": "Ineligible.TPM"}
    assert s.incompatible == {"ft-1": "FAULT_TOLERANCE"}
    assert lp.scan_facts(compliance(add_on="NON_COMPLIANT")).other_changes == ["the vendor add-on"]


def test_pending_only_host_needs_no_change():
    s = lp.scan_facts(compliance(impact="NO_IMPACT", installed="8.0.3-0.50",
                                 warnings=[note("VmPending.DIRECTPATH_IO", "gpu", "vm-2", "DIRECTPATH_IO", "esx-1")]))
    assert s.patched_with_pending and not lp.needs_change(s) and s.pending_ids == {"gpu": "vm-2"}


@pytest.mark.parametrize(("facts", "drs", "code", "words"), [
    ({"tpm": True}, {"enabled": True, "behavior": "fullyAutomated"}, "TPM", "TPM"),
    ({"dpu": True}, {"enabled": True, "behavior": "fullyAutomated"}, "DPU", "DPU"),
    ({}, {"enabled": True, "behavior": "partiallyAutomated"}, "DRS_NOT_FULLY_AUTOMATED",
     "DRS is partially automated on cluster C1; set it to fully automated"),
    ({}, {"enabled": False, "behavior": None}, "DRS_DISABLED", "enable DRS"),
])
def test_each_prerequisite_has_its_own_reason(facts, drs, code, words):
    host = lp.HostFacts(id="host-1", name="esx-1", version="8.0.3", **facts)
    reasons = lp.host_reasons(mode=lp.ENFORCE, setting="enforce_quick_patch", target=CLUSTER, vcenter=(8, 0, 3),
                              host=host, drs=drs, scan=lp.scan_facts(compliance()),
                              quick_patch_from={"8.0.3-0.35": "U3c"}, cluster_name="C1")
    assert [c for c, _text in reasons] == [code]
    assert words in reasons[0][1]


def test_old_host_and_tpm_lifted_on_91():
    scan = lp.scan_facts(compliance(installed="8.0.2-0.0"))
    host = lp.HostFacts(id="h", name="esx-1", version="8.0.2")
    found = lp.host_reasons(mode=lp.AUTO, setting="x", target=CLUSTER, vcenter=(9, 1, 0), host=host,
                            drs={"enabled": True, "behavior": "fullyAutomated"}, scan=scan,
                            quick_patch_from={"8.0.3-0.35": "U3c"}, cluster_name="C1")
    codes = [c for c, _text in found]
    assert codes == ["HOST_VERSION", "INSTALLED_VERSION_NOT_COMPATIBLE"]
    tpm91 = lp.HostFacts(id="h", name="esx-2", version="9.1.0", tpm=True)
    scan91 = lp.scan_facts(compliance(installed="9.1.0-0.0", desired="9.1.0-0.100"))
    assert lp.host_reasons(mode=lp.AUTO, setting="x", target=CLUSTER, vcenter=(9, 1, 0), host=tpm91,
                           drs={"enabled": True, "behavior": "fullyAutomated"}, scan=scan91,
                           quick_patch_from={"9.1.0-0.0": "9.1"}, cluster_name="C1") == []


def test_enforce_refusal_binds_only_with_a_live_patch_image():
    names = {"h1": "esx-1", "h2": "esx-2"}
    tpm = compliance(impact="REBOOT_REQUIRED", errors=[note("Ineligible.TPM", "esx-2", "TPM")])
    report = {"hosts": {"h1": compliance(), "h2": tpm}}
    refused = lp.enforce_refusal(lp.ENFORCE, report, CLUSTER, ["h1", "h2"], names)
    assert [r["name"] for r in refused] == ["esx-2"] and refused[0]["reason_codes"] == ["TPM"]
    assert lp.enforce_refusal(lp.AUTO, report, CLUSTER, ["h1", "h2"], names) == []
    only_image = {"hosts": {"h2": compliance(impact="REBOOT_REQUIRED", errors=[
        note("Ineligible.INSTALLED_VERSION_NOT_COMPATIBLE", "esx-2", "INSTALLED_VERSION_NOT_COMPATIBLE")])}}
    assert lp.enforce_refusal(lp.ENFORCE, only_image, CLUSTER, ["h2"], names) == []


def test_apply_methods_and_annotated_rows():
    result = {"host_status": {
        "h1": {"status": "OK", "notifications": {"info": [note("HostLivePatched", "esx-1", "5")],
                                                 "warnings": [note("VmPending.VSPHERE_POD", "pod", "vm-3",
                                                                   "VSPHERE_POD", "esx-1")]}},
        "h2": {"status": "OK", "notifications": {"warnings": [note("Fallback", "esx-2", "TPM")]}}}}
    methods = lp.apply_methods(CLUSTER, result)
    assert methods["h1"]["method"] == "live_patch" and methods["h1"]["fsr_count"] == 5
    assert methods["h2"]["fallback_reasons"] == ["TPM"] and methods["h2"]["method"] == "maintenance_mode"
    rows = [{"id": "h1", "name": "esx-1", "status": "OK", "maintenance_seconds": 40.0},
            {"id": "h2", "name": "esx-2", "status": "OK", "maintenance_seconds": 900.0}]
    fields = lp.annotate_apply_rows(rows, methods)
    assert fields["live_patched_hosts"] == ["esx-1"] and fields["maintenance_mode_hosts"] == ["esx-2"]
    assert fields["maintenance_host_seconds"] == 900.0 and fields["partial_maintenance_host_seconds"] == 40.0
    assert fields["vms_to_fix"] == [{"name": "pod", "reason": "VSPHERE_POD", "host": "esx-1"}]


def test_cluster_verdict_statuses():
    def row(name, change, live, codes=()):
        return {"name": name, "needs_change": change, "will_live_patch": live, "reason_codes": list(codes),
                "reasons": [f"r-{c}" for c in codes], "incompatible_vms": [], "pending_vms": [], "disagreements": []}
    assert lp.cluster_verdict(CLUSTER, lp.AUTO, "x", [row("a", True, True), row("b", True, False, ["TPM"])])["status"] \
        == "MIXED"
    v = lp.cluster_verdict(CLUSTER, lp.ENFORCE, "x", [row("a", True, True), row("b", True, False, ["TPM"])])
    assert v["status"] == "REFUSED" and v["refused_hosts"] == [{"name": "b", "reasons": ["r-TPM"]}]
    assert lp.cluster_verdict(CLUSTER, lp.ENFORCE, "x", [row("a", True, False, ["IMAGE_NEEDS_REBOOT"])])["status"] \
        == "REGULAR"
    assert lp.cluster_verdict(CLUSTER, lp.AUTO, "x", [row("a", False, True)])["status"] == "NOTHING_TO_DO"


def vm(vid, host, cannot_move=None, on=True):
    return lp.VmFacts(id=vid, name=vid, host=host, powered_on=on, blocker="X", cannot_move=cannot_move)


HOSTS = {h: lp.HostFacts(id=h, name=h, connection_state="connected", partial_maintenance="notInPartialMM")
         for h in ("h1", "h2", "h3")}


def pending(*vids):
    return [{"name": v, "id": v, "host": "h1", "host_name": "h1", "reason": "X"} for v in vids]


def test_plan_never_power_cycles_an_unnamed_vm():
    vms = {"ft": vm("ft", "h1"), "gpu": vm("gpu", "h1", "has a PCI passthrough"), "pod": vm("pod", "h1", "is a Pod")}
    steps = {s.vm: s for s in lpv.plan(pending("ft", "gpu", "pod"), vms, HOSTS, ["h2"], {"gpu"}, True)}
    assert steps["ft"].action == "vmotion" and steps["ft"].destinations[0] == "h2"
    assert steps["gpu"].action == "power_cycle"
    assert steps["pod"].action == "none" and "power_cycle" in steps["pod"].fix
    all_steps = {s.vm: s.action for s in lpv.plan(pending("ft", "gpu", "pod"), vms, HOSTS, ["h2"], "all", True)}
    assert all_steps == {"ft": "vmotion", "gpu": "power_cycle", "pod": "power_cycle"}


def test_plan_return_false_needs_a_patched_host():
    vms = {"ft": vm("ft", "h1")}
    assert lpv.plan(pending("ft"), vms, HOSTS, [], None, False)[0].action == "none"
    step = lpv.plan(pending("ft"), vms, HOSTS, ["h3"], None, False)[0]
    assert step.action == "vmotion" and step.destinations == ["h3"]


@pytest.mark.parametrize("value", [[], [""], [None], ["all", "vm-1"]])
def test_power_cycle_option_errors(value):
    with pytest.raises(ValueError, match="power_cycle"):
        lpv.check_power_cycle(value)


def test_power_cycle_option_values():
    assert lpv.check_power_cycle(None) is None
    assert lpv.check_power_cycle(["all"]) == "all"
    assert lpv.check_power_cycle(["a", "b"]) == {"a", "b"}


def test_wait_connected_rides_out_a_blip():
    reads = iter([{"h1": lp.HostFacts(id="h1", name="esx-1", connection_state="notResponding")},
                  {"h1": lp.HostFacts(id="h1", name="esx-1", connection_state="connected")}])
    slept = []
    hosts, waited = lpv.wait_connected(lambda: next(reads), ["h1"], timeout=60, sleep=slept.append,
                                       clock=lambda: 0.0)
    assert waited == ["esx-1"] and hosts["h1"].connection_state == "connected" and slept == [2.0]
