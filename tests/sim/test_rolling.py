"""Simulator support for rolling, capacity-aware remediation (issue 9 item 6), over HTTPS.

Maintenance mode through pyVmomi (SOAP) waits for room and times out as vCenter does, hosts entering together
are evaluated against each other, HA admission control keeps one host of failover capacity, vSAN clusters take
one host at a time and refuse parallel remediation, vLCM's parallel remediation takes the hosts already in
maintenance mode (max_hosts at a time) and leaves them there. Judged by /sim/state, /sim/counters, task results
and the REST reports; never by the simulator's internals.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from _simapi import TIME_SCALE, Api, build_scenario, cluster, host
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

GIB = 1024
BIG = {"cpu_mhz": 2000, "memory_mb": 40 * GIB}          # a VM two of which never fit on one 64 GiB host
SMALL_HOST = {"memory_mb": 64 * GIB}
NO_AC = {"enabled": True, "admission_control": False}


def _t(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def peak_concurrency(windows: list[tuple[float, float]]) -> int:
    """The largest number of [start, end) windows that overlap at one moment."""
    events = sorted([(s, 1) for s, _ in windows] + [(e, -1) for _, e in windows])   # ends sort before starts
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


@pytest.fixture
def soap() -> Iterator[Callable[[Api], Any]]:
    """connect(api) -> a pyVmomi ServiceInstance trusting only the simulator's CA; disconnected after the test."""
    opened: list[Any] = []

    def connect(api: Api) -> Any:
        url = urlsplit(api.sim.url)
        si = SmartConnect(host=url.hostname, port=url.port, user=api.sim.username, pwd=api.sim.password,
                          sslContext=ssl.create_default_context(cafile=api.sim.ca))
        opened.append(si)
        return si

    yield connect
    for si in opened:
        Disconnect(si)


def outcome(task: Any) -> tuple[str, Any]:
    """Wait for a vim.Task: ("success", None) or ("error", the vim fault)."""
    try:
        WaitForTask(task, maxWaitTime=120)
    except vmodl.MethodFault as fault:
        return "error", fault
    return "success", None


def hosts_by_name(api: Api) -> dict[str, dict[str, Any]]:
    return {h["name"]: h for h in api.state()["hosts"]}


def vm_host(api: Api, vm: str) -> str:
    st = api.state()
    host_id = next(v["host"] for v in st["vms"] if v["name"] == vm)
    return api.host_name[host_id]


def wait_until(what: Callable[[], bool], why: str) -> None:
    """Poll until `what()` holds; the bound only keeps a broken simulator from hanging the run."""
    deadline = time.monotonic() + 60
    while not what():
        assert time.monotonic() < deadline, why
        time.sleep(0.01)


def waiting_for_room(api: Api, task: Any, name: str) -> bool:
    """The task is running at 2 % (the simulator's progress while DRS finds no room) and the host is entering
    maintenance mode but not in it, its VMs still on it."""
    st = api.state()
    row = next(t for t in st["tasks"] if t["id"] == task._moId)
    h = next(x for x in st["hosts"] if x["name"] == name)
    return row["status"] == "RUNNING" and row["progress"] == 2 and h["entering_maintenance"] \
        and not h["in_maintenance"]


def enter(si: Any, api: Api, name: str, timeout: int = 0) -> Any:
    return vim.HostSystem(api.host[name], si._stub).EnterMaintenanceMode_Task(timeout=timeout)


def leave(si: Any, api: Api, name: str) -> Any:
    return vim.HostSystem(api.host[name], si._stub).ExitMaintenanceMode_Task(timeout=0)


# --------------------------------------------------------------------------- maintenance mode and capacity


def room_scenario(tmp_path: Path, **top: Any) -> Path:
    """Room: esxi-a (empty), esxi-b and esxi-c (one 40 GiB VM each) on 64 GiB hosts: the VM of b or c only fits
    on a, and only one of them fits there."""
    return build_scenario(tmp_path, [cluster("Room", [
        host("esxi-a.lab", **SMALL_HOST),
        host("esxi-b.lab", vms=[{"name": "vm-b", **BIG}], **SMALL_HOST),
        host("esxi-c.lab", vms=[{"name": "vm-c", **BIG}], **SMALL_HOST)], ha=NO_AC)], **top)


