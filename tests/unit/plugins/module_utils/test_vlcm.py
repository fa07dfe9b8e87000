# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import copy

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target
from ansible_collections.vsphere.lifecycle.tests.unit.plugins.module_utils.fakes import (
    cluster_compliance,
    host_compliance,
)


def test_cluster_report_counts_and_per_host_drift():
    report = vlcm.cluster_report(cluster_compliance())
    assert report["status"] == "NON_COMPLIANT" and report["impact"] == "REBOOT_REQUIRED"
    assert report["counts"] == {"compliant": 1, "non_compliant": 1, "incompatible": 0, "unavailable": 1, "total": 3}
    assert report["non_compliant_hosts"] == ["esx-b"] and report["unavailable_hosts"] == ["esx-c"]
    assert report["notifications"]["warnings"] == ["Cluster has 1 host that is not compliant. (Remediate the cluster.)"]
    assert [h["name"] for h in report["hosts"]] == ["esx-a", "esx-b", "esx-c"]
    drifted = report["hosts"][1]
    assert drifted["base_image"] == {"status": "NON_COMPLIANT", "stage_status": "NOT_STAGED",
                                     "current": "8.0.3-0.30.24022510", "target": "8.0.3-0.35.24280767",
                                     "current_display": "8.0 U3a", "target_display": "8.0 U3b"}
    assert drifted["add_on"]["status"] == "COMPLIANT" and drifted["add_on"]["name"] == "DEL-ESXi"
    assert drifted["components"] == [{"id": "bnxtnet", "name": "Broadcom NetXtreme-E", "status": "NON_COMPLIANT",
                                      "stage_status": None, "current": "228.0.1", "target": "230.0.5",
                                      "current_source": "ADD_ON", "target_source": "USER"}]
    hsp = drifted["hardware_support"][0]
    assert (hsp["manager"], hsp["current"], hsp["target"]) == ("com.dell.HSM", "1.0", "2.0")
    assert hsp["modules"] == [{"id": "bios", "status": "NON_COMPLIANT", "stage_status": None, "current": "2.1",
                               "target": "2.4"}]
    unavailable = report["hosts"][2]
    assert unavailable["status"] == "UNAVAILABLE" and unavailable["components"] == []


def test_standalone_report_has_the_cluster_shape():
    report = vlcm.standalone_report("host-5", "esx-s", host_compliance("NON_COMPLIANT", "8.0.3-0.30.24022510"))
    assert set(report) == set(vlcm.cluster_report(cluster_compliance()))
    assert report["non_compliant_hosts"] == ["esx-s"] and report["compliant_hosts"] == []
    assert report["counts"] == {"compliant": 0, "non_compliant": 1, "incompatible": 0, "unavailable": 0, "total": 1}
    assert report["hosts"][0]["base_image"]["current"] == "8.0.3-0.30.24022510"


def test_include_compliant_lists_every_component():
    report = vlcm.cluster_report(cluster_compliance(), include_compliant=True)
    assert [c["id"] for c in report["hosts"][1]["components"]] == ["bnxtnet", "nvme-pcie"]


def test_subset_of_hosts_gets_its_own_overall_status():
    report = vlcm.cluster_report(cluster_compliance(), only_hosts=["host-11"])
    assert report["status"] == "COMPLIANT" and report["impact"] == "NO_IMPACT"
    assert report["counts"]["total"] == 1 and report["compliant_hosts"] == ["esx-a"]
    report = vlcm.cluster_report(cluster_compliance(), only_hosts=["host-11", "host-10"])
    assert report["status"] == "NON_COMPLIANT" and report["impact"] == "REBOOT_REQUIRED"


@pytest.mark.parametrize("statuses, expected", [
    (["COMPLIANT", "NON_COMPLIANT"], "NON_COMPLIANT"), (["INCOMPATIBLE", "UNAVAILABLE"], "INCOMPATIBLE"),
    (["COMPLIANT"], "COMPLIANT"), ([None, "COMPLIANT"], "UNAVAILABLE"), ([], None)])
def test_overall_status(statuses, expected):
    assert vlcm.overall_status(statuses) == expected


