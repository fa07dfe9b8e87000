# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_vlcm.report_mismatches / stale_hosts: a host's compliance result against the desired image now."""
from __future__ import annotations

import copy

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._image import software_to_spec
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target
from ansible_collections.vsphere.lifecycle.tests.unit.plugins.module_utils.fakes import (
    cluster_compliance,
    host_compliance,
    software_info,
)

DESIRED = software_to_spec(software_info())
HSP_3 = {"packages": {"com.dell.HSM": {"pkg": "DellFW", "version": "3.0"}}}
CLUSTER = Target("cluster", "domain-c7", "Prod")


def test_a_report_of_the_desired_image_is_current() -> None:
    assert vlcm.report_mismatches(host_compliance("COMPLIANT", "8.0.3-0.35.24280767"), DESIRED) == []
    hosts = [("host-10", "esx-b"), ("host-11", "esx-a")]
    assert vlcm.stale_hosts(CLUSTER, cluster_compliance(), DESIRED, hosts) == {}


def test_each_kind_of_image_change_makes_it_stale() -> None:
    report = host_compliance("COMPLIANT", "8.0.3-0.35.24280767")
    changes = {
        "base image": lambda d: d.update(base_image={"version": "8.0.3-0.50.24585383"}),
        "add-on": lambda d: d.update(add_on={"name": "DEL-ESXi", "version": "A02"}),
        "component bnxtnet": lambda d: d["components"].update(bnxtnet="231.0.0"),
        "component i40en": lambda d: d["components"].update(i40en="2.6"),
        "removed components": lambda d: d.update(removed_components=["nvme-pcie"]),
        "hardware support": lambda d: d.update(hardware_support=HSP_3),
    }
    for label, change in changes.items():
        desired = copy.deepcopy(DESIRED)
        change(desired)
        reasons = vlcm.report_mismatches(report, desired)
        assert len(reasons) == 1 and reasons[0].startswith(label), (label, reasons)
    # a user component the desired image no longer has
    desired = copy.deepcopy(DESIRED)
    del desired["components"]["bnxtnet"]
    assert vlcm.report_mismatches(report, desired) == [
        "component bnxtnet: the report targets it as added by the user, the desired image has not"]


def test_a_null_version_is_satisfied_by_any_and_unavailable_hosts_are_not_judged() -> None:
    desired = copy.deepcopy(DESIRED)
    desired["components"]["bnxtnet"] = None
    assert vlcm.report_mismatches(host_compliance("COMPLIANT", "8.0.3-0.35.24280767"), desired) == []
    assert vlcm.report_mismatches({"status": "UNAVAILABLE", "notifications": {}}, {"base_image": {"version": "x"}}) == []


def test_only_selected_hosts_and_standalone_hosts() -> None:
    desired = copy.deepcopy(DESIRED)
    desired["base_image"] = {"version": "9"}
    assert list(vlcm.stale_hosts(CLUSTER, cluster_compliance(), desired, [("host-11", "esx-a")])) == ["esx-a"]
    host = Target("host", "host-20", "esx-s")
    report = host_compliance("COMPLIANT", "8.0.3-0.35.24280767")
    assert list(vlcm.stale_hosts(host, report, desired, [("host-20", "esx-s")])) == ["esx-s"]
    assert vlcm.stale_hosts(host, report, DESIRED, [("host-20", "esx-s")]) == {}
    assert vlcm.stale_hosts(CLUSTER, None, desired, [("host-11", "esx-a")]) == {}
