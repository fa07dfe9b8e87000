"""Live patch (issue 13, seed 004) against the bundled livepatch (ESXi 8.0 U3) and livepatch91 (vSphere 9.1)
scenarios, over HTTPS: REST for vLCM, pyVmomi for what vCenter shows and does over SOAP, judged by /sim/state,
/sim/counters and /sim/events. Every test also shows what it would see if the behaviour were absent (the regular
remediation of LP-Off, a rescan before the VMs are fixed, a host that does not restart hostd)."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _simapi import TIME_SCALE, Api
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl
from vlcmsim import scenarios
from vlcmsim.testing import SimulatorHandle, start_simulator
from vlcmsim.vlcm import livepatch
from vlcmsim.vlcm.policies import effective_policies
from vlcmsim.vlcm.targets import Target

LIVE = "com.vmware.vcIntegrity.lifecycle.LivePatch."
PC = vmodl.query.PropertyCollector


@pytest.fixture(scope="module")
def lp_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    handle = start_simulator("livepatch", time_scale=TIME_SCALE, state_dir=tmp_path_factory.mktemp("lp"),
                             require_ca=True)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def lp91_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    handle = start_simulator("livepatch91", time_scale=TIME_SCALE, state_dir=tmp_path_factory.mktemp("lp91"),
                             require_ca=True)
    yield handle
    handle.stop()


@pytest.fixture
def lp(lp_sim: SimulatorHandle) -> Api:
    lp_sim.reset()
    return Api(lp_sim)


@pytest.fixture
def lp91(lp91_sim: SimulatorHandle) -> Api:
    lp91_sim.reset()
    return Api(lp91_sim)


@pytest.fixture
def soap(request: pytest.FixtureRequest) -> Iterator[Callable[[Api], Any]]:
    """soap(api) -> a pyVmomi ServiceInstance on that simulator (trusting its CA), disconnected after the test."""
    opened: list[Any] = []

    def connect(api: Api) -> Any:
        sim = api.sim
        si = SmartConnect(host=sim.host, port=sim.port, user=sim.username, pwd=sim.password,
                          sslContext=ssl.create_default_context(cafile=sim.ca))
        opened.append(si)
        return si

    yield connect
    for si in opened:
        Disconnect(si)


def apply(api: Api, cluster: str, hosts: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"accept_eula": True}
    if hosts is not None:
        body["hosts"] = [api.host[h] for h in hosts]
    return api.task(api.cpath(cluster), "apply", body)


def start_apply(api: Api, cluster: str) -> str:
    r = api.post(f"{api.cpath(cluster)}?action=apply&vmw-task=true", {"accept_eula": True})
    assert r.status_code == 200, r.text
    return r.json()


def scan_hosts(api: Api, cluster: str) -> dict[str, dict[str, Any]]:
    """host name -> HostCompliance after a scan."""
    result = api.task(api.cpath(cluster), "scan")["result"]
    return {api.host_name[h]: c for h, c in result["hosts"].items()}


def hosts_of(api: Api, cluster: str) -> list[dict[str, Any]]:
    state = api.state()
    cid = api.cluster[cluster]
    return [h for h in state["hosts"] if h["cluster"] == cid]


def compatible_running_vms(api: Api, host_ids: set[str]) -> int:
    return sum(1 for v in api.state()["vms"] if v["host"] in host_ids and v["power_state"] == "poweredOn"
               and v["fsr_incompatible"] is None)


def soap_host(si: Any, api: Api, name: str) -> Any:
    return vim.HostSystem(api.host[name], si._stub)


def soap_vm(si: Any, api: Api, name: str) -> Any:
    return vim.VirtualMachine(api.vm[name], si._stub)


def host_props(si: Any, host: Any, paths: list[str]) -> dict[str, Any]:
    """One RetrievePropertiesEx of a host's properties (as the collection reads them)."""
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=host)], propSet=[PC.PropertySpec(type=vim.HostSystem,
                                                                                          pathSet=paths)])
    result = si.content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    return {p.name: p.val for p in result.objects[0].propSet}


