# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.live_patch_vms through ansible-playbook against vlcmsim's livepatch scenario (8.0 U3): after a
live patch of esxi-m1/m2 (LP-Mixed) the VMs of every kind that cannot FSR are pending; the module vMotions the one
that can move, power cycles only what is named, reports the rest, and the hosts end compliant only when none is
left."""

from __future__ import annotations

SIM_SCENARIO = "livepatch"
PATCH = """
    - name: patch
      vsphere.lifecycle.remediate:
        cluster: LP-Mixed
        hosts: [esxi-m1.lab.local, esxi-m2.lab.local]
        accept_eula: true
        refresh: true
"""
PENDING = {"m1-ft-01", "m1-gpu-01", "m1-pod-01", "sql-fci-01", "sql-fci-02"}


def vms(sim):
    return {v["name"]: v for v in sim.state()["vms"]}


def host_status(sim, names):
    return {h["name"]: h["compliance_status"] for h in sim.state()["hosts"] if h["name"] in names}


def patched(sim, run_playbook):
    result = run_playbook(PATCH)
    assert result.ok, result.output
    pending = {n for n, v in vms(sim).items() if v["live_patch_pending"]}
    assert pending == PENDING
    return sim.counters()


def test_check_mode_lists_the_plan_and_changes_nothing(sim, run_playbook):
    snap = patched(sim, run_playbook)
    before = vms(sim)
    result = run_playbook("""
        - name: fix
          vsphere.lifecycle.live_patch_vms:
            cluster: LP-Mixed
            power_cycle: all
    """, extra_args=["--check"])
    assert result.ok, result.output
    res = result.task("fix")
    assert res["changed"] is True
    plan = {s["vm"]: s for s in res["plan"]}
    assert set(plan) == PENDING
    assert plan["m1-ft-01"]["action"] == "vmotion"
    assert all(plan[n]["action"] == "power_cycle" for n in PENDING - {"m1-ft-01"})
    assert sim.mutating_calls(since=snap) == {}
    after = vms(sim)
    assert {n: (v["host"], v["power_state"]) for n, v in after.items()} == \
        {n: (v["host"], v["power_state"]) for n, v in before.items()}


def test_never_power_cycles_an_unnamed_vm(sim, run_playbook):
    snap = patched(sim, run_playbook)
    before = vms(sim)
    result = run_playbook("""
        - name: fix
          vsphere.lifecycle.live_patch_vms:
            cluster: LP-Mixed
            power_cycle: [m1-gpu-01]
    """)
    assert result.ok, result.output
    res = result.task("fix")
    assert res["changed"] is True
    assert [r["name"] for r in res["power_cycled"]] == ["m1-gpu-01"]
    assert [(r["name"], r["from"], r["returned"]) for r in res["migrated"]] == [("m1-ft-01", "esxi-m1.lab.local", True)]
    soap = sim.counters()["soap_methods"]
    off = soap.get("PowerOffVM_Task", 0) - snap["soap_methods"].get("PowerOffVM_Task", 0)
    assert off == 1
    after = vms(sim)
    # the FT VM came back to its host on the new revision; the unnamed ones did not move and kept running
    assert after["m1-ft-01"]["host"] == before["m1-ft-01"]["host"] and not after["m1-ft-01"]["live_patch_pending"]
    assert not after["m1-gpu-01"]["live_patch_pending"] and after["m1-gpu-01"]["power_state"] == "poweredOn"
    for name in ("m1-pod-01", "sql-fci-01", "sql-fci-02"):
        assert after[name]["power_state"] == "poweredOn" and after[name]["live_patch_pending"], name
        assert after[name]["host"] == before[name]["host"]
    left = {v["name"]: v for v in res["vms_left"]}
    assert set(left) == {"m1-pod-01", "sql-fci-01", "sql-fci-02"}
    assert all("power_cycle" in v["fix"] for v in left.values())
    assert res["non_compliant_hosts"] == ["esxi-m1.lab.local", "esxi-m2.lab.local", "esxi-m3.lab.local",
                                          "esxi-m4.lab.local"]


def test_cluster_compliant_only_after_live_patch_vms(sim, run_playbook):
    patched(sim, run_playbook)
    two = ["esxi-m1.lab.local", "esxi-m2.lab.local"]
    assert set(host_status(sim, two).values()) == {"NON_COMPLIANT"}
    result = run_playbook("""
        - name: fix
          vsphere.lifecycle.live_patch_vms:
            cluster: LP-Mixed
            hosts: [esxi-m1.lab.local, esxi-m2.lab.local]
            power_cycle: all
        - name: compliance
          vsphere.lifecycle.compliance:
            cluster: LP-Mixed
            hosts: [esxi-m1.lab.local, esxi-m2.lab.local]
    """)
    assert result.ok, result.output
    res = result.task("fix")
    assert res["compliant_hosts"] == two and res["vms_left"] == []
    assert {r["name"] for r in res["power_cycled"]} == PENDING - {"m1-ft-01"}
    assert [r["name"] for r in res["migrated"]] == ["m1-ft-01"]
    assert host_status(sim, two) == {n: "COMPLIANT" for n in two}
    assert result.task("compliance")["status"] == "COMPLIANT"
    c = sim.counters()
    assert c["evacuations"] == 0 and c["reboots"] == 0
    # idempotent
    snap = sim.counters()
    again = run_playbook("""
        - name: fix
          vsphere.lifecycle.live_patch_vms:
            cluster: LP-Mixed
            hosts: [esxi-m1.lab.local, esxi-m2.lab.local]
            power_cycle: all
    """)
    assert again.ok, again.output
    assert again.task("fix")["changed"] is False and again.task("fix")["plan"] == []
    assert sim.mutating_calls(since=snap) == {}


def test_return_false_leaves_the_vm_on_a_patched_host(sim, run_playbook):
    patched(sim, run_playbook)
    result = run_playbook("""
        - name: fix
          vsphere.lifecycle.live_patch_vms:
            cluster: LP-Mixed
            hosts: [esxi-m1.lab.local]
            return: false
    """)
    assert result.ok, result.output
    res = result.task("fix")
    assert [(r["name"], r["to"], r["returned"]) for r in res["migrated"]] == [("m1-ft-01", "esxi-m2.lab.local", False)]
    assert vms(sim)["m1-ft-01"]["host"] == next(h["id"] for h in sim.state()["hosts"] if h["name"] == "esxi-m2.lab.local")
    assert res["power_cycled"] == []


def test_bad_power_cycle_input_changes_nothing(sim, run_playbook):
    for value in ("[]", "['']", "[all, m1-gpu-01]"):
        result = run_playbook(f"""
            - name: fix
              vsphere.lifecycle.live_patch_vms:
                cluster: LP-Mixed
                power_cycle: {value}
        """)
        assert not result.ok
        assert "power_cycle" in result.task("fix")["msg"], result.task("fix")["msg"]
    assert sim.mutating_calls() == {}
    assert sim.counters()["logins"].get("rest", 0) == 0
