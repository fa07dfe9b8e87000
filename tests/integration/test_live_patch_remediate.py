# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.remediate with live patch (ESXi 8.0 U3, enforce_quick_patch) through ansible-playbook against
vlcmsim's livepatch scenario: per-host method, FSR count, VMs left to fix, and ENFORCE refused before any change."""

from __future__ import annotations

SIM_SCENARIO = "livepatch"


def cluster_hosts(sim, cluster):
    st = sim.state()
    cid = next(c["id"] for c in st["clusters"] if c["name"] == cluster)
    return {h["name"]: h for h in st["hosts"] if h["cluster"] == cid}


def remediate(run_playbook, cluster, hosts=None, check=False):
    hosts_line = f"hosts: {hosts}" if hosts else ""
    return run_playbook(f"""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: {cluster}
            {hosts_line}
            accept_eula: true
            refresh: true
    """, extra_args=["--check"] if check else None)


def test_eligible_hosts_live_patch_without_evacuation_or_reboot(sim, run_playbook):
    before = cluster_hosts(sim, "LP-Ready")
    running = sum(1 for v in sim.state()["vms"] if v["host"] in {h["id"] for h in before.values()}
                  and v["power_state"] == "poweredOn")
    result = remediate(run_playbook, "LP-Ready")
    assert result.ok, result.output
    res = result.task("remediate")
    c = sim.counters()
    assert c["evacuations"] == 0 and c["reboots"] == 0
    assert c["live_patched_hosts"] == 4 and c["fsrs"] == running
    assert c["maintenance_host_seconds"] == 0 and c["partial_maintenance_host_seconds"] > 0
    assert res["changed"] is True and res["live_patch_mode"] == "ENFORCE"
    assert sorted(res["live_patched_hosts"]) == sorted(before) and res["maintenance_mode_hosts"] == []
    assert res["fsr_count"] == c["fsrs"]
    assert all(r["method"] == "live_patch" for r in res["hosts"])
    assert sum(r["fsr_count"] for r in res["hosts"]) == running
    assert res["vms_to_fix"] == [] and res["fallback_hosts"] == []
    assert res["maintenance_host_seconds"] == 0 and res["partial_maintenance_host_seconds"] > 0
    after = cluster_hosts(sim, "LP-Ready")
    assert all(h["compliance_status"] == "COMPLIANT" for h in after.values()), after
    assert all(not h["in_maintenance"] and h["partial_maintenance_status"] == "notInPartialMM" for h in after.values())
    # idempotent: a second run changes nothing
    snap = sim.counters()
    again = remediate(run_playbook, "LP-Ready")
    assert again.ok, again.output
    assert again.task("remediate")["changed"] is False
    assert sim.mutating_calls(since=snap) == {}


def test_enforce_refuses_tpm_and_old_host_before_any_change(sim, run_playbook):
    result = remediate(run_playbook, "LP-Mixed")
    assert not result.ok
    res = result.task("remediate")
    assert sim.mutating_calls() == {}, sim.mutating_calls()
    refused = {r["name"]: r for r in res["refused_hosts"]}
    assert sorted(refused) == ["esxi-m3.lab.local", "esxi-m4.lab.local"]
    assert refused["esxi-m3.lab.local"]["reason_codes"] == ["TPM"]
    assert "HOST_VERSION" in refused["esxi-m4.lab.local"]["reason_codes"]
    msg = res["msg"]
    assert "esxi-m3.lab.local" in msg and "TPM" in msg and "esxi-m4.lab.local" in msg and "8.0.2" in msg
    assert "nothing was changed" in msg
    assert res.get("changed") is False
    oracle = cluster_hosts(sim, "LP-Mixed")
    assert all(h["installed"] == oracle[n]["installed"] for n, h in oracle.items())


def test_enforce_refusal_in_check_mode_too(sim, run_playbook):
    result = remediate(run_playbook, "LP-DPU", check=True)
    assert not result.ok
    res = result.task("remediate")
    assert {r["name"] for r in res["refused_hosts"]} == {"esxi-d1.lab.local", "esxi-d2.lab.local"}
    assert all(r["reason_codes"] == ["DPU"] for r in res["refused_hosts"])
    assert sim.mutating_calls() == {}


def test_enforce_refuses_partially_automated_drs(sim, run_playbook):
    result = remediate(run_playbook, "LP-DRS")
    assert not result.ok
    res = result.task("remediate")
    assert {r["name"] for r in res["refused_hosts"]} == {"esxi-p1.lab.local", "esxi-p2.lab.local"}
    assert all(r["reason_codes"] == ["DRS_NOT_FULLY_AUTOMATED"] for r in res["refused_hosts"])
    assert "partiallyAutomated" in res["msg"] or "partially automated" in res["msg"]
    assert sim.mutating_calls() == {}


def test_eligible_hosts_of_a_mixed_cluster_leave_vms_to_fix(sim, run_playbook):
    result = remediate(run_playbook, "LP-Mixed", hosts="[esxi-m1.lab.local, esxi-m2.lab.local]")
    assert result.ok, result.output
    res = result.task("remediate")
    c = sim.counters()
    assert c["evacuations"] == 0 and c["reboots"] == 0
    assert sorted(res["live_patched_hosts"]) == ["esxi-m1.lab.local", "esxi-m2.lab.local"]
    oracle = cluster_hosts(sim, "LP-Mixed")
    pending = {v["name"] for v in sim.state()["vms"] if v["live_patch_pending"]}
    assert {v["name"] for v in res["vms_to_fix"]} == pending
    assert {v["reason"] for v in res["vms_to_fix"]} == {"FAULT_TOLERANCE", "DIRECTPATH_IO", "VSPHERE_POD", "SHARED_DISK"}
    assert res["fsr_count"] == c["fsrs"]
    assert oracle["esxi-m1.lab.local"]["compliance_status"] == "NON_COMPLIANT"
    rows = {r["name"]: r for r in res["hosts"]}
    assert rows["esxi-m1.lab.local"]["status_after"] == "NON_COMPLIANT"


def test_full_image_under_enforce_is_a_regular_remediation(sim, run_playbook):
    """LP-Full changes the add-on too: ENFORCE does not bind (control for the refusal tests)."""
    result = remediate(run_playbook, "LP-Full")
    assert result.ok, result.output
    res = result.task("remediate")
    assert res["live_patched_hosts"] == [] and sorted(res["maintenance_mode_hosts"]) == ["esxi-f1.lab.local",
                                                                                        "esxi-f2.lab.local"]
    assert sim.counters()["reboots"] == 2


def test_enforce_refuses_dpu_hosts_before_any_change(sim, run_playbook):
    result = remediate(run_playbook, "LP-DPU")
    assert not result.ok
    res = result.task("remediate")
    assert {r["name"] for r in res["refused_hosts"]} == {"esxi-d1.lab.local", "esxi-d2.lab.local"}
    assert "DPU" in res["msg"] and "nothing was changed" in res["msg"]
    assert sim.mutating_calls() == {}
    assert sim.counters()["downloads"] == 0