def pending_warnings(comp: dict[str, Any]) -> dict[str, str]:
    """VM name -> reason code of the 'still on the previous revision' warnings of a HostCompliance or of a host's
    apply status."""
    return {n["message"]["args"][0]: n["message"]["args"][2] for n in comp["notifications"]["warnings"]
            if n["id"].startswith(LIVE + "VmPending.")}


# --------------------------------------------------------------------------- eligible hosts


def test_eligible_hosts_live_patch_with_no_evacuation_and_no_reboot_and_fsr_each_running_vm(lp: Api) -> None:
    ready = {h["id"] for h in hosts_of(lp, "LP-Ready")}
    comps = scan_hosts(lp, "LP-Ready")
    for comp in comps.values():
        assert comp["impact"] == "PARTIAL_MAINTENANCE_MODE_REQUIRED"
        assert comp["impact_details"] == {"partial_maintenance_mode_name": "quickPatchPartialMM",
                                          "partial_maintenance_mode_upgrade_actions": ["VM_FAST_SUSPEND_RESUME"],
                                          "solution_impacts": {}}
    placement = {v["id"]: (v["host"], v["power_state"]) for v in lp.state()["vms"]}
    fsr_expected = compatible_running_vms(lp, ready)
    assert fsr_expected == 24

    info = apply(lp, "LP-Ready")
    assert info["status"] == "SUCCEEDED", info.get("error")
    c = lp.counters()
    assert (c["evacuations"], c["reboots"], c["maintenance_host_seconds"]) == (0, 0, 0)
    assert c["fsrs"] == fsr_expected and c["live_patched_hosts"] == 4
    assert c["partial_maintenance_host_seconds"] > 0 and c["hosts_in_partial_maintenance_now"] == 0
    assert {v["id"]: (v["host"], v["power_state"]) for v in lp.state()["vms"]} == placement   # nothing moved
    phases = [(e["host"], e["phase"]) for e in lp.sim.events()]
    assert sorted(h for h, p in phases if p == "partial_maintenance") == sorted(ready)
    assert not {p for _, p in phases} & {"evacuate", "maintenance", "reboot"}
    desired = next(c for c in lp.state()["clusters"] if c["name"] == "LP-Ready")["desired_image"]
    assert all(h["installed"] == desired for h in hosts_of(lp, "LP-Ready"))
    assert {c["status"] for c in scan_hosts(lp, "LP-Ready").values()} == {"COMPLIANT"}
    live = [n for n in info["result"]["notifications"]["info"] if n["id"] == LIVE + "Summary"]
    assert len(live) == 1 and "Remediated with maintenance mode and a reboot instead: none" in \
        live[0]["message"]["default_message"]

    # the same update of the twin cluster with the setting off: the regular remediation (the benchmark's pair)
    assert {c["impact"] for c in scan_hosts(lp, "LP-Off").values()} == {"REBOOT_REQUIRED"}
    assert apply(lp, "LP-Off")["status"] == "SUCCEEDED"
    c2 = lp.counters()
    assert c2["reboots"] == 4 and c2["evacuations"] >= 24 and c2["maintenance_host_seconds"] > 0
    assert c2["fsrs"] == c["fsrs"] and c2["live_patched_hosts"] == 4


