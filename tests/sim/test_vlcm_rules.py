"""One test per vLCM semantic rule (issue 2 item 5, seed 000), through HTTPS against the simulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from _simapi import Api, build_scenario, cluster, host


def _t(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _t(a["start_time"]) < _t(b["end_time"]) and _t(b["start_time"]) < _t(a["end_time"])


def _phases(api: Api, phase: str) -> list[dict[str, Any]]:
    """The simulator's record of one host phase (/sim/events), in the order the phases ended."""
    return [e for e in api.sim.events() if e["phase"] == phase]


# --------------------------------------------------------------------------- scan


def test_scan_sets_each_host_status_impact_and_detail(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    path = build_scenario(tmp_path, [cluster("Mixed", [
        host("esxi-old.lab"), host("esxi-same.lab", image="desired"),
        host("esxi-off.lab", connection_state="disconnected")])],
        standalone=[host("esxi-newer.lab", image="desired", desired_image="current")])
    api = sim_factory(path)
    assert api.get(api.cpath("Mixed") + "/compliance").status_code == 404     # no scan yet
    task = api.task(api.cpath("Mixed"), "scan")
    assert task["status"] == "SUCCEEDED"
    comp = api.get(api.cpath("Mixed") + "/compliance").json()
    by = {api.host_name[h]: v for h, v in comp["hosts"].items()}
    assert by["esxi-old.lab"]["status"] == "NON_COMPLIANT"
    assert by["esxi-old.lab"]["impact"] == "REBOOT_REQUIRED"
    assert by["esxi-old.lab"]["stage_status"] == "NOT_STAGED"
    assert by["esxi-old.lab"]["base_image"]["current"]["version"] == "8.0.3-0.35.24280767"
    assert by["esxi-old.lab"]["base_image"]["target"]["version"] == "8.0.3-0.50.24585383"
    assert by["esxi-old.lab"]["add_on"]["status"] == "NON_COMPLIANT"
    assert by["esxi-old.lab"]["components"]["Intel-i40en"]["target_source"] == "USER"
    assert by["esxi-old.lab"]["components"]["ESXi"]["target_source"] == "BASE_IMAGE"
    fw = by["esxi-old.lab"]["hardware_support"]["com.dell.openmanage"]
    assert fw["status"] == "NON_COMPLIANT" and fw["hardware_modules"]["bios"]["target"]["version"] == "1.15.1"
    assert by["esxi-same.lab"]["status"] == "COMPLIANT" and by["esxi-same.lab"]["impact"] == "NO_IMPACT"
    assert "stage_status" not in by["esxi-same.lab"]
    assert by["esxi-off.lab"]["status"] == "UNAVAILABLE"
    assert by["esxi-off.lab"]["notifications"]["errors"]
    assert comp["status"] == "NON_COMPLIANT" and comp["impact"] == "REBOOT_REQUIRED"
    assert comp["stage_status"] == "NOT_STAGED"
    assert set(comp["non_compliant_hosts"]) == {api.host["esxi-old.lab"]}
    assert set(comp["compliant_hosts"]) == {api.host["esxi-same.lab"]}
    assert set(comp["unavailable_hosts"]) == {api.host["esxi-off.lab"]}
    assert comp["commit"] == "1" and comp["host_info"][api.host["esxi-old.lab"]]["name"] == "esxi-old.lab"
    # a host whose installed base image is newer than the desired one cannot be downgraded
    api.task(api.hpath("esxi-newer.lab"), "scan")
    hc = api.get(api.hpath("esxi-newer.lab") + "/compliance").json()
    assert hc["status"] == "INCOMPATIBLE" and hc["base_image"]["status"] == "INCOMPATIBLE"
    assert "not supported" in hc["notifications"]["errors"][0]["message"]["default_message"]


# --------------------------------------------------------------------------- stage


def test_stage_downloads_to_all_hosts_in_parallel(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    hosts = [host(f"esxi-p{i}.lab") for i in range(1, 5)]
    api = sim_factory(build_scenario(tmp_path, [cluster("Par", hosts)]), time_scale=0.001)
    task = api.task(api.cpath("Par"), "stage", {})
    assert task["status"] == "SUCCEEDED", task
    st = task["result"]["host_status"]
    assert len(st) == 4 and all(s["status"] == "OK" for s in st.values())
    # all four were under way at one instant: the last to start started before the first to end ended
    assert max(_t(s["start_time"]) for s in st.values()) < min(_t(s["end_time"]) for s in st.values())
    downloads = _phases(api, "download")
    assert sorted(e["name"] for e in downloads) == [f"esxi-p{i}.lab" for i in range(1, 5)]
    assert max(e["start"] for e in downloads) < min(e["end"] for e in downloads)
    assert api.counters()["downloads"] == 4


def test_stage_given_hosts_only(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    api = sim_factory(build_scenario(tmp_path, [cluster("Sub", [host("esxi-s1.lab"), host("esxi-s2.lab")])]))
    task = api.task(api.cpath("Sub"), "stage", {"hosts": [api.host["esxi-s2.lab"]]})
    assert list(task["result"]["host_status"]) == [api.host["esxi-s2.lab"]]
    assert api.host_state("esxi-s2.lab")["staged_commit"] == "1"
    assert api.host_state("esxi-s1.lab")["staged"] is None
    bad = api.post(api.cpath("Sub") + "?action=stage&vmw-task=true", {"hosts": ["host-424242"]})
    assert bad.status_code == 400 and "host-424242" in bad.json()["messages"][0]["default_message"]
    assert api.counters()["downloads"] == 1 and len(api.state()["tasks"]) == 1      # the refused call started nothing


def test_stage_touches_only_non_compliant_hosts(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    api = sim_factory(build_scenario(tmp_path, [cluster("Part", [host("esxi-n.lab"),
                                                                host("esxi-c.lab", image="desired")])]))
    api.task(api.cpath("Part"), "scan")
    task = api.task(api.cpath("Part"), "stage", {})
    res = task["result"]
    assert res["successful_hosts"] == [api.host["esxi-n.lab"]]
    assert res["skipped_hosts"] == [api.host["esxi-c.lab"]]
    assert res["host_status"][api.host["esxi-c.lab"]]["status"] == "SKIPPED"
    # the shape of a SKIPPED host status is for the bindings to judge: tests/conformance/
    # test_rest_cluster_software.py::test_stage_result_with_a_skipped_host_parses_in_the_bindings
    assert api.host_state("esxi-c.lab")["staged"] is None
    assert api.counters()["downloads"] == 1
    # staging again does not download again: the host is already staged
    again = api.task(api.cpath("Part"), "stage", {})
    assert set(again["result"]["skipped_hosts"]) == {api.host["esxi-n.lab"], api.host["esxi-c.lab"]}
    assert api.counters()["downloads"] == 1


def test_stage_scans_hosts_of_unknown_compliance_first(tiny: Api) -> None:
    assert tiny.get(tiny.cpath("Tiny-01") + "/compliance").status_code == 404
    assert tiny.counters()["host_scans"] == 0
    task = tiny.task(tiny.cpath("Tiny-01"), "stage", {})
    assert task["status"] == "SUCCEEDED"
    # both hosts were scanned (automatic compliance check), then staged
    assert tiny.counters()["host_scans"] >= 2
    comp = tiny.get(tiny.cpath("Tiny-01") + "/compliance").json()
    assert set(comp["hosts"]) == {tiny.host["esxi-t1.lab.local"], tiny.host["esxi-t2.lab.local"]}
    assert set(task["result"]["successful_hosts"]) == set(comp["hosts"])


def test_firmware_that_cannot_be_staged_leaves_the_host_unmarked(tiny: Api) -> None:
    task = tiny.task(tiny.cpath("Tiny-01"), "stage", {})
    assert task["status"] == "SUCCEEDED"          # staging does not fail
    t2 = tiny.host["esxi-t2.lab.local"]
    warn = task["result"]["host_status"][t2]["notifications"]["warnings"]
    assert warn and "Firmware staging is not supported" in warn[0]["message"]["default_message"]
    comp = tiny.get(tiny.cpath("Tiny-01") + "/compliance").json()
    assert comp["hosts"][tiny.host["esxi-t1.lab.local"]]["stage_status"] == "STAGED"
    h2 = comp["hosts"][t2]
    assert h2["stage_status"] == "NOT_STAGED"                     # no staged icon
    assert h2["base_image"]["stage_status"] == "STAGED"           # ... but the software is staged
    assert h2["hardware_support"]["com.dell.openmanage"]["stage_status"] == "NOT_STAGED"
    assert h2["notifications"]["warnings"]
    assert comp["stage_status"] == "NOT_STAGED"
    st = tiny.host_state("esxi-t2.lab.local")
    assert st["staged"]["base_image"] == "8.0.3-0.50.24585383" and st["staged"]["hardware_support"] == {}


# --------------------------------------------------------------------------- check


def test_check_reports_why_hosts_cannot_be_remediated(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    path = build_scenario(tmp_path, [
        cluster("Manual", [host("esxi-m1.lab", vms=[{"name": "busy-vm"}]), host("esxi-m2.lab")],
                drs={"enabled": True, "behavior": "manual"}),
        cluster("Auto", [host("esxi-a1.lab", vms=[{"name": "gpu-vm", "directpath": True}]),
                         host("esxi-a2.lab"), host("esxi-a3.lab", connection_state="disconnected")]),
    ])
    api = sim_factory(path)
    res = api.task(api.cpath("Manual"), "check", {})["result"]
    assert res["status"] == "ERROR"
    m1 = next(e for e in res["entity_results"] if e.get("host") == api.host["esxi-m1.lab"])
    drs = next(c for c in m1["check_statuses"] if c["check"]["check"].endswith("DrsCheck"))
    assert drs["status"] == "ERROR" and "busy-vm" in drs["issues"][0]["default_message"]
    assert "DO_NOT_CHANGE_VMS_POWER_STATE" in drs["check_issues"][0]["description"]["default_message"]
    m2 = next(e for e in res["entity_results"] if e.get("host") == api.host["esxi-m2.lab"])
    assert m2["status"] == "OK"                                       # no powered-on VMs
    assert res["entity_results"][0]["type"] == "CLUSTER"
    res = api.task(api.cpath("Auto"), "check", {})["result"]
    a1 = next(e for e in res["entity_results"] if e.get("host") == api.host["esxi-a1.lab"])
    evac = next(c for c in a1["check_statuses"] if c["check"]["check"].endswith("MaintenanceModeCheck"))
    assert evac["status"] == "ERROR" and "gpu-vm" in evac["issues"][0]["default_message"]
    a3 = next(e for e in res["entity_results"] if e.get("host") == api.host["esxi-a3.lab"])
    conn = next(c for c in a3["check_statuses"] if c["check"]["check"].endswith("HostConnectionCheck"))
    assert conn["status"] == "ERROR"
    report = api.get(api.cpath("Auto") + "/reports/last-check-result").json()
    assert report["status"] == "ERROR" and len(report["entity_results"]) == 4
    # the power-action policy turns the DirectPath VM into a warning (it will be powered off)
    r = api.put(f"/esx/settings/clusters/{api.cluster['Auto']}/policies/apply",
                {"pre_remediation_power_action": "POWER_OFF_VMS"})
    assert r.status_code == 204
    res = api.task(api.cpath("Auto"), "check", {"hosts": [api.host["esxi-a1.lab"]]})["result"]
    a1 = next(e for e in res["entity_results"] if e.get("host") == api.host["esxi-a1.lab"])
    assert a1["status"] == "WARNING"


# --------------------------------------------------------------------------- apply


def test_apply_stages_then_remediates_one_host_at_a_time(tiny: Api) -> None:
    before = tiny.state()
    t1 = tiny.host["esxi-t1.lab.local"]
    vms_on_t1 = [v["name"] for v in before["vms"] if v["host"] == t1 and v["power_state"] == "poweredOn"]
    task = tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True})
    assert task["status"] == "SUCCEEDED", task.get("error")
    res = task["result"]
    assert set(res["successful_hosts"]) == {t1, tiny.host["esxi-t2.lab.local"]} and not res["failed_hosts"]
    a, b = res["host_status"].values()
    assert not _overlap(a, b)                                        # one at a time
    c = tiny.counters()
    assert c["downloads"] == 2 and c["installs"] == 2 and c["reboots"] == 2
    assert c["evacuations"] >= len(vms_on_t1)
    # vLCM staged both hosts before either entered maintenance mode; inside it each host installed and
    # rebooted, nothing else; its VMs were evacuated before it entered
    events = tiny.sim.events()
    downloads, maintenance = ([e for e in events if e["phase"] == p] for p in ("download", "maintenance"))
    assert len(downloads) == 2 and len(maintenance) == 2
    assert max(d["end"] for d in downloads) <= min(m["start"] for m in maintenance)
    first, second = sorted(maintenance, key=lambda m: m["start"])
    assert first["end"] <= second["start"]                           # one host at a time
    for m in maintenance:
        inside = [e["phase"] for e in events if e["host"] == m["host"] and e["phase"] != "maintenance"
                  and m["start"] <= e["start"] and e["end"] <= m["end"]]
        assert inside == ["install", "reboot"], (m["name"], inside)
        assert all(e["end"] <= m["start"] for e in events if e["host"] == m["host"] and e["phase"] == "evacuate")
    # the counter is exactly the time hosts spent in maintenance mode (scenario seconds = wall / time scale)
    in_maintenance = sum(m["end"] - m["start"] for m in maintenance) / before["time_scale"]
    assert c["maintenance_host_seconds"] == pytest.approx(in_maintenance, rel=1e-3)
    after = tiny.state()
    assert all(not h["in_maintenance"] for h in after["hosts"])
    assert all(v["power_state"] == "poweredOn" for v in after["vms"] if v["name"] in vms_on_t1)
    for name in ("esxi-t1.lab.local", "esxi-t2.lab.local"):
        h = tiny.host_state(name)
        assert h["installed"]["base_image"] == "8.0.3-0.50.24585383" and h["compliance_status"] == "COMPLIANT"
        assert h["staged"] is None
    assert tiny.get(tiny.cpath("Tiny-01") + "/commits/1").json()["apply_status"] == "APPLIED"
    report = tiny.get(tiny.cpath("Tiny-01") + "/reports/last-apply-result").json()
    assert report["successful_hosts"] == res["successful_hosts"]
    again = tiny.post(tiny.cpath("Tiny-01") + "?action=apply&vmw-task=true", {"accept_eula": True})
    assert again.status_code == 400 and again.json()["error_type"] == "ALREADY_IN_DESIRED_STATE"


def test_apply_does_not_download_again_to_staged_hosts(tiny: Api) -> None:
    tiny.task(tiny.cpath("Tiny-01"), "stage", {})
    assert tiny.counters()["downloads"] == 2
    task = tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True})
    assert task["status"] == "SUCCEEDED"
    assert tiny.counters()["downloads"] == 2


def test_no_room_precheck_says_so_and_apply_fails_that_host(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    big = {"cpu_mhz": 2000, "memory_mb": 40000}
    path = build_scenario(tmp_path, [cluster("Full", [
        host("esxi-f1.lab", memory_mb=65536, vms=[{"name": "fat-1", **big}]),
        host("esxi-f2.lab", memory_mb=65536, vms=[{"name": "fat-2", **big}]),
    ], policies={"failure_action": {"action": "FAIL"}})])
    api = sim_factory(path)
    check = api.task(api.cpath("Full"), "check", {})["result"]
    f1 = next(e for e in check["entity_results"] if e.get("host") == api.host["esxi-f1.lab"])
    evac = next(c for c in f1["check_statuses"] if c["check"]["check"].endswith("MaintenanceModeCheck"))
    assert evac["status"] == "ERROR"
    assert "room" in evac["issues"][0]["default_message"] and "fat-1" in evac["issues"][0]["default_message"]
    # the fix offered is capacity, not the power-action policy (which only handles VMs that cannot be migrated)
    fix = evac["check_issues"][0]["resolution"]["default_message"]
    assert "capacity" in fix and "pre_remediation_power_action" not in fix
    task = api.task(api.cpath("Full"), "apply", {"accept_eula": True})
    assert task["status"] == "FAILED"
    assert task["error"]["error_type"] == "ERROR" and "fat-1" in task["error"]["messages"][0]["default_message"]
    report = api.get(api.cpath("Full") + "/reports/last-apply-result").json()
    first = report["failed_hosts"][0]
    errs = report["host_status"][first]["notifications"]["errors"]
    assert "room" in errs[0]["message"]["default_message"]
    assert report["skipped_hosts"]                 # remediation stopped after the failed host
    assert not any(h["in_maintenance"] for h in api.state()["hosts"])


def test_parallel_remediation_policy_takes_only_hosts_in_maintenance_mode(sim_factory: Callable[..., Api],
                                                                          tmp_path: Path) -> None:
    """No host is in maintenance mode: the parallel policy has nothing to take, the hosts go one at a time
    (tests/sim/test_rolling.py has hosts put in maintenance mode first)."""
    hosts = [host(f"esxi-q{i}.lab", vms=[{"name": f"q-vm-{i}"}]) for i in range(1, 5)]
    api = sim_factory(build_scenario(tmp_path, [cluster("Q", hosts, policies={
        "parallel_remediation_action": {"enabled": True, "max_hosts": 2}})]))
    eff = api.get(f"/esx/settings/clusters/{api.cluster['Q']}/policies/apply/effective").json()
    assert eff["parallel_remediation_action"] == {"enabled": True, "max_hosts": 2}
    task = api.task(api.cpath("Q"), "apply", {"accept_eula": True})
    assert task["status"] == "SUCCEEDED", task.get("error")
    ordered = sorted(task["result"]["host_status"].values(), key=lambda s: _t(s["start_time"]))
    assert not any(_overlap(a, b) for a, b in zip(ordered, ordered[1:], strict=False))    # one at a time
    assert len(task["result"]["successful_hosts"]) == 4
    assert not any(h["in_maintenance"] for h in api.state()["hosts"])
    assert api.counters()["max_hosts_in_maintenance"] == 1


def test_host_failing_after_staging_is_left_staged_and_non_compliant(tiny: Api) -> None:
    tiny.put(f"/esx/settings/clusters/{tiny.cluster['Tiny-01']}/policies/apply", {"failure_action": {"action": "FAIL"}})
    tiny.faults({"type": "host_fail", "host": "esxi-t1.lab.local", "phase": "install"})
    task = tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True})
    assert task["status"] == "FAILED"
    t1 = tiny.host["esxi-t1.lab.local"]
    comp = tiny.get(tiny.cpath("Tiny-01") + "/compliance").json()
    assert comp["hosts"][t1]["status"] == "NON_COMPLIANT" and comp["hosts"][t1]["stage_status"] == "STAGED"
    st = tiny.host_state("esxi-t1.lab.local")
    assert st["staged_commit"] == "1" and st["installed"]["base_image"] == "8.0.3-0.35.24280767"
    assert st["in_maintenance"] is True     # vLCM leaves a host that failed remediation in maintenance mode
    report = tiny.get(tiny.cpath("Tiny-01") + "/reports/last-apply-result").json()
    assert report["failed_hosts"] == [t1] and report["skipped_hosts"] == [tiny.host["esxi-t2.lab.local"]]
    assert "install" in report["host_status"][t1]["notifications"]["errors"][0]["message"]["default_message"]


