# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shaping of PropertyCollector rows (_capacity) and the inventory facts (_fleet) with test doubles."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _capacity as cap
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _fleet as fleet
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _waves as w
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError


class VirtualPCIPassthrough:  # named like pyVmomi's vim.vm.device.VirtualPCIPassthrough
    pass


class FailoverResourcesAdmissionControlPolicy(NS):
    pass


class FailoverLevelAdmissionControlPolicy(NS):
    pass


def host_row(moid, cores=32, mhz=2000, mem_gb=512, state="connected", power="poweredOn", mm=False):
    return {"type": "HostSystem", "moid": moid, "name": f"esx-{moid}", "summary.hardware.cpuMhz": mhz,
            "summary.hardware.numCpuCores": cores, "summary.hardware.memorySize": mem_gb * 1024 ** 3,
            "runtime.connectionState": state, "runtime.powerState": power, "runtime.inMaintenanceMode": mm}


def vm_row(moid, host, demand=1500, cpus=4, mem=8192, power="poweredOn", devices=(), guest="otherLinux64Guest"):
    return {"type": "VirtualMachine", "moid": moid, "name": f"vm-{moid}", "runtime.host": NS(_moId=host),
            "runtime.powerState": power, "config.template": False, "config.guestId": guest,
            "config.hardware.memoryMB": mem, "config.hardware.numCPU": cpus, "config.hardware.device": list(devices),
            "summary.quickStats.overallCpuDemand": demand, "summary.quickStats.overallCpuUsage": demand - 100}


def test_planner_inputs_figures_and_blockers():
    rows = [host_row("host-1"), host_row("host-2", mm=True), host_row("host-3", state="disconnected"),
            vm_row("vm-1", "host-1"), vm_row("vm-2", "host-1", devices=[VirtualPCIPassthrough()]),
            vm_row("vm-3", "host-1", devices=[NS(sharedBus="physicalSharing")]),
            vm_row("vm-4", "host-1", guest="crxPod1Guest"), vm_row("vm-5", "host-1", power="poweredOff"),
            vm_row("vm-6", "host-9")]
    hosts, vms, cores = cap.planner_inputs(rows)
    assert [(h.id, h.cpu_mhz, h.memory_mb, h.state) for h in hosts] == [
        ("host-1", 64000, 524288, w.AVAILABLE), ("host-2", 64000, 524288, w.MAINTENANCE),
        ("host-3", 64000, 524288, w.UNAVAILABLE)]
    by_id = {v.id: v for v in vms}
    assert "vm-6" not in by_id and cores["host-1"] == 2000
    assert by_id["vm-1"].cpu_mhz == 1500 and by_id["vm-1"].memory_mb == 8192 and by_id["vm-1"].unmovable is None
    assert "PCI passthrough" in by_id["vm-2"].unmovable
    assert "bus sharing" in by_id["vm-3"].unmovable
    assert by_id["vm-4"].unmovable == "is a vSphere Pod"
    assert by_id["vm-5"].running is False and by_id["vm-5"].cpu_mhz == 0
    _h, configured, _c = cap.planner_inputs(rows, cpu_basis="configured")
    assert {v.id: v.cpu_mhz for v in configured}["vm-1"] == 4 * 2000
    _h, manual, _c = cap.planner_inputs(rows, drs_automatic=False)
    assert "DRS is not in fully automated mode" in {v.id: v for v in manual}["vm-1"].unmovable