def test_partial_maintenance_is_visible_over_soap_during_the_apply_and_gone_after(lp: Api, soap: Any) -> None:
    si = soap(lp)
    host = soap_host(si, lp, "esxi-r1.lab.local")
    paths = ["runtime.partialMaintenanceMode", "runtime.inMaintenanceMode"]
    before = host_props(si, host, paths)
    assert [(p.key, p.hostStatus) for p in before["runtime.partialMaintenanceMode"]] == \
        [("quickPatchPartialMM", "notInPartialMM")]
    lp.faults({"type": "host_stall", "host": "esxi-r1.lab.local", "phase": "install", "seconds": 3})
    tid = start_apply(lp, "LP-Ready")
    seen = None
    while lp.get(f"/cis/tasks/{tid}").json()["status"] in ("PENDING", "RUNNING"):
        now = host_props(si, host, paths)
        if now["runtime.partialMaintenanceMode"][0].hostStatus == "inPartialMM":
            seen = now
            break
        time.sleep(0.01)
    assert seen is not None, "esxi-r1 never showed inPartialMM while the apply ran"
    assert seen["runtime.inMaintenanceMode"] is False
    assert lp.host_state("esxi-r1.lab.local")["partial_maintenance_status"] == "inPartialMM"
    # partial maintenance mode: running VMs stay, none may be migrated to or from the host (seed 004)
    vm = soap_vm(si, lp, "r1-web-01")
    with pytest.raises(vim.fault.InvalidState, match="partial maintenance mode"):
        WaitForTask(vm.MigrateVM_Task(host=soap_host(si, lp, "esxi-r2.lab.local"),
                                      priority=vim.VirtualMachine.MovePriority.defaultPriority))
    assert lp.wait(tid)["status"] == "SUCCEEDED"
    after = host_props(si, host, paths)
    assert after["runtime.partialMaintenanceMode"][0].hostStatus == "notInPartialMM"
    assert after["runtime.inMaintenanceMode"] is False
    assert lp.host_state("esxi-r1.lab.local")["in_partial_maintenance"] is False


# --------------------------------------------------------------------------- VMs that cannot fast-suspend-resume


def test_incompatible_vms_keep_the_host_non_compliant_until_vmotioned_or_power_cycled(lp: Api, soap: Any) -> None:
    si = soap(lp)
    before = scan_hosts(lp, "LP-Mixed")["esxi-m1.lab.local"]
    told = {n["message"]["args"][0]: n["message"]["args"][2] for n in before["notifications"]["warnings"]
            if n["id"].startswith(LIVE + "VmIncompatible.")}
    kinds = {"m1-ft-01": "FAULT_TOLERANCE", "m1-gpu-01": "DIRECTPATH_IO", "m1-pod-01": "VSPHERE_POD",
             "sql-fci-01": "SHARED_DISK"}
    assert told == kinds                           # the scan names them and why, before the patch
    info = apply(lp, "LP-Mixed", ["esxi-m1.lab.local"])
    assert info["status"] == "SUCCEEDED", info.get("error")
    c = lp.counters()
    assert (c["evacuations"], c["reboots"], c["fsrs"]) == (0, 0, 2)       # m1-app-01 and m1-app-02
    assert pending_warnings(info["result"]["host_status"][lp.host["esxi-m1.lab.local"]]) == kinds
    m1 = scan_hosts(lp, "LP-Mixed")["esxi-m1.lab.local"]
    assert m1["status"] == "NON_COMPLIANT" and m1["base_image"]["status"] == "COMPLIANT"
    assert pending_warnings(m1) == kinds           # one per VM, naming it and the reason; m1-gpu-02 is off
    assert m1["compliance_status_details"]["id"] == LIVE + "HostPendingVms"
    assert {v["name"] for v in lp.state()["vms"] if v["live_patch_pending"]} == set(kinds)
    # vLCM has nothing left to do for the host
    r = lp.post(f"{lp.cpath('LP-Mixed')}?action=apply&vmw-task=true",
                {"accept_eula": True, "hosts": [lp.host["esxi-m1.lab.local"]]})
    assert r.status_code == 400 and r.json()["error_type"] == "ALREADY_IN_DESIRED_STATE"

    m1_ref, m2_ref = soap_host(si, lp, "esxi-m1.lab.local"), soap_host(si, lp, "esxi-m2.lab.local")
    prio = vim.VirtualMachine.MovePriority.defaultPriority
    # Fault Tolerance: vMotion away and back
    ft = soap_vm(si, lp, "m1-ft-01")
    WaitForTask(ft.MigrateVM_Task(host=m2_ref, priority=prio))
    WaitForTask(ft.MigrateVM_Task(host=m1_ref, priority=prio))
    # DirectPath I/O and the vSphere Pod cannot vMotion: power cycle
    for name in ("m1-gpu-01", "m1-pod-01"):
        vm = soap_vm(si, lp, name)
        WaitForTask(vm.PowerOffVM_Task())
        WaitForTask(vm.PowerOnVM_Task())
    m1 = scan_hosts(lp, "LP-Mixed")["esxi-m1.lab.local"]
    assert m1["status"] == "NON_COMPLIANT" and pending_warnings(m1) == {"sql-fci-01": "SHARED_DISK"}
    sql = soap_vm(si, lp, "sql-fci-01")
    WaitForTask(sql.PowerOffVM_Task())
    WaitForTask(sql.PowerOnVM_Task())
    m1 = scan_hosts(lp, "LP-Mixed")["esxi-m1.lab.local"]
    assert m1["status"] == "COMPLIANT" and pending_warnings(m1) == {}
    assert lp.counters()["reboots"] == 0