def test_failure_action_retries(tiny: Api) -> None:
    cid = tiny.cluster["Tiny-01"]
    tiny.put(f"/esx/settings/clusters/{cid}/policies/apply",
             {"failure_action": {"action": "RETRY", "retry_count": 3, "retry_delay": 60}})
    tiny.faults({"type": "host_fail", "host": "esxi-t2.lab.local", "phase": "reboot", "count": 2})
    task = tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True})
    assert task["status"] == "SUCCEEDED", task.get("error")
    t2 = task["result"]["host_status"][tiny.host["esxi-t2.lab.local"]]
    assert t2["status"] == "OK" and len(t2["notifications"]["warnings"]) == 2      # two failed attempts
    c = tiny.counters()
    assert c["reboots"] == 4 and c["installs"] == 4     # t1 once, t2 three times (two reboots failed)
    # with fewer retries than failures the host fails
    tiny.sim.reset()
    tiny.http = tiny.sim.session()
    tiny.put(f"/esx/settings/clusters/{cid}/policies/apply",
             {"failure_action": {"action": "RETRY", "retry_count": 1, "retry_delay": 1}})
    tiny.faults({"type": "host_fail", "host": "esxi-t1.lab.local", "phase": "install", "count": 5})
    task = tiny.task(tiny.cpath("Tiny-01"), "apply", {"accept_eula": True})
    assert task["status"] == "FAILED"
    report = tiny.get(tiny.cpath("Tiny-01") + "/reports/last-apply-result").json()
    notes = report["host_status"][tiny.host["esxi-t1.lab.local"]]["notifications"]
    assert len(notes["warnings"]) == 1 and len(notes["errors"]) == 1