def test_enter_maintenance_without_room_waits_then_times_out_and_succeeds_once_room_appears(
        sim_factory: Callable[..., Api], tmp_path: Path, soap: Callable[[Api], Any]) -> None:
    api = sim_factory(room_scenario(tmp_path))
    si = soap(api)
    assert outcome(enter(si, api, "esxi-a.lab")) == ("success", None)     # empty: in at once
    # esxi-b's VM fits only on esxi-a, which is in maintenance mode: vCenter waits for DRS, then times out
    timeout = 6000                                                          # scenario seconds (3 s real)
    task = enter(si, api, "esxi-b.lab", timeout=timeout)
    wait_until(lambda: waiting_for_room(api, task, "esxi-b.lab"), "esxi-b never waited for room")
    assert task.info.state == "running" and vm_host(api, "vm-b") == "esxi-b.lab"
    state, fault = outcome(task)
    assert state == "error" and isinstance(fault, vim.fault.Timedout)
    assert "vm-b" in fault.msg and "room" in fault.msg
    info = task.info
    assert (info.completeTime - info.startTime).total_seconds() >= timeout * TIME_SCALE   # not before its timeout
    b = hosts_by_name(api)["esxi-b.lab"]
    assert not b["in_maintenance"] and not b["entering_maintenance"] and vm_host(api, "vm-b") == "esxi-b.lab"

    # the same wait ends well when room appears: esxi-a leaves maintenance mode while esxi-b waits
    task = enter(si, api, "esxi-b.lab", timeout=600000)
    wait_until(lambda: waiting_for_room(api, task, "esxi-b.lab"), "esxi-b never waited for room")
    assert outcome(leave(si, api, "esxi-a.lab")) == ("success", None)
    assert outcome(task) == ("success", None)
    assert vm_host(api, "vm-b") == "esxi-a.lab" and hosts_by_name(api)["esxi-b.lab"]["in_maintenance"]
    c = api.counters()
    assert c["max_hosts_in_maintenance"] == 1 and c["hosts_in_maintenance_now"] == 1
    assert c["max_hosts_in_maintenance_per_cluster"] == {api.cluster["Room"]: 1}
    assert c["capacity_violations"] == 0, c["capacity_violation_log"]
    assert c["evacuations"] == 1


def test_two_hosts_entering_together_where_only_one_fits_exactly_one_succeeds(
        sim_factory: Callable[..., Api], tmp_path: Path, soap: Callable[[Api], Any]) -> None:
    # slow vMotions and a slow entry (1 s each at this time scale) keep the first host's evacuation in flight
    # while the second host looks for room
    api = sim_factory(room_scenario(tmp_path, durations={"evacuate_per_vm": 2000, "enter_maintenance": 2000}))
    si = soap(api)
    tasks = {name: enter(si, api, name, timeout=6000) for name in ("esxi-b.lab", "esxi-c.lab")}
    results = {name: outcome(t) for name, t in tasks.items()}
    ok = [n for n, (state, _) in results.items() if state == "success"]
    failed = [r for r in results.values() if r[0] == "error"]
    assert len(ok) == 1 and len(failed) == 1, results
    assert isinstance(failed[0][1], vim.fault.Timedout)
    moved = "vm-b" if ok == ["esxi-b.lab"] else "vm-c"
    assert vm_host(api, moved) == "esxi-a.lab"
    st = hosts_by_name(api)
    assert [n for n, h in st.items() if h["in_maintenance"]] == ok
    c = api.counters()
    assert c["max_hosts_in_maintenance"] == 1
    assert c["capacity_violations"] == 0, c["capacity_violation_log"]