def test_a_rescan_alone_does_not_make_the_host_compliant(lp: Api) -> None:
    assert apply(lp, "LP-Mixed", ["esxi-m1.lab.local", "esxi-m2.lab.local"])["status"] == "SUCCEEDED"
    for _ in range(2):
        comps = scan_hosts(lp, "LP-Mixed")
        assert comps["esxi-m1.lab.local"]["status"] == "NON_COMPLIANT"
        assert pending_warnings(comps["esxi-m2.lab.local"]) == {"sql-fci-02": "SHARED_DISK"}


# --------------------------------------------------------------------------- prerequisites, ENFORCE and AUTO


def check_issues(api: Api, cluster: str) -> dict[str, tuple[str, list[str]]]:
    """host name -> (live patch check status, its issues) of a pre-check."""
    result = api.task(api.cpath(cluster), "check")["result"]
    out = {}
    for e in result["entity_results"]:
        for cs in e["check_statuses"]:
            if cs["check"]["check"].endswith("LivePatchCheck"):
                out[api.host_name[e["host"]]] = (cs["status"], [i["default_message"] for i in cs["issues"]])
    return out


@pytest.mark.parametrize("cluster, host, code, words", [
    ("LP-Mixed", "esxi-m3.lab.local", "TPM", "has a TPM"),
    ("LP-Mixed", "esxi-m4.lab.local", "HOST_VERSION", "runs ESXi 8.0.2"),
    ("LP-DPU", "esxi-d1.lab.local", "DPU", "has a DPU"),
    ("LP-DRS", "esxi-p1.lab.local", "DRS_NOT_FULLY_AUTOMATED", "DRS is partiallyAutomated"),
])
def test_each_prerequisite_gives_its_own_reason_in_the_pre_check(lp: Api, cluster: str, host: str, code: str,
                                                                 words: str) -> None:
    issues = check_issues(lp, cluster)
    status, texts = issues[host]
    assert status == "ERROR" and any(words in t for t in texts), texts
    others = {r for _, (_, ts) in issues.items() for t in ts for r in ("has a TPM", "runs ESXi 8.0.2", "has a DPU",
                                                                         "DRS is partiallyAutomated") if r in t}
    assert words in others
    comp = scan_hosts(lp, cluster)[host]
    assert LIVE + "Ineligible." + code in {n["id"] for n in comp["notifications"]["errors"]}
    assert code in lp.host_state(host)["live_patch"]["reasons"]
    if cluster == "LP-Mixed":        # the eligible hosts of the same pre-check pass (their VMs are warnings)
        assert issues["esxi-m1.lab.local"][0] == "WARNING" and issues["esxi-m2.lab.local"][0] == "WARNING"


