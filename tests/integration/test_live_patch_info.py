# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.live_patch_info through ansible-playbook against vlcmsim's livepatch scenario (ESXi 8.0 U3,
enforce_quick_patch). Expected verdicts come from /sim/state (the simulator's own rules table), not from the
scenario file: each reason the module gives must be one the simulator holds, and vice versa."""

from __future__ import annotations

SIM_SCENARIO = "livepatch"


def sim_hosts(sim, cluster):
    st = sim.state()
    cid = next(c["id"] for c in st["clusters"] if c["name"] == cluster)
    return {h["name"]: h for h in st["hosts"] if h["cluster"] == cid}


def info(run_playbook, cluster, extra=""):
    result = run_playbook(f"""
        - name: info
          vsphere.lifecycle.live_patch_info:
            cluster: {cluster}
            {extra}
    """)
    assert result.ok, result.output
    return result.task("info")


def test_mixed_cluster_each_reason_and_every_vm_kind(sim, run_playbook):
    res = info(run_playbook, "LP-Mixed")
    assert res["changed"] is False
    hosts = {h["name"]: h for h in res["hosts"]}
    oracle = sim_hosts(sim, "LP-Mixed")
    for name, h in hosts.items():
        assert h["live_patch"] is oracle[name]["live_patch"]["eligible"], name
        assert sorted(h["reason_codes"]) == sorted(oracle[name]["live_patch"]["reasons"]), name
        assert h["disagreements"] == [], h["disagreements"]
    m1 = hosts["esxi-m1.lab.local"]
    assert m1["live_patch"] is True and m1["reasons"] == []
    assert {v["name"]: v["reason"] for v in m1["incompatible_vms"]} == {
        v["name"]: v["reason"] for v in oracle["esxi-m1.lab.local"]["live_patch"]["incompatible_vms"]}
    assert {v["reason"] for v in m1["incompatible_vms"]} == {"FAULT_TOLERANCE", "DIRECTPATH_IO", "VSPHERE_POD",
                                                              "SHARED_DISK"}
    m3 = hosts["esxi-m3.lab.local"]
    assert m3["reason_codes"] == ["TPM"] and "TPM" in m3["reasons"][0] and "reboot" in m3["reasons"][0]
    m4 = hosts["esxi-m4.lab.local"]
    assert "HOST_VERSION" in m4["reason_codes"]
    assert any("ESXi 8.0.2" in r and "8.0 Update 3" in r for r in m4["reasons"])
    verdict = res["verdict"]
    assert verdict["status"] == "REFUSED" and verdict["mode"] == "ENFORCE"
    assert sorted(r["name"] for r in verdict["refused_hosts"]) == ["esxi-m3.lab.local", "esxi-m4.lab.local"]
    assert sim.mutating_calls() == {}