def test_capacity_and_ha_admission_control_on_the_rolling_scenario(
        sim_factory: Callable[..., Api], soap: Callable[[Api], Any]) -> None:
    api = sim_factory("rolling")
    si = soap(api)
    # Rolling-16: room for exactly four hosts in maintenance mode at once
    four = [f"esxi-r{i:02d}.lab.local" for i in range(1, 5)]
    assert [outcome(t) for t in [enter(si, api, n) for n in four]] == [("success", None)] * 4
    state, fault = outcome(enter(si, api, "esxi-r05.lab.local", timeout=2000))
    assert state == "error" and isinstance(fault, vim.fault.Timedout) and "room" in fault.msg
    # HA-08: admission control keeps one host's capacity free: two hosts fit, a third waits ...
    two = ["esxi-h01.lab.local", "esxi-h02.lab.local"]
    assert [outcome(t) for t in [enter(si, api, n) for n in two]] == [("success", None)] * 2
    state, fault = outcome(enter(si, api, "esxi-h03.lab.local", timeout=2000))
    assert state == "error" and isinstance(fault, vim.fault.Timedout)
    assert "admission control" in fault.msg and "HA-08" in fault.msg
    # ... and goes once admission control is off (the room is there: only the failover reserve held it)
    third = enter(si, api, "esxi-h03.lab.local", timeout=600000)
    wait_until(lambda: waiting_for_room(api, third, "esxi-h03.lab.local"), "esxi-h03 never waited")
    spec = vim.cluster.ConfigSpecEx(dasConfig=vim.cluster.DasConfigInfo(admissionControlEnabled=False))
    ha08 = vim.ClusterComputeResource(api.cluster["HA-08"], si._stub)
    assert outcome(ha08.ReconfigureComputeResource_Task(spec, modify=True)) == ("success", None)
    assert outcome(third) == ("success", None)
    c = api.counters()
    assert c["max_hosts_in_maintenance_per_cluster"] == {api.cluster["Rolling-16"]: 4, api.cluster["HA-08"]: 3}
    assert c["max_hosts_in_maintenance"] == 7 and c["hosts_in_maintenance_now"] == 7
    assert c["capacity_violations"] == 0, c["capacity_violation_log"]
    assert all(v["host"] not in {api.host[n] for n in four + two} for v in api.state()["vms"]
               if v["power_state"] == "poweredOn")


# --------------------------------------------------------------------------- vLCM parallel remediation


def test_parallel_remediation_takes_hosts_in_maintenance_mode_max_hosts_at_a_time_and_leaves_them_there(
        sim_factory: Callable[..., Api], tmp_path: Path, soap: Callable[[Api], Any]) -> None:
    names = [f"esxi-p{i}.lab" for i in range(1, 7)]
    api = sim_factory(build_scenario(tmp_path, [cluster("Par", [
        host(n, vms=[{"name": f"p{i}-vm{j}"} for j in (1, 2)]) for i, n in enumerate(names, 1)],
        policies={"parallel_remediation_action": {"enabled": True, "max_hosts": 2},
                  "failure_action": {"action": "FAIL"}})]))
    si = soap(api)
    prepared = names[:3]
    assert [outcome(t) for t in [enter(si, api, n) for n in prepared]] == [("success", None)] * 3
    task = api.task(api.cpath("Par"), "apply", {"accept_eula": True})
    assert task["status"] == "SUCCEEDED", task.get("error")
    st = {api.host_name[h]: s for h, s in task["result"]["host_status"].items()}
    assert all(s["status"] == "OK" for s in st.values())
    win = {n: (_t(s["start_time"]), _t(s["end_time"])) for n, s in st.items()}
    # the hosts that were in maintenance mode: in parallel (their windows overlap), never more than max_hosts
    assert peak_concurrency([win[n] for n in prepared]) == 2
    # the others: one at a time, after them
    assert peak_concurrency([win[n] for n in names[3:]]) == 1
    assert max(win[n][1] for n in prepared) <= min(win[n][0] for n in names[3:])
    assert peak_concurrency(list(win.values())) == 2
    # vLCM leaves the hosts it found in maintenance mode there (their owner takes them out); it took the others
    # in and out itself
    after = hosts_by_name(api)
    assert [n for n in names if after[n]["in_maintenance"]] == prepared
    assert all(after[n]["compliance_status"] == "COMPLIANT" for n in names)
    kept = st[prepared[0]]["notifications"]["info"]
    assert any("stays in maintenance mode" in n["message"]["default_message"] for n in kept)
    c = api.counters()
    assert c["max_hosts_in_maintenance"] == 4          # the three prepared + the one being remediated
    assert c["capacity_violations"] == 0, c["capacity_violation_log"]
    # the caller takes its hosts out
    assert [outcome(leave(si, api, n)) for n in prepared] == [("success", None)] * 3
    assert not any(h["in_maintenance"] for h in hosts_by_name(api).values())