def test_enforce_refuses_before_any_change_and_names_each_host_and_reason(lp: Api) -> None:
    info = apply(lp, "LP-Mixed")
    assert info["status"] == "FAILED"
    msg = info["error"]["messages"][0]
    assert msg["id"] == LIVE + "Enforced"
    text = msg["default_message"]
    assert "esxi-m3.lab.local: host esxi-m3.lab.local has a TPM" in text and "esxi-m4.lab.local" in text
    assert "8.0.2" in text and "esxi-m1.lab.local:" not in text
    c = lp.counters()
    assert (c["downloads"], c["installs"], c["evacuations"], c["reboots"], c["fsrs"]) == (0, 0, 0, 0, 0)
    assert lp.sim.events() == []
    assert not any(h["in_maintenance"] or h["in_partial_maintenance"] for h in hosts_of(lp, "LP-Mixed"))
    report = lp.get(lp.cpath("LP-Mixed") + "/reports/last-apply-result").json()
    assert sorted(report["skipped_hosts"]) == sorted(lp.host[f"esxi-m{i}.lab.local"] for i in range(1, 5))
    # the same cluster without the two ineligible hosts is live patched
    assert apply(lp, "LP-Mixed", ["esxi-m1.lab.local", "esxi-m2.lab.local"])["status"] == "SUCCEEDED"
    assert lp.counters()["live_patched_hosts"] == 2


def test_enforce_does_not_bind_an_image_that_cannot_live_patch_any_host(lp: Api) -> None:
    comps = scan_hosts(lp, "LP-Full")        # the add-on changes too: a regular update
    assert {c["impact"] for c in comps.values()} == {"REBOOT_REQUIRED"}
    assert all(c["notifications"]["errors"] == [] for c in comps.values())
    assert lp.host_state("esxi-f1.lab.local")["live_patch"]["reasons"] == ["IMAGE_NEEDS_REBOOT"]
    assert apply(lp, "LP-Full")["status"] == "SUCCEEDED"
    assert lp.counters()["reboots"] == 2 and lp.counters()["live_patched_hosts"] == 0


def test_91_auto_falls_back_per_host_and_the_result_says_which_way(lp91: Api) -> None:
    comps = scan_hosts(lp91, "LP91-Auto")
    assert comps["esxi-91a3.lab.local"]["impact"] == "REBOOT_REQUIRED"
    assert LIVE + "Ineligible.TPM" in {n["id"] for n in comps["esxi-91a3.lab.local"]["notifications"]["warnings"]}
    assert check_issues(lp91, "LP91-Auto")["esxi-91a3.lab.local"][0] == "WARNING"
    info = apply(lp91, "LP91-Auto")
    assert info["status"] == "SUCCEEDED", info.get("error")
    statuses = {lp91.host_name[h]: s for h, s in info["result"]["host_status"].items()}
    assert [n["id"] for n in statuses["esxi-91a1.lab.local"]["notifications"]["info"]] == [LIVE + "HostLivePatched"]
    assert [n["id"] for n in statuses["esxi-91a2.lab.local"]["notifications"]["info"]] == [LIVE + "HostLivePatched"]
    fallback = statuses["esxi-91a3.lab.local"]["notifications"]["warnings"]
    assert [n["id"] for n in fallback] == [LIVE + "Fallback"]
    assert "esxi-91a3.lab.local" in fallback[0]["message"]["default_message"] and "TPM" in fallback[0]["message"]["args"]
    summary = info["result"]["notifications"]["info"][0]["message"]["default_message"]
    assert "Live patched: esxi-91a1.lab.local, esxi-91a2.lab.local." in summary and "esxi-91a3.lab.local (TPM" in summary
    c = lp91.counters()
    assert c["live_patched_hosts"] == 2 and c["reboots"] == 1 and c["evacuations"] == 1
    reboots = {e["name"] for e in lp91.sim.events() if e["phase"] == "reboot"}
    assert reboots == {"esxi-91a3.lab.local"}