def test_apply_requires_accept_eula(tiny: Api) -> None:
    for body in ({}, {"accept_eula": False}):
        r = tiny.post(tiny.cpath("Tiny-01") + "?action=apply&vmw-task=true", body)
        assert r.status_code == 500  # the binding documents std.errors.Error for a missing EULA acceptance
        assert r.json()["error_type"] == "ERROR" and "accept_eula" in r.json()["messages"][0]["args"]
    assert tiny.counters()["installs"] == 0


def test_busy_cluster_refuses_other_operations(tiny: Api) -> None:
    r = tiny.post(tiny.cpath("Tiny-01") + "?action=apply&vmw-task=true", {"accept_eula": True})
    tid = r.json()
    busy = tiny.post(tiny.cpath("Tiny-01") + "?action=stage&vmw-task=true", {})
    assert busy.status_code == 400 and busy.json()["error_type"] == "NOT_ALLOWED_IN_CURRENT_STATE"
    assert tiny.wait(tid)["status"] == "SUCCEEDED"
    assert tiny.state()["clusters"][0]["busy"] is None


def test_standalone_host_scan_stage_apply(tiny: Api) -> None:
    hp = tiny.hpath("esxi-ts.lab.local")
    scan = tiny.task(hp, "scan")
    assert scan["result"]["status"] == "NON_COMPLIANT"
    assert scan["target"]["type"] == "HostSystem"
    stage = tiny.task(hp, "stage", {})
    assert stage["result"]["status"]["status"] == "OK" and stage["result"]["host_info"]["name"] == "esxi-ts.lab.local"
    check = tiny.task(hp, "check", {})
    assert check["result"]["entity_result"]["type"] == "HOST"
    apply = tiny.task(hp, "apply", {"accept_eula": True})
    assert apply["status"] == "SUCCEEDED", apply.get("error")
    report = tiny.get(hp + "/reports/last-apply-result").json()
    assert report["status"]["status"] == "OK" and "progress" not in report["status"]
    assert tiny.get(hp + "/compliance").json()["status"] == "COMPLIANT"
    assert tiny.host_state("esxi-ts.lab.local")["in_maintenance"] is False


