# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live patch on vSphere 9.1 (live_patch_mode AUTO / ENFORCE / DISABLE) through ansible-playbook against vlcmsim's
livepatch91 scenario: live_patch_info reasons, AUTO falls back and says which hosts went which way, ENFORCE refuses
before any change, the hostd restart blip does not fail the run, live_patch_vms finishes the cluster."""

from __future__ import annotations

SIM_SCENARIO = "livepatch91"


def oracle(sim, cluster):
    st = sim.state()
    cid = next(c["id"] for c in st["clusters"] if c["name"] == cluster)
    return {h["name"]: h for h in st["hosts"] if h["cluster"] == cid}


def test_info_reasons_agree_with_the_rules_table(sim, run_playbook):
    result = run_playbook("""
        - {name: auto, vsphere.lifecycle.live_patch_info: {cluster: LP91-Auto}}
        - {name: enforce, vsphere.lifecycle.live_patch_info: {cluster: LP91-Enforce}}
        - {name: dpu, vsphere.lifecycle.live_patch_info: {cluster: LP91-DPU}}
        - {name: drs, vsphere.lifecycle.live_patch_info: {cluster: LP91-DRS}}
        - {name: ready, vsphere.lifecycle.live_patch_info: {cluster: LP91-Ready}}
        - {name: standalone, vsphere.lifecycle.live_patch_info: {host: esxi-lps91.lab.local}}
    """)
    assert result.ok, result.output
    for task, cluster in (("auto", "LP91-Auto"), ("enforce", "LP91-Enforce"), ("dpu", "LP91-DPU"),
                          ("drs", "LP91-DRS"), ("ready", "LP91-Ready")):
        res = result.task(task)
        want = oracle(sim, cluster)
        for h in res["hosts"]:
            assert h["live_patch"] is want[h["name"]]["live_patch"]["eligible"], (task, h)
            assert sorted(h["reason_codes"]) == sorted(want[h["name"]]["live_patch"]["reasons"]), (task, h)
            assert h["disagreements"] == [], h["disagreements"]
    auto = {h["name"]: h for h in result.task("auto")["hosts"]}
    assert auto["esxi-91a3.lab.local"]["reason_codes"][0] == "TPM"
    assert result.task("auto")["verdict"]["status"] == "MIXED"
    # 9.1 lifts the TPM limit for an ESX 9.1 host under vCenter 9.1 (esxi-91r2 has a TPM)
    ready = {h["name"]: h for h in result.task("ready")["hosts"]}
    assert ready["esxi-91r2.lab.local"]["tpm"] is True and ready["esxi-91r2.lab.local"]["live_patch"] is True
    enforce = result.task("enforce")
    assert enforce["verdict"]["status"] == "REFUSED"
    codes = {h["name"]: h["reason_codes"] for h in enforce["hosts"]}
    assert codes["esxi-91e2.lab.local"] == ["TPM"] and "HOST_VERSION" in codes["esxi-91e3.lab.local"]
    assert {c for h in result.task("dpu")["hosts"] for c in h["reason_codes"]} == {"DPU"}
    drs = result.task("drs")["hosts"][0]
    assert drs["reason_codes"] == ["DRS_NOT_FULLY_AUTOMATED"]
    assert drs["reasons"] == ["DRS is partially automated on cluster LP91-DRS; set it to fully automated"]
    standalone = result.task("standalone")["hosts"][0]
    assert "STANDALONE_HOST" in standalone["reason_codes"] and standalone["live_patch"] is False
    assert sim.mutating_calls() == {}


def test_auto_falls_back_and_says_which_hosts_went_which_way(sim, run_playbook):
    result = run_playbook("""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: LP91-Auto
            accept_eula: true
            refresh: true
    """)
    assert result.ok, result.output
    res = result.task("remediate")
    assert res["live_patch_mode"] == "AUTO"
    assert sorted(res["live_patched_hosts"]) == ["esxi-91a1.lab.local", "esxi-91a2.lab.local"]
    assert res["maintenance_mode_hosts"] == ["esxi-91a3.lab.local"]
    fallback = {f["name"]: f["reasons"] for f in res["fallback_hosts"]}
    assert "TPM" in fallback["esxi-91a3.lab.local"]
    rows = {r["name"]: r for r in res["hosts"]}
    assert rows["esxi-91a3.lab.local"]["method"] == "maintenance_mode" and rows["esxi-91a3.lab.local"]["fsr_count"] == 0
    assert rows["esxi-91a1.lab.local"]["method"] == "live_patch" and rows["esxi-91a1.lab.local"]["maintenance_seconds"] == 0
    c = sim.counters()
    assert c["reboots"] == 1 and c["live_patched_hosts"] == 2 and res["fsr_count"] == c["fsrs"]
    assert c["evacuations"] >= 1           # only the fallen-back host's VM was evacuated
    # then live_patch_vms with power_cycle: all ends the cluster compliant
    fixed = run_playbook("""
        - name: fix
          vsphere.lifecycle.live_patch_vms:
            cluster: LP91-Auto
            power_cycle: all
    """)
    assert fixed.ok, fixed.output
    assert fixed.task("fix")["compliant_hosts"] == ["esxi-91a1.lab.local", "esxi-91a2.lab.local", "esxi-91a3.lab.local"]
    assert all(h["compliance_status"] == "COMPLIANT" for h in oracle(sim, "LP91-Auto").values())


def test_enforce_refuses_before_any_change(sim, run_playbook):
    result = run_playbook("""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: LP91-Enforce
            accept_eula: true
            refresh: true
    """)
    assert not result.ok
    res = result.task("remediate")
    assert sim.mutating_calls() == {}
    assert {r["name"] for r in res["refused_hosts"]} == {"esxi-91e2.lab.local", "esxi-91e3.lab.local"}
    assert "software_policy_spec.live_patch_action.live_patch_mode" in res["msg"]


def test_hostd_restart_blip_does_not_fail_the_run(sim, run_playbook):
    """LP91-Daemon: the patch restarts hostd (the host shows notResponding for a while, made longer by a stall);
    the remediation succeeds, no host is reported unavailable, no VM needs an FSR."""
    sim.add_faults({"type": "host_stall", "host": "esxi-91h1.lab.local", "phase": "hostd_restart", "seconds": 2})
    result = run_playbook("""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: LP91-Daemon
            accept_eula: true
            refresh: true
        - name: fix
          vsphere.lifecycle.live_patch_vms:
            cluster: LP91-Daemon
    """)
    assert result.ok, result.output
    assert sim.faults() == []
    phases = [e for e in sim.events() if e["phase"] == "hostd_restart"]
    assert {e["name"] for e in phases} >= {"esxi-91h1.lab.local", "esxi-91h2.lab.local"}
    res = result.task("remediate")
    assert sorted(res["live_patched_hosts"]) == ["esxi-91h1.lab.local", "esxi-91h2.lab.local"]
    assert res["failed_hosts"] == [] and res["fsr_count"] == 0 and res["vms_to_fix"] == []
    assert all(r["status_after"] == "COMPLIANT" for r in res["hosts"])
    assert sim.counters()["reboots"] == 0
    fix = result.task("fix")
    assert fix["changed"] is False and fix["plan"] == []
    assert fix["compliant_hosts"] == ["esxi-91h1.lab.local", "esxi-91h2.lab.local"]


def test_info_during_the_hostd_restart_reports_the_host_not_responding_without_failing(sim, run_playbook):
    """A live patch of hostd started over REST (the public API), with the restart of esxi-91h1 stalled long enough
    for a playbook to read it: live_patch_info (last report, no scan: the cluster is busy) succeeds and says the
    host does not respond for now, instead of failing or calling it unavailable."""
    import time

    first = run_playbook("- {name: info, vsphere.lifecycle.live_patch_info: {cluster: LP91-Daemon}}")
    assert first.ok, first.output
    sim.add_faults({"type": "host_stall", "host": "esxi-91h1.lab.local", "phase": "hostd_restart", "seconds": 40})
    cid = next(c["id"] for c in sim.state()["clusters"] if c["name"] == "LP91-Daemon")
    s = sim.session()
    try:
        r = s.post(f"{sim.url}/api/esx/settings/clusters/{cid}/software",
                   params={"action": "apply", "vmw-task": "true"}, json={"accept_eula": True}, timeout=30)
        assert r.status_code < 300, r.text
        task = r.json()
        for _ in range(600):                      # until the host shows the blip (the stall holds it there)
            if oracle(sim, "LP91-Daemon")["esxi-91h1.lab.local"]["connection_state"] == "notResponding":
                break
            time.sleep(0.1)
        assert oracle(sim, "LP91-Daemon")["esxi-91h1.lab.local"]["connection_state"] == "notResponding"
        during = run_playbook("""
            - name: info
              vsphere.lifecycle.live_patch_info:
                cluster: LP91-Daemon
                refresh: false
        """)
        assert during.ok, during.output
        h1 = next(h for h in during.task("info")["hosts"] if h["name"] == "esxi-91h1.lab.local")
        assert h1["connection_state"] == "notResponding", h1
        assert "ends by itself" in h1["note"]
        for _ in range(1200):
            info = s.get(f"{sim.url}/api/cis/tasks/{task}", timeout=30).json()
            if info["status"] in ("SUCCEEDED", "FAILED"):
                break
            time.sleep(0.1)
        assert info["status"] == "SUCCEEDED", info
    finally:
        s.delete(f"{sim.url}/api/session", timeout=30)
    assert sim.faults() == []
    assert oracle(sim, "LP91-Daemon")["esxi-91h1.lab.local"]["connection_state"] == "connected"


def test_live_patch_vms_91_never_power_cycles_an_unnamed_vm(sim, run_playbook):
    result = run_playbook("""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: LP91-Auto
            hosts: [esxi-91a1.lab.local, esxi-91a2.lab.local]
            accept_eula: true
            refresh: true
        - name: plan
          vsphere.lifecycle.live_patch_vms:
            cluster: LP91-Auto
          check_mode: true
        - name: fix
          vsphere.lifecycle.live_patch_vms:
            cluster: LP91-Auto
    """)
    assert result.ok, result.output
    plan = {s["vm"]: s["action"] for s in result.task("plan")["plan"]}
    assert plan == {"91a1-ft-01": "vmotion", "91a1-gpu-01": "none", "91a1-pod-01": "none", "sql91-fci-01": "none",
                    "sql91-fci-02": "none"}
    fix = result.task("fix")
    assert fix["power_cycled"] == [] and [m["name"] for m in fix["migrated"]] == ["91a1-ft-01"]
    soap = sim.counters()["soap_methods"]
    assert soap.get("PowerOffVM_Task", 0) == 0 and soap.get("PowerOnVM_Task", 0) == 0
    vms = {v["name"]: v for v in sim.state()["vms"]}
    assert all(vms[n]["power_state"] == "poweredOn" and vms[n]["live_patch_pending"]
               for n in ("91a1-gpu-01", "91a1-pod-01", "sql91-fci-01", "sql91-fci-02"))
    assert {v["name"] for v in fix["vms_left"]} == {"91a1-gpu-01", "91a1-pod-01", "sql91-fci-01", "sql91-fci-02"}
    assert "esxi-91a1.lab.local" in fix["non_compliant_hosts"]