@pytest.mark.parametrize("cluster, refused", [
    ("LP91-Enforce", {"esxi-91e2.lab.local": "has a TPM", "esxi-91e3.lab.local": "runs ESXi 8.0.2"}),
    ("LP91-DRS", {"esxi-91p1.lab.local": "DRS is partiallyAutomated", "esxi-91p2.lab.local": "DRS is partially"}),
])
def test_91_enforce_refuses_before_any_change(lp91: Api, cluster: str, refused: dict[str, str]) -> None:
    issues = check_issues(lp91, cluster)
    assert {h for h, (s, _) in issues.items() if s == "ERROR"} == set(refused)
    info = apply(lp91, cluster)
    assert info["status"] == "FAILED"
    text = info["error"]["messages"][0]["default_message"]
    assert all(f"{h}: " in text and words in text for h, words in refused.items())
    c = lp91.counters()
    assert (c["downloads"], c["installs"], c["reboots"], c["fsrs"]) == (0, 0, 0, 0)


def test_91_a_tpm_no_longer_blocks_an_esx_91_host_but_still_blocks_an_80_host(lp91: Api, lp: Api) -> None:
    r2 = lp91.host_state("esxi-91r2.lab.local")
    assert r2["tpm"] is True and r2["live_patch"]["eligible"] is True
    assert "TPM" in lp91.host_state("esxi-91e2.lab.local")["live_patch"]["reasons"]      # ESX 8.0 U3 on vCenter 9.1
    assert "TPM" in lp.host_state("esxi-m3.lab.local")["live_patch"]["reasons"]          # 8.0 U3
    assert scan_hosts(lp91, "LP91-Ready")["esxi-91r2.lab.local"]["impact"] == "PARTIAL_MAINTENANCE_MODE_REQUIRED"


# --------------------------------------------------------------------------- 9.x: hostd restart, no-FSR patches


def test_91_hostd_restart_shows_the_host_not_connected_for_a_moment_and_the_apply_succeeds(lp91: Api,
                                                                                          soap: Any) -> None:
    si = soap(lp91)
    host = soap_host(si, lp91, "esxi-91r1.lab.local")
    hid = lp91.host["esxi-91r1.lab.local"]
    lp91.faults({"type": "host_stall", "host": "esxi-91r1.lab.local", "phase": "hostd_restart", "seconds": 3})
    tid = start_apply(lp91, "LP91-Ready")
    rest_seen = soap_seen = None
    while lp91.get(f"/cis/tasks/{tid}").json()["status"] in ("PENDING", "RUNNING") and not (rest_seen and soap_seen):
        listed = lp91.get("/vcenter/host", params={"names": "esxi-91r1.lab.local"}).json()
        if listed[0]["connection_state"] != "CONNECTED":
            rest_seen = listed[0]
        state = host_props(si, host, ["runtime.connectionState"])["runtime.connectionState"]
        if state != "connected":
            soap_seen = state
        time.sleep(0.01)
    assert rest_seen is not None and rest_seen["connection_state"] == "NOT_RESPONDING" and "power_state" not in rest_seen
    assert soap_seen == vim.HostSystem.ConnectionState.notResponding
    info = lp91.wait(tid)
    assert info["status"] == "SUCCEEDED", info.get("error")
    assert lp91.get("/vcenter/host", params={"names": "esxi-91r1.lab.local"}).json()[0]["connection_state"] == "CONNECTED"
    assert host_props(si, host, ["runtime.connectionState"])["runtime.connectionState"] == "connected"
    restarts = [e for e in lp91.sim.events() if e["phase"] == "hostd_restart"]
    assert len(restarts) == 4 and any(e["host"] == hid and e["end"] - e["start"] >= 3 for e in restarts)
    c = lp91.counters()
    assert (c["reboots"], c["evacuations"], c["live_patched_hosts"]) == (0, 0, 4)
    assert {c["status"] for c in scan_hosts(lp91, "LP91-Ready").values()} == {"COMPLIANT"}