def test_parallel_remediation_without_max_hosts_takes_all_hosts_in_maintenance_mode_at_once(
        sim_factory: Callable[..., Api], tmp_path: Path, soap: Callable[[Api], Any]) -> None:
    names = [f"esxi-q{i}.lab" for i in range(1, 5)]
    api = sim_factory(build_scenario(tmp_path, [cluster("Q", [host(n, vms=[{"name": f"q-vm-{n}"}]) for n in names],
                                                        policies={"parallel_remediation_action": {"enabled": True}},
                                                        ha=NO_AC)]))
    eff = api.get(f"/esx/settings/clusters/{api.cluster['Q']}/policies/apply/effective").json()
    assert eff["parallel_remediation_action"] == {"enabled": True}
    si = soap(api)
    batch = names[:3]
    assert [outcome(t) for t in [enter(si, api, n) for n in batch]] == [("success", None)] * 3
    moved = api.counters()["evacuations"]
    task = api.task(api.cpath("Q"), "apply", {"accept_eula": True, "hosts": [api.host[n] for n in batch]})
    assert task["status"] == "SUCCEEDED", task.get("error")
    st = task["result"]["host_status"]
    assert peak_concurrency([(_t(s["start_time"]), _t(s["end_time"])) for s in st.values()]) == 3
    assert set(task["result"]["successful_hosts"]) == {api.host[n] for n in batch}
    assert all(hosts_by_name(api)[n]["in_maintenance"] for n in batch)
    assert api.counters()["evacuations"] == moved      # the apply did not evacuate them again


def test_a_host_vlcm_itself_left_in_maintenance_mode_is_taken_out_once_remediated(tiny: Api) -> None:
    tiny.put(f"/esx/settings/clusters/{tiny.cluster['Tiny-01']}/policies/apply", {"failure_action": {"action": "FAIL"}})
    tiny.faults({"type": "host_fail", "host": "esxi-t1.lab.local", "phase": "install"})
    assert tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True})["status"] == "FAILED"
    assert tiny.host_state("esxi-t1.lab.local")["in_maintenance"] is True
    task = tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True, "hosts": [tiny.host["esxi-t1.lab.local"]]})
    assert task["status"] == "SUCCEEDED", task.get("error")
    assert tiny.host_state("esxi-t1.lab.local")["in_maintenance"] is False


# --------------------------------------------------------------------------- vSAN


def test_vsan_refuses_parallel_remediation_and_a_second_host_in_maintenance_mode(
        sim_factory: Callable[..., Api], tmp_path: Path, soap: Callable[[Api], Any]) -> None:
    vs = [f"esxi-v{i}.lab" for i in range(1, 4)]
    api = sim_factory(build_scenario(tmp_path, [
        cluster("VS", [host(n, vms=[{"name": f"vs-vm-{n}"}]) for n in vs], vsan=True,
                policies={"parallel_remediation_action": {"enabled": True, "max_hosts": 2}}),
        cluster("Plain", [host("esxi-n1.lab"), host("esxi-n2.lab")])],
        durations={"evacuate_per_vm": 2000}))
    assert {c["name"]: c["vsan"] for c in api.state()["clusters"]} == {"VS": True, "Plain": False}
    si = soap(api)
    vsan_of = {name: vim.ClusterComputeResource(api.cluster[name], si._stub).configurationEx.vsanConfigInfo.enabled
               for name in ("VS", "Plain")}
    assert vsan_of == {"VS": True, "Plain": False}
    # the pre-check says parallel remediation is not supported; the apply refuses before any change
    check = api.task(api.cpath("VS"), "check", {})["result"]
    cl = next(e for e in check["entity_results"] if e["type"] == "CLUSTER")
    par = next(s for s in cl["check_statuses"] if s["check"]["check"].endswith("ParallelRemediationCheck"))
    assert par["status"] == "ERROR" and check["status"] == "ERROR" and cl["status"] == "ERROR"
    assert "not supported on vSAN cluster VS" in par["issues"][0]["default_message"]
    task = api.task(api.cpath("VS"), "apply", {"accept_eula": True})
    assert task["status"] == "FAILED"
    assert "Parallel remediation is not supported on vSAN cluster VS" in task["error"]["messages"][0]["default_message"]
    report = api.get(api.cpath("VS") + "/reports/last-apply-result").json()
    assert set(report["skipped_hosts"]) == {api.host[n] for n in vs} and not report["failed_hosts"]
    assert "vSAN" in report["notifications"]["errors"][0]["message"]["default_message"]
    assert api.counters()["downloads"] == 0 and not any(h["in_maintenance"] for h in api.state()["hosts"])

    # one host in maintenance mode at a time: refused while another is entering, and while it is in
    first = enter(si, api, vs[0])
    wait_until(lambda: hosts_by_name(api)[vs[0]]["entering_maintenance"], "esxi-v1 never started entering")
    state, fault = outcome(enter(si, api, vs[1]))
    assert state == "error" and isinstance(fault, vim.fault.InvalidState)
    assert "vSAN cluster 'VS'" in fault.msg and f"'{vs[0]}' is entering" in fault.msg
    assert outcome(first) == ("success", None)
    state, fault = outcome(enter(si, api, vs[1]))
    assert state == "error" and isinstance(fault, vim.fault.InvalidState) and f"'{vs[0]}' is in" in fault.msg
    # a plain cluster takes two at once
    assert [outcome(t) for t in [enter(si, api, n) for n in ("esxi-n1.lab", "esxi-n2.lab")]] == [("success", None)] * 2
    # once the first vSAN host is out, the next one may go
    assert outcome(leave(si, api, vs[0])) == ("success", None)
    assert outcome(enter(si, api, vs[1])) == ("success", None)
    c = api.counters()
    assert c["max_hosts_in_maintenance_per_cluster"] == {api.cluster["VS"]: 1, api.cluster["Plain"]: 2}
    assert c["max_hosts_in_maintenance"] == 3
    assert c["capacity_violations"] == 0, c["capacity_violation_log"]