def test_image_summary():
    software = {
        "base_image": {"version": "8.0.3-0.35.24280767", "details": {"display_name": "ESXi", "display_version": "8.0 U3b",
                                                                     "release_date": "2024-09-17T00:00:00.000Z"}},
        "add_on": {"name": "DEL-ESXi", "version": "803.1-A00", "details": {"display_name": "Dell add-on",
                                                                           "vendor": "Dell", "display_version": "A00"}},
        "components": {"bnxtnet": {"version": "230.0.5", "details": {"display_name": "Broadcom", "vendor": "Broadcom"}}},
        "solutions": {"com.vmware.vsan": {"version": "8.0", "components": [{"component": "vsan"}]}},
        "hardware_support": {"packages": {"com.dell.HSM": {"pkg": "DellFW", "version": "2.0"}}},
    }
    image = vlcm.image_summary(software)
    assert image["base_image"]["display_version"] == "8.0 U3b"
    assert image["add_on"] == {"name": "DEL-ESXi", "version": "803.1-A00", "display_name": "Dell add-on",
                               "display_version": "A00", "vendor": "Dell"}
    assert image["components"]["bnxtnet"]["version"] == "230.0.5"
    assert image["hardware_support"] == {"com.dell.HSM": {"pkg": "DellFW", "version": "2.0"}}
    assert image["solutions"] == {"com.vmware.vsan": {"version": "8.0", "components": ["vsan"]}}
    assert vlcm.image_summary({"base_image": {"version": "1"}})["add_on"] is None


class ScriptedClient:
    def __init__(self, infos):
        self.infos = list(infos)
        self.posts = []
        self.gets = []

    def post(self, path, **kwargs):
        self.posts.append((path, kwargs))
        return "task-42"

    def get(self, path, **kwargs):
        self.gets.append(path)
        if path.startswith("/api/cis/tasks/"):
            return self.infos.pop(0)
        if path.endswith("/enablement/software"):
            return {"enabled": "domain-c404" not in path}
        return {}


def test_scan_posts_the_binding_path_and_waits():
    client = ScriptedClient([{"status": "RUNNING"}, {"status": "SUCCEEDED"}])
    target = Target("cluster", "domain-c7", "Prod")
    info = vlcm.scan(client, target, timeout=60, sleep=lambda s: None)
    assert client.posts == [("/api/esx/settings/clusters/domain-c7/software",
                             {"params": {"action": "scan", "vmw-task": "true"}, "json": None, "retry_on_reset": True})]
    assert info["_task_id"] == "task-42" and client.gets == ["/api/cis/tasks/task-42"] * 2
    host = Target("host", "host-9", "esx9")
    assert host.base == "/api/esx/settings/hosts/host-9"


def test_stage_spec_is_the_body():
    client = ScriptedClient([{"status": "SUCCEEDED"}])
    target = Target("cluster", "domain-c7", "Prod")
    vlcm.run_software_task(client, target, "stage", spec={"commit": "3", "hosts": ["host-1"]}, timeout=5,
                           sleep=lambda s: None)
    assert client.posts[0][1]["json"] == {"commit": "3", "hosts": ["host-1"]}
    assert client.posts[0][1]["params"]["action"] == "stage"
    assert client.posts[0][1]["retry_on_reset"] is False


def test_policies_paths_and_image_managed():
    client = ScriptedClient([])
    vlcm.get_policies(client, Target("cluster", "domain-c7", "Prod"))
    vlcm.get_policies(client, Target("host", "host-3", "esx"))
    assert client.gets == ["/api/esx/settings/clusters/domain-c7/policies/apply/effective",
                           "/api/esx/settings/hosts/host-3/policies/apply/effective"]
    assert vlcm.is_image_managed(client, "domain-c7") is True
    assert vlcm.is_image_managed(client, "domain-c404") is False
    assert client.gets[-1] == "/api/esx/settings/clusters/domain-c404/enablement/software"


def test_report_does_not_mutate_input():
    data = cluster_compliance()
    before = copy.deepcopy(data)
    vlcm.cluster_report(data, only_hosts=["host-10"])
    assert data == before