def test_91_a_live_patch_without_vmx_needs_no_fsr_and_leaves_no_vm_behind(lp91: Api) -> None:
    comp = scan_hosts(lp91, "LP91-Daemon")["esxi-91h1.lab.local"]
    assert comp["impact_details"]["partial_maintenance_mode_upgrade_actions"] == ["HOSTD_RESTART"]
    assert not any(n["id"].startswith(LIVE + "VmIncompatible") for n in comp["notifications"]["warnings"])
    assert apply(lp91, "LP91-Daemon")["status"] == "SUCCEEDED"
    c = lp91.counters()
    assert (c["fsrs"], c["reboots"], c["live_patched_hosts"]) == (0, 0, 2)
    assert {c["status"] for c in scan_hosts(lp91, "LP91-Daemon").values()} == {"COMPLIANT"}   # FT VM: nothing to do
    phases = {e["phase"] for e in lp91.sim.events()}
    assert "hostd_restart" in phases and "fsr" not in phases
    # control: the 8.0 U3 live patch (vmx only) restarts no hostd and does FSR
    assert apply(lp91, "LP91-Enforce", ["esxi-91e1.lab.local"])["status"] == "SUCCEEDED"
    e1 = {e["phase"] for e in lp91.sim.events() if e["name"] == "esxi-91e1.lab.local"}
    assert "fsr" in e1 and "hostd_restart" not in e1


# --------------------------------------------------------------------------- SOAP: what the collection reads


def test_prerequisites_are_visible_over_soap_with_the_declared_types(lp: Api, soap: Any) -> None:
    si = soap(lp)
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.HostSystem], True)
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name="v", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=[
            "name", "capability.tpmSupported", "summary.tpmAttestation", "config.network.pnic",
            "runtime.healthSystemRuntime", "config.product.version"])])
    rows = {}
    result = si.content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    while True:
        for o in result.objects:
            props = {p.name: p.val for p in o.propSet}
            rows[props["name"]] = props
        if not result.token:
            break
        result = si.content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
    state = {h["name"]: h for h in lp.state()["hosts"]}
    for name, props in rows.items():
        dpu_nics = [n.device for n in props["config.network.pnic"] if n.dpuId]
        assert bool(dpu_nics) is state[name]["dpu"], name
        assert ("runtime.healthSystemRuntime" in props) is state[name]["dpu"], name
        assert props["capability.tpmSupported"] is state[name]["tpm"]
        assert ("summary.tpmAttestation" in props) is state[name]["tpm"]
    assert rows["esxi-d1.lab.local"]["runtime.healthSystemRuntime"].hardwareStatusInfo.dpuStatusInfo[0].dpuId == "dpu0"
    assert rows["esxi-m4.lab.local"]["config.product.version"] == "8.0.2"
    vms = {v["name"]: v for v in lp.state()["vms"]}
    for name, kind in (("m1-ft-01", "fault_tolerance"), ("m1-gpu-01", "directpath"), ("m1-pod-01", "vsphere_pod"),
                       ("sql-fci-01", "shared_disk"), ("m1-app-01", None)):
        vm = soap_vm(si, lp, name)
        devices = vm.config.hardware.device
        assert (vm.runtime.faultToleranceState == "running") is (kind == "fault_tolerance")
        assert any(isinstance(d, vim.vm.device.VirtualPCIPassthrough) for d in devices) is (kind == "directpath")
        assert (vm.config.guestId == "crxPod1Guest") is (kind == "vsphere_pod")
        assert any(isinstance(d, vim.vm.device.VirtualSCSIController) and d.sharedBus == "physicalSharing"
                   for d in devices) is (kind == "shared_disk")
        assert vms[name]["fsr_incompatible"] == (None if kind is None else
                                                 {"fault_tolerance": "FAULT_TOLERANCE", "directpath": "DIRECTPATH_IO",
                                                  "vsphere_pod": "VSPHERE_POD", "shared_disk": "SHARED_DISK"}[kind])
    view.DestroyView()


