# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.live_patch_info through ansible-playbook against vlcmsim's livepatch scenario (ESXi 8.0 U3,
enforce_quick_patch). Expected verdicts come from /sim/state (the simulator's own rules table), not from the
scenario file: each reason the module gives must be one the simulator holds, and vice versa."""

from __future__ import annotations

import ssl
import time

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

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


def test_every_cluster_and_the_standalone_host_agree_with_the_rules_table(sim, run_playbook):
    result = run_playbook("""
        - {name: ready, vsphere.lifecycle.live_patch_info: {cluster: LP-Ready}}
        - {name: "off", vsphere.lifecycle.live_patch_info: {cluster: LP-Off}}
        - {name: dpu, vsphere.lifecycle.live_patch_info: {cluster: LP-DPU}}
        - {name: drs, vsphere.lifecycle.live_patch_info: {cluster: LP-DRS}}
        - {name: full, vsphere.lifecycle.live_patch_info: {cluster: LP-Full}}
        - {name: standalone, vsphere.lifecycle.live_patch_info: {host: esxi-lps.lab.local}}
    """)
    assert result.ok, result.output
    st = sim.state()
    by_name = {h["name"]: h for h in st["hosts"]}
    for task in ("ready", "off", "dpu", "drs", "full", "standalone"):
        for h in result.task(task)["hosts"]:
            want = by_name[h["name"]]["live_patch"]
            assert h["live_patch"] is want["eligible"], (task, h)
            assert sorted(h["reason_codes"]) == sorted(want["reasons"]), (task, h, want)
            assert h["disagreements"] == [], (task, h["disagreements"])
    verdicts = {t: result.task(t)["verdict"]["status"] for t in ("ready", "off", "dpu", "drs", "full", "standalone")}
    assert verdicts == {"ready": "LIVE_PATCH", "off": "REGULAR", "dpu": "REFUSED", "drs": "REFUSED",
                        "full": "REGULAR", "standalone": "REGULAR"}
    dpu = result.task("dpu")["hosts"]
    assert all(h["reason_codes"] == ["DPU"] and h["dpu"] is True for h in dpu)
    assert "DPU (vSphere Distributed Services Engine)" in dpu[0]["reasons"][0]
    drs = result.task("drs")["hosts"]
    assert all(h["reasons"] == ["DRS is partially automated on cluster LP-DRS; set it to fully automated"] for h in drs)
    off = result.task("off")["hosts"][0]
    assert off["reason_codes"] == ["LIVE_PATCH_DISABLED"] and "enforce_quick_patch" in off["reasons"][0]
    full = result.task("full")["hosts"][0]
    assert full["reason_codes"] == ["IMAGE_NEEDS_REBOOT"] and "vendor add-on" in full["reasons"][0]
    ready = result.task("ready")
    assert ready["verdict"]["live_patch_hosts"] == sorted(h["name"] for h in ready["hosts"])
    assert ready["quick_patch_compatible_versions"] == ["8.0.3-0.35.24280767"]
    assert ready["vcenter_version"] == st["vcenter"]["version"]
    assert sim.mutating_calls() == {}
    assert sim.counters()["logins"]["soap"] == 6           # one SOAP session per module run


def test_bad_input_changes_nothing_and_sends_nothing(sim, run_playbook):
    result = run_playbook("""
        - name: info
          vsphere.lifecycle.live_patch_info:
            cluster: LP-Mixed
            hosts: []
    """)
    assert not result.ok
    assert "hosts" in result.task("info")["msg"]
    assert sim.counters()["logins"].get("rest", 0) == 0 and sim.mutating_calls() == {}


def test_a_stale_scan_and_the_inventory_disagree_and_the_module_says_so(sim, run_playbook):
    """DRS of LP-Ready set to partially automated over SOAP after the scan: the last report (refresh: false) still
    says live patch, the inventory read says DRS; live_patch_info reports the disagreement and warns. Control: with
    a fresh scan (refresh: true) the two agree again."""
    first = run_playbook("- {name: info, vsphere.lifecycle.live_patch_info: {cluster: LP-Ready}}")
    assert first.ok, first.output
    assert all(h["disagreements"] == [] and h["live_patch"] for h in first.task("info")["hosts"])
    cid = next(c["id"] for c in sim.state()["clusters"] if c["name"] == "LP-Ready")
    si = SmartConnect(host=sim.host, port=sim.port, user=sim.username, pwd=sim.password,
                      sslContext=ssl.create_default_context(cafile=sim.ca))
    try:
        spec = vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(defaultVmBehavior="partiallyAutomated"))
        task = vim.ClusterComputeResource(cid, si._stub).ReconfigureComputeResource_Task(spec=spec, modify=True)
        for _ in range(300):
            if task.info.state in ("success", "error"):
                break
            time.sleep(0.1)
        assert task.info.state == "success"
    finally:
        Disconnect(si)
    assert next(c for c in sim.state()["clusters"] if c["id"] == cid)["drs_behavior"] == "partiallyAutomated"
    result = run_playbook("""
        - name: stale
          vsphere.lifecycle.live_patch_info:
            cluster: LP-Ready
            refresh: false
        - name: fresh
          vsphere.lifecycle.live_patch_info:
            cluster: LP-Ready
    """)
    assert result.ok, result.output
    stale = result.task("stale")
    assert stale["verdict"]["disagreements"] == len(stale["hosts"])
    for h in stale["hosts"]:
        assert h["scan"]["live_patch"] is True and h["live_patch"] is False
        assert h["reason_codes"] == ["DRS_NOT_FULLY_AUTOMATED"]
        assert "vLCM's scan says host" in h["disagreements"][0]
    assert any("vLCM's scan says host" in w for w in stale.get("warnings", []))
    fresh = result.task("fresh")
    assert all(h["disagreements"] == [] and h["reason_codes"] == ["DRS_NOT_FULLY_AUTOMATED"] for h in fresh["hosts"])
    assert fresh["verdict"]["status"] == "REFUSED"