# --------------------------------------------------------------------------- HA admission control in vLCM


def test_precheck_names_ha_admission_control_and_disable_hac_lifts_it_for_the_remediation(
        sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    api = sim_factory(build_scenario(tmp_path, [cluster("Hac", [
        host("esxi-h1.lab", vms=[{"name": "h1-vm"}]), host("esxi-h2.lab", vms=[{"name": "h2-vm"}])],
        ha={"enabled": True, "admission_control": True}, policies={"failure_action": {"action": "FAIL"}})]))
    res = api.task(api.cpath("Hac"), "check", {})["result"]
    h1 = next(e for e in res["entity_results"] if e.get("host") == api.host["esxi-h1.lab"])
    evac = next(c for c in h1["check_statuses"] if c["check"]["check"].endswith("MaintenanceModeCheck"))
    assert evac["status"] == "ERROR" and "admission control" in evac["issues"][0]["default_message"]
    assert "disable_hac" in evac["check_issues"][0]["resolution"]["default_message"]
    assert api.put(f"/esx/settings/clusters/{api.cluster['Hac']}/policies/apply",
                   {"failure_action": {"action": "FAIL"}, "disable_hac": True}).status_code == 204
    res = api.task(api.cpath("Hac"), "check", {})["result"]
    assert all(e["status"] != "ERROR" for e in res["entity_results"]), res
    task = api.task(api.cpath("Hac"), "apply", {"accept_eula": True})
    assert task["status"] == "SUCCEEDED", task.get("error")
    cl = next(c for c in api.state()["clusters"] if c["name"] == "Hac")
    assert cl["admission_control"] is True                  # vLCM turned it back on
    assert api.counters()["capacity_violations"] == 0


# --------------------------------------------------------------------------- counters


def test_capacity_violations_count_what_no_path_lets_happen(sim_factory: Callable[..., Api], tmp_path: Path,
                                                            soap: Callable[[Api], Any]) -> None:
    """The negative control of the counter: every path refuses to overcommit, so a scenario starts
    overcommitted (a host carrying more than it has, a running VM on a host in maintenance mode)."""
    api = sim_factory(build_scenario(tmp_path, [
        cluster("Over", [host("esxi-o1.lab", memory_mb=16 * GIB, vms=[{"name": "o-vm1", "memory_mb": 12 * GIB},
                                                                     {"name": "o-vm2", "memory_mb": 12 * GIB},
                                                                     {"name": "o-tiny", "memory_mb": GIB}]),
                         host("esxi-o2.lab", in_maintenance=True, vms=[{"name": "o-vm3"}])], ha=NO_AC)]))
    c = api.counters()
    assert c["capacity_violations"] == 2
    assert any("esxi-o1.lab" in m and "carries" in m for m in c["capacity_violation_log"])
    assert any("o-vm3" in m and "maintenance mode" in m for m in c["capacity_violation_log"])
    assert c["hosts_in_maintenance_now"] == 1 and c["max_hosts_in_maintenance"] == 1
    # a violation that holds on through a state change is still one violation; powering enough off ends it
    si = soap(api)
    assert outcome(vim.VirtualMachine(api.vm["o-tiny"], si._stub).PowerOffVM_Task()) == ("success", None)
    assert api.counters()["capacity_violations"] == 2
    assert outcome(vim.VirtualMachine(api.vm["o-vm2"], si._stub).PowerOffVM_Task()) == ("success", None)
    assert api.counters()["capacity_violations"] == 2
    api.sim.admin_post("/sim/reset")
    c = api.counters()
    assert c["capacity_violations"] == 2 and c["max_hosts_in_maintenance"] == 1     # the scenario again


def test_power_on_without_room_is_refused_and_counters_reset(sim_factory: Callable[..., Api], tmp_path: Path,
                                                             soap: Callable[[Api], Any]) -> None:
    api = sim_factory(build_scenario(tmp_path, [cluster("Full", [
        host("esxi-f1.lab", memory_mb=16 * GIB, vms=[{"name": "f-on", "memory_mb": 12 * GIB},
                                                     {"name": "f-off", "memory_mb": 12 * GIB,
                                                      "power_state": "poweredOff"}]),
        host("esxi-f2.lab")], ha=NO_AC)]))
    si = soap(api)
    state, fault = outcome(vim.VirtualMachine(api.vm["f-off"], si._stub).PowerOnVM_Task())
    assert state == "error" and isinstance(fault, vim.fault.InsufficientResourcesFault) and "f-off" in fault.msg
    assert outcome(enter(si, api, "esxi-f2.lab")) == ("success", None)
    c = api.counters()
    assert (c["capacity_violations"], c["max_hosts_in_maintenance"], c["hosts_in_maintenance_now"]) == (0, 1, 1)
    api.sim.admin_post("/sim/reset")
    c = api.counters()
    assert (c["max_hosts_in_maintenance"], c["hosts_in_maintenance_now"], c["max_hosts_in_maintenance_per_cluster"]) \
        == (0, 0, {})


# --------------------------------------------------------------------------- the rolling scenario


def test_rolling_scenario_shape_and_history(sim_factory: Callable[..., Api]) -> None:
    api = sim_factory("rolling")
    st = api.state()
    count = {c["name"]: sum(1 for h in st["hosts"] if h["cluster"] == c["id"]) for c in st["clusters"]}
    assert count == {"Rolling-16": 16, "HA-08": 8, "VSAN-04": 4, "History-04": 4}
    flags = {c["name"]: (c["drs_behavior"], c["admission_control"], c["vsan"]) for c in st["clusters"]}
    assert flags["Rolling-16"] == ("fullyAutomated", False, False)
    assert flags["HA-08"][1] is True and flags["VSAN-04"][2] is True
    assert api.counters()["capacity_violations"] == 0
    # History-04's last remediation: host after host, 835 s each, of an earlier commit
    report = api.get(api.cpath("History-04") + "/reports/last-apply-result").json()
    assert report["commit"] == "1" and report["status"]["status"] == "OK"
    windows = sorted((_t(s["start_time"]), _t(s["end_time"])) for s in report["host_status"].values())
    assert len(windows) == 4 and all(round(e - s) == 835 for s, e in windows)
    assert all(windows[i][1] <= windows[i + 1][0] for i in range(3))
    assert api.get(api.cpath("History-04") + "/commits/1").json()["apply_status"] == "APPLIED"
    assert api.get(api.cpath("History-04") + "/commits/2").json()["apply_status"] == "NOT_APPLIED"
    comp = api.task(api.cpath("History-04"), "scan")["result"]
    assert comp["status"] == "NON_COMPLIANT" and comp["commit"] == "2"