def test_demo_power_off_policy_and_ft_evacuation(sim_factory: Callable[..., Api]) -> None:
    api = sim_factory("demo")
    b1 = api.host["esxi-b1.lab.local"]
    gpu = api.vm["gpu-render-01"]
    check = api.task(api.cpath("Cluster-B"), "check", {})["result"]
    b1_result = next(e for e in check["entity_results"] if e.get("host") == b1)
    assert b1_result["status"] == "WARNING"                  # the DirectPath VM will be powered off
    task = api.task(api.cpath("Cluster-B"), "apply", {"accept_eula": True})
    assert task["status"] == "SUCCEEDED", task.get("error")
    vm = next(v for v in api.state()["vms"] if v["id"] == gpu)
    assert vm["host"] == b1 and vm["power_state"] == "poweredOn"     # restored after remediation
    ft = api.vm["ft-payments"]
    a1 = api.host["esxi-a1.lab.local"]
    task = api.task(api.cpath("Cluster-A"), "apply", {"accept_eula": True, "hosts": [a1]})
    assert task["status"] == "SUCCEEDED", task.get("error")
    vm = next(v for v in api.state()["vms"] if v["id"] == ft)
    assert vm["host"] != a1 and vm["power_state"] == "poweredOn"     # FT VMs are vMotioned away
    comp = api.get(api.cpath("Cluster-A") + "/compliance").json()
    assert comp["hosts"][a1]["status"] == "COMPLIANT" and len(comp["non_compliant_hosts"]) == 3