def test_cluster_settings_drs_ha_vsan():
    config = NS(drsConfig=NS(enabled=True, defaultVmBehavior="fullyAutomated"),
                dasConfig=NS(enabled=True, admissionControlEnabled=True, failoverLevel=1,
                             admissionControlPolicy=FailoverResourcesAdmissionControlPolicy(
                                 autoComputePercentages=False, cpuFailoverResourcesPercent=25,
                                 memoryFailoverResourcesPercent=30, failoverLevel=1)),
                vsanConfigInfo=NS(enabled=True))
    rows = [{"type": "ClusterComputeResource", "moid": "domain-c1", "configurationEx": config}]
    s = cap.cluster_settings(rows, "domain-c1")
    assert s["drs"] == {"enabled": True, "behavior": "fullyAutomated"} and s["vsan"] is True
    assert s["ha"]["policy"] == "percentage" and (s["ha"]["cpu_percent"], s["ha"]["memory_percent"]) == (25, 30)
    assert cap.ha_reserve(s["ha"]) == w.HaReserve(cpu_percent=25, memory_percent=30)
    assert cap.ha_reserve(s["ha"], 2) == w.HaReserve(host_failures=2)
    slots = NS(enabled=True, admissionControlEnabled=True, admissionControlPolicy=FailoverLevelAdmissionControlPolicy(
        failoverLevel=2))
    assert cap.ha_settings(NS(dasConfig=slots))["host_failures"] == 2
    assert cap.ha_reserve(cap.ha_settings(NS(dasConfig=NS(enabled=True, admissionControlEnabled=False)))) == w.HaReserve()
    assert cap.cluster_settings([], "domain-c1") == {
        "drs": {"enabled": False, "behavior": None}, "vsan": False,
        "ha": {"enabled": False, "admission_control": False, "policy": None, "host_failures": 0, "cpu_percent": 0,
               "memory_percent": 0}}


class FakeClient:
    def __init__(self, answers):
        self.answers = answers
        self.gets = []

    def get(self, path, params=None, **_kw):
        self.gets.append((path, tuple(params or ())))
        for (p, q), answer in self.answers.items():
            if p == path and (q is None or set(q) <= set(params or ())):
                if isinstance(answer, Exception):
                    raise answer
                return answer
        raise ApiError(f"GET {path}", status=404, error_type="NOT_FOUND")


C = "/api/esx/settings/clusters"


def test_gather_facts_and_403_as_warning():
    client = FakeClient({
        ("/api/vcenter/datacenter", None): [{"datacenter": "datacenter-1", "name": "DC1"}],
        ("/api/vcenter/cluster", None): [{"cluster": "domain-c1", "name": "A", "drs_enabled": True, "ha_enabled": True},
                                         {"cluster": "domain-c2", "name": "B", "drs_enabled": False, "ha_enabled": False},
                                         {"cluster": "domain-c3", "name": "C", "drs_enabled": True, "ha_enabled": True}],
        (f"{C}/domain-c1/enablement/software", None): {"enabled": True},
        (f"{C}/domain-c2/enablement/software", None): {"enabled": False},
        (f"{C}/domain-c3/enablement/software", None): ApiError("no", status=403, error_type="UNAUTHORIZED"),
        ("/api/vcenter/host", (("clusters", "domain-c1"),)): [{"host": "host-1", "name": "esx-1"}],
        ("/api/vcenter/host", (("standalone", "true"),)): [],
        ("/api/vcenter/host", None): [],
        (f"{C}/domain-c1/software/compliance", None): {"status": "NON_COMPLIANT", "scan_time": "t",
                                                       "non_compliant_hosts": ["host-1"],
                                                       "hosts": {"host-1": {"status": "NON_COMPLIANT"}}},
        (f"{C}/domain-c1/software", None): {"base_image": {"version": "8.0.3-0.50", "details": {"display_version": "8.0 U3e"}},
                                            "add_on": {"name": "DEL", "version": "A02"}},
    })
    warnings = []
    data = fleet.gather(client, warn=warnings.append)
    assert [c["name"] for c in data["clusters"]] == ["A"]
    a = data["clusters"][0]
    assert a["compliance"]["status"] == "NON_COMPLIANT" and a["compliance"]["non_compliant_hosts"] == ["esx-1"]
    assert a["compliance"]["hosts"] == {"esx-1": "NON_COMPLIANT"}
    assert a["desired"] == {"base_image": "8.0.3-0.50", "base_image_display": "8.0 U3e",
                            "add_on": {"name": "DEL", "version": "A02"}}
    assert a["host_count"] == 1 and a["drs_behavior"] is None
    assert len(warnings) == 1 and "cluster 'C'" in warnings[0] and "403" in warnings[0]
    every = fleet.gather(client, warn=warnings.append, image_managed_only=False)
    assert [(c["name"], c["image_managed"]) for c in every["clusters"]] == [("A", True), ("B", False), ("C", None)]
    assert every["clusters"][1]["compliance"]["status"] == "UNKNOWN"


def test_gather_other_errors_propagate():
    client = FakeClient({("/api/vcenter/datacenter", None): ApiError("boom", status=500, error_type="ERROR")})
    with pytest.raises(ApiError):
        fleet.gather(client, warn=lambda m: None)
