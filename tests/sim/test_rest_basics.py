"""REST basics of the simulator: session, errors, task info, inventory lists, admin API."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import requests
from _simapi import Api, build_scenario, cluster, host


def test_session_login_returns_a_json_string_and_logout_ends_it(tiny: Api) -> None:
    sim = tiny.sim
    # curl --cacert CA -u USER:PASS -X POST URL/api/session
    r = requests.post(sim.url + "/api/session", auth=(sim.username, sim.password), verify=sim.ca, timeout=10)
    assert r.status_code == 201
    assert r.headers["Content-Type"].startswith("application/json")
    sid = r.json()
    assert isinstance(sid, str) and re.fullmatch(r"[0-9a-f]{32}", sid)
    hdr = {"vmware-api-session-id": sid}
    info = requests.get(sim.url + "/api/session", headers=hdr, verify=sim.ca, timeout=10).json()
    assert info["user"] == sim.username
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", info["created_time"])
    assert tiny.counters()["live_sessions"]["rest"] == 2      # this one and the fixture's
    r = requests.delete(sim.url + "/api/session", headers=hdr, verify=sim.ca, timeout=10)
    assert r.status_code == 204 and not r.content
    r = requests.get(sim.url + "/api/session", headers=hdr, verify=sim.ca, timeout=10)
    assert r.status_code == 401 and r.json()["error_type"] == "UNAUTHENTICATED"
    assert tiny.counters()["live_sessions"]["rest"] == 1


def test_bad_credentials_and_missing_session_are_unauthenticated(tiny: Api) -> None:
    sim = tiny.sim
    r = requests.post(sim.url + "/api/session", auth=(sim.username, "wrong"), verify=sim.ca, timeout=10)
    assert r.status_code == 401
    body = r.json()
    assert body["error_type"] == "UNAUTHENTICATED" and body["messages"][0]["default_message"]
    r = requests.get(sim.url + "/api/vcenter/cluster", verify=sim.ca, timeout=10)
    assert r.status_code == 401 and r.json()["error_type"] == "UNAUTHENTICATED"


def test_unknown_ids_are_not_found_and_named(tiny: Api) -> None:
    r = tiny.get("/esx/settings/clusters/domain-c999/software/compliance")
    assert r.status_code == 404
    assert r.json()["error_type"] == "NOT_FOUND" and "domain-c999" in r.json()["messages"][0]["default_message"]
    r = tiny.get("/cis/tasks/nope:com.vmware.esx.settings.clusters.software")
    assert r.status_code == 404 and "nope:" in r.json()["messages"][0]["default_message"]
    r = tiny.get("/esx/settings/hosts/host-999999/software")
    assert r.status_code == 404
    r = tiny.get("/no/such/endpoint")
    assert r.status_code == 404 and r.json()["error_type"] == "NOT_FOUND"


def test_host_in_a_cluster_is_managed_through_the_cluster(tiny: Api) -> None:
    r = tiny.get(tiny.hpath("esxi-t1.lab.local"))
    assert r.status_code == 400 and r.json()["error_type"] == "UNSUPPORTED"
    assert "Tiny-01" in r.json()["messages"][0]["default_message"]


def test_task_info_has_every_field_cistasks_requires(tiny: Api) -> None:
    r = tiny.post(tiny.cpath("Tiny-01") + "?action=scan&vmw-task=true")
    tid = r.json()
    assert tid.endswith(":com.vmware.esx.settings.clusters.software")
    first = tiny.get(f"/cis/tasks/{tid}").json()
    assert first["status"] in ("PENDING", "RUNNING", "SUCCEEDED")
    if first["status"] == "PENDING":             # the binding's union: no progress/start_time yet
        assert "progress" not in first and "start_time" not in first
    else:
        assert {"total", "completed", "message"} <= set(first["progress"]) and "start_time" in first
    info = tiny.wait(tid)
    assert info["status"] == "SUCCEEDED"
    for key in ("description", "service", "operation", "status", "cancelable", "progress", "start_time",
                "end_time", "user", "target", "result"):
        assert key in info, key
    assert info["service"] == "com.vmware.esx.settings.clusters.software" and info["operation"] == "scan"
    assert info["target"] == {"type": "ClusterComputeResource", "id": tiny.cluster["Tiny-01"]}
    assert info["progress"]["completed"] == info["progress"]["total"]
    assert info["result"]["status"] == "NON_COMPLIANT"


def test_scan_without_vmw_task_returns_the_result(tiny: Api) -> None:
    r = tiny.post(tiny.cpath("Tiny-01") + "?action=scan")
    assert r.status_code == 200
    assert r.json()["status"] == "NON_COMPLIANT"


def test_inventory_lists_and_filters(tiny: Api) -> None:
    dcs = tiny.get("/vcenter/datacenter").json()
    assert [d["name"] for d in dcs] == ["DC1"]
    cl = tiny.get("/vcenter/cluster", params={"names": "Tiny-01"}).json()
    assert cl == [{"cluster": tiny.cluster["Tiny-01"], "name": "Tiny-01", "ha_enabled": True, "drs_enabled": True}]
    assert tiny.get("/vcenter/cluster", params={"names": "nope"}).json() == []
    hosts = tiny.get("/vcenter/host", params={"clusters": tiny.cluster["Tiny-01"]}).json()
    assert sorted(h["name"] for h in hosts) == ["esxi-t1.lab.local", "esxi-t2.lab.local"]
    assert all(h["connection_state"] == "CONNECTED" and h["power_state"] == "POWERED_ON" for h in hosts)
    alone = tiny.get("/vcenter/host", params={"standalone": "true"}).json()
    assert [h["name"] for h in alone] == ["esxi-ts.lab.local"]
    two = tiny.get("/vcenter/host", params=[("names", "esxi-t1.lab.local"), ("names", "esxi-ts.lab.local")]).json()
    assert len(two) == 2
    vms = tiny.get("/vcenter/vm", params={"hosts": tiny.host["esxi-t2.lab.local"], "power_states": "POWERED_OFF"}).json()
    assert [v["name"] for v in vms] == ["tiny-template"]
    bad = tiny.get("/vcenter/vm", params={"power_states": "ON"})
    assert bad.status_code == 400 and bad.json()["error_type"] == "INVALID_ARGUMENT"


def test_admin_state_counters_and_reset(tiny: Api) -> None:
    st = tiny.state()
    assert st["vcenter"]["version"] == "8.0.3"
    t1 = next(h for h in st["hosts"] if h["name"] == "esxi-t1.lab.local")
    assert t1["installed"]["base_image"] == "8.0.3-0.35.24280767" and t1["staged"] is None
    tiny.get("/vcenter/cluster")
    tiny.get("/vcenter/cluster")
    calls = tiny.counters()["calls"]
    assert calls["GET /api/vcenter/cluster"] == 2
    tiny.post(tiny.cpath("Tiny-01") + "?action=scan")
    assert tiny.counters()["calls"]["POST /api/esx/settings/clusters/{cluster}/software?action=scan"] == 1
    assert tiny.host_state("esxi-t1.lab.local")["compliance_status"] == "NON_COMPLIANT"
    tiny.sim.reset()
    assert tiny.host_state("esxi-t1.lab.local")["compliance_status"] is None
    c = tiny.counters()
    assert c["calls"] == {} and c["logins"]["rest"] == 0 and c["live_sessions"]["rest"] == 0


def test_cluster_not_managed_by_an_image(sim_factory: Callable[..., Api], tmp_path: Path) -> None:
    api = sim_factory(build_scenario(tmp_path, [cluster("Baseline", [host("esxi-b.lab")], image_managed=False)]))
    cid = api.cluster["Baseline"]
    assert api.get(f"/esx/settings/clusters/{cid}/enablement/software").json() == {"enabled": False}
    r = api.get(f"/esx/settings/clusters/{cid}/software")
    assert r.status_code == 404 and "single image" in r.json()["messages"][0]["default_message"]
    r = api.post(f"/esx/settings/clusters/{cid}/software?action=stage&vmw-task=true", {})
    assert r.status_code == 400 and r.json()["error_type"] == "INVALID_ARGUMENT"


def test_mutating_calls_are_the_writes_only(tiny: Api) -> None:
    """The one definition of "nothing changed vCenter" (vlcmsim.testing.mutating_calls): logins, reads and
    compliance scans are not writes; a policy PUT and a stage are (a control: the helper can say no)."""
    before = tiny.counters()
    extra = tiny.sim.session()                                       # a login
    extra.delete(tiny.sim.url + "/api/session", timeout=30)          # and a logout
    tiny.get("/vcenter/cluster")
    tiny.task(tiny.cpath("Tiny-01"), "scan")
    assert tiny.sim.mutating_calls(since=before) == {}
    assert tiny.put(f"/esx/settings/clusters/{tiny.cluster['Tiny-01']}/policies/apply",
                    {"enable_quick_boot": True}).status_code == 204
    tiny.task(tiny.cpath("Tiny-01"), "stage", {})
    assert tiny.sim.mutating_calls(since=before) == {
        "PUT /api/esx/settings/clusters/{cluster}/policies/apply": 1,
        "POST /api/esx/settings/clusters/{cluster}/software?action=stage": 1}