def test_a_live_patch_in_flight_blocks_power_on_and_maintenance_mode_on_its_host(lp: Api, soap: Any) -> None:
    si = soap(lp)
    vm = soap_vm(si, lp, "r1-web-02")
    WaitForTask(vm.PowerOffVM_Task())
    lp.faults({"type": "host_stall", "host": "esxi-r1.lab.local", "phase": "install", "seconds": 3})
    tid = start_apply(lp, "LP-Ready")
    while lp.host_state("esxi-r1.lab.local")["partial_maintenance_status"] != "inPartialMM":
        assert lp.get(f"/cis/tasks/{tid}").json()["status"] in ("PENDING", "RUNNING")
        time.sleep(0.01)
    errors: list[BaseException] = []

    def attempt(fn: Callable[[], Any]) -> None:
        try:
            WaitForTask(fn())
        except BaseException as exc:      # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(vm.PowerOnVM_Task,)),
               threading.Thread(target=attempt, args=(lambda: soap_host(si, lp, "esxi-r1.lab.local")
                                                      .EnterMaintenanceMode_Task(timeout=0),))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 2 and all(isinstance(e, vim.fault.InvalidState) for e in errors)
    assert all("partial maintenance mode" in e.msg for e in errors)
    assert lp.wait(tid)["status"] == "SUCCEEDED"
    WaitForTask(vm.PowerOnVM_Task())            # allowed again once the host left partial maintenance mode


# --------------------------------------------------------------------------- the rules, in process


def test_the_rules_are_one_table_and_the_vcenter_version_rule_fires_below_80u3() -> None:
    codes = [r.code for r in livepatch.HOST_RULES]
    assert len(codes) == len(set(codes)) and all(r.source for r in livepatch.HOST_RULES)
    assert {r.code for r in livepatch.VM_RULES} == {"FAULT_TOLERANCE", "DIRECTPATH_IO", "VSPHERE_POD", "SHARED_DISK"}
    world = scenarios.load("livepatch")
    r1 = next(h for h in world.hosts.values() if h.name == "esxi-r1.lab.local")
    assert livepatch.host_reasons(world, r1) == []
    world.vcenter_version = "8.0.2"                 # the simulator serves 8.0.3 and 9.1; the rule is still there
    assert [r.code for r in livepatch.host_reasons(world, r1)] == ["VCENTER_VERSION"]


def test_the_91_live_patch_fields_stay_in_step_and_the_most_specific_layer_decides() -> None:
    world = scenarios.load("livepatch91")
    cluster = next(c for c in world.clusters.values() if c.name == "LP91-Ready")
    target = Target("cluster", cluster)
    cluster.policies = {"enforce_quick_patch": True}
    eff = effective_policies(world, target)
    assert eff["software_policy_spec"]["live_patch_action"]["live_patch_mode"] == livepatch.ENFORCE
    world.global_policies = {"enforce_quick_patch": True}
    cluster.policies = {"software_policy_spec": {"live_patch_action": {"live_patch_mode": livepatch.AUTO}}}
    eff = effective_policies(world, target)
    assert eff["enforce_quick_patch"] is False and livepatch.mode(world, target, eff) == livepatch.AUTO
    cluster.policies = {}
    assert livepatch.mode(world, target, effective_policies(world, target)) == livepatch.ENFORCE
    world80 = scenarios.load("livepatch")           # 8.0 U3: no software_policy_spec, no AUTO
    ready = next(c for c in world80.clusters.values() if c.name == "LP-Ready")
    eff80 = effective_policies(world80, Target("cluster", ready))
    assert "software_policy_spec" not in eff80 and livepatch.mode(world80, Target("cluster", ready), eff80) == \
        livepatch.ENFORCE


def test_a_scenario_cannot_live_patch_hostd_on_an_80_base_image(tmp_path: Path) -> None:
    data = yaml.safe_load(scenarios.scenario_path("livepatch").read_text())
    data["depot"]["base_images"][2]["live_patch_targets"] = ["vmx", "hostd"]
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(scenarios.ScenarioError, match=r"base_images\[2\]\.live_patch_targets: hostd .*ESX 9\.0"):
        scenarios.load(str(path))
    data["depot"]["base_images"][2]["live_patch_targets"] = ["vmx", "sshd"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(scenarios.ScenarioError, match="live_patch_targets"):
        scenarios.load(str(path))
