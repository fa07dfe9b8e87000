# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cluster's capacity, VMs and HA/DRS/vSAN settings from vCenter, as inputs of the wave planner.

One PropertyCollector pass (``SoapClient.collect``) over the cluster: its hosts (``summary.hardware``,
``runtime``), its VMs (``runtime``, ``config.hardware``, ``summary.quickStats``) and its own
``configurationEx`` (``drsConfig``, ``dasConfig``, ``vsanConfigInfo``). The shaping functions take the
rows (plain dicts of pyVmomi values, or look-alikes in unit tests) and know nothing of Ansible or I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _waves as waves
from ansible_collections.vsphere.lifecycle.plugins.module_utils._waves import (
    AVAILABLE,
    MAINTENANCE,
    UNAVAILABLE,
    HaReserve,
    HostCapacity,
    VmDemand,
)

HOST_PROPERTIES = ("name", "summary.hardware.cpuMhz", "summary.hardware.numCpuCores", "summary.hardware.memorySize",
                   "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode")
VM_PROPERTIES = ("name", "runtime.host", "runtime.powerState", "config.template", "config.guestId",
                 "config.hardware.memoryMB", "config.hardware.numCPU", "config.hardware.device",
                 "summary.quickStats.overallCpuDemand", "summary.quickStats.overallCpuUsage")
CLUSTER_PROPERTIES = ("name", "configurationEx")
POWER_ACTIONS_THAT_STOP_VMS = ("POWER_OFF_VMS", "SUSPEND_VMS", "SUSPEND_VMS_TO_MEMORY")
CPU_BASES = ("demand", "configured")


def read_cluster(soap: Any, cluster_id: str) -> list[dict[str, Any]]:
    """The rows of one PropertyCollector pass over a cluster (hosts, VMs and the cluster itself)."""
    cluster = soap.ref("ClusterComputeResource", cluster_id)
    return soap.collect(cluster, {"HostSystem": HOST_PROPERTIES, "VirtualMachine": VM_PROPERTIES},
                        container_properties=CLUSTER_PROPERTIES)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _moid(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "_moId", value))


# ----------------------------------------------------------------------------- cluster settings
def drs_settings(config_ex: Any) -> dict[str, Any]:
    """``{"enabled", "behavior"}`` from ``configurationEx.drsConfig`` (behavior: manual | partiallyAutomated |
    fullyAutomated)."""
    drs = getattr(config_ex, "drsConfig", None)
    return {"enabled": bool(getattr(drs, "enabled", False)), "behavior": _text(getattr(drs, "defaultVmBehavior", None))}


def vsan_enabled(config_ex: Any) -> bool:
    return bool(getattr(getattr(config_ex, "vsanConfigInfo", None), "enabled", False))


def ha_settings(config_ex: Any) -> dict[str, Any]:
    """HA and its admission control from ``configurationEx.dasConfig``: ``{"enabled", "admission_control",
    "policy", "host_failures", "cpu_percent", "memory_percent"}`` (policy: host_failures | percentage |
    dedicated_hosts | None)."""
    das = getattr(config_ex, "dasConfig", None)
    enabled = bool(getattr(das, "enabled", False))
    admission = enabled and bool(getattr(das, "admissionControlEnabled", False))
    out: dict[str, Any] = {"enabled": enabled, "admission_control": admission, "policy": None,
                           "host_failures": 0, "cpu_percent": 0, "memory_percent": 0}
    if not admission:
        return out
    policy = getattr(das, "admissionControlPolicy", None)
    kind = type(policy).__name__ if policy is not None else ""
    level = getattr(policy, "failoverLevel", None) or getattr(das, "failoverLevel", None) or 1
    if kind.endswith("FailoverResourcesAdmissionControlPolicy") and not getattr(policy, "autoComputePercentages", False):
        out.update(policy="percentage", cpu_percent=int(getattr(policy, "cpuFailoverResourcesPercent", 0) or 0),
                   memory_percent=int(getattr(policy, "memoryFailoverResourcesPercent", 0) or 0))
    elif kind.endswith("FailoverHostAdmissionControlPolicy"):
        hosts = list(getattr(policy, "failoverHosts", None) or [])
        out.update(policy="dedicated_hosts", host_failures=len(hosts) or int(level))
    else:   # slot policy, percentages computed from the host failures to tolerate, or no policy object
        out.update(policy="host_failures", host_failures=int(level))
    return out


def ha_reserve(ha: Mapping[str, Any], override_hosts: int | None = None) -> HaReserve:
    """The planner's reserve: ``override_hosts`` (the module's ``ha_failover_hosts``) when given, else HA's."""
    if override_hosts is not None:
        return HaReserve(host_failures=override_hosts)
    if not ha.get("admission_control"):
        return HaReserve()
    if ha.get("policy") == "percentage":
        return HaReserve(cpu_percent=float(ha.get("cpu_percent") or 0), memory_percent=float(ha.get("memory_percent") or 0))
    return HaReserve(host_failures=int(ha.get("host_failures") or 0))


# ----------------------------------------------------------------------------- hosts and VMs
def host_capacity(row: Mapping[str, Any]) -> HostCapacity:
    """CPU = cores x core MHz, memory = physical memory in MB; state from connection, power and maintenance."""
    cores = int(row.get("summary.hardware.numCpuCores") or 0)
    mhz = int(row.get("summary.hardware.cpuMhz") or 0)
    memory = int(row.get("summary.hardware.memorySize") or 0) // (1024 * 1024)
    connected = _text(row.get("runtime.connectionState")) == "connected"
    powered = _text(row.get("runtime.powerState")) == "poweredOn"
    if row.get("runtime.inMaintenanceMode") and connected:
        state = MAINTENANCE
    elif connected and powered:
        state = AVAILABLE
    else:
        state = UNAVAILABLE
    return HostCapacity(id=row["moid"], name=str(row.get("name") or row["moid"]), cpu_mhz=cores * mhz,
                        memory_mb=memory, state=state)


def unmovable_reason(row: Mapping[str, Any]) -> str | None:
    """Why vMotion cannot move this VM: a PCI passthrough device (DirectPath I/O, vGPU), a SCSI controller with
    bus sharing (shared-disk clustering), or a vSphere Pod (guest ``crxPod*``); None when it can move."""
    if str(row.get("config.guestId") or "").startswith("crxPod"):
        return "is a vSphere Pod"
    for device in row.get("config.hardware.device") or []:
        kind = type(device).__name__
        if kind.endswith("VirtualPCIPassthrough"):
            return "has a PCI passthrough (DirectPath I/O) device"
        sharing = _text(getattr(device, "sharedBus", None))
        if sharing in ("physicalSharing", "virtualSharing"):
            return f"has a SCSI controller with bus sharing ({sharing})"
    return None


def vm_cpu_mhz(row: Mapping[str, Any], basis: str, core_mhz: int) -> int:
    """The VM's CPU figure: ``demand`` (``quickStats.overallCpuDemand``, else ``overallCpuUsage``; configured when
    vCenter has no statistics) or ``configured`` (vCPUs x the core MHz of its host)."""
    configured = int(row.get("config.hardware.numCPU") or 0) * core_mhz
    if basis == "configured":
        return configured
    for key in ("summary.quickStats.overallCpuDemand", "summary.quickStats.overallCpuUsage"):
        value = row.get(key)
        if value is not None:
            return int(value)
    return configured


def planner_inputs(rows: Sequence[Mapping[str, Any]], *, cpu_basis: str = "demand",
                   drs_automatic: bool = True) -> tuple[list[HostCapacity], list[VmDemand], dict[str, int]]:
    """(hosts, VMs, core MHz per host) from the rows of :func:`read_cluster`. VMs on other hosts than the cluster's
    (none in a consistent read) and templates are left out. Without fully automated DRS nothing is evacuated, so
    every running VM counts as one that cannot move."""
    hosts = [host_capacity(r) for r in rows if r.get("type") == "HostSystem"]
    core_mhz = {r["moid"]: int(r.get("summary.hardware.cpuMhz") or 0) for r in rows if r.get("type") == "HostSystem"}
    vms: list[VmDemand] = []
    for row in rows:
        if row.get("type") != "VirtualMachine" or row.get("config.template"):
            continue
        host_id = _moid(row.get("runtime.host"))
        if host_id not in core_mhz:
            continue
        running = _text(row.get("runtime.powerState")) == "poweredOn"
        why = unmovable_reason(row)
        if why is None and not drs_automatic:
            why = "cannot be evacuated by maintenance mode: DRS is not in fully automated mode on the cluster"
        vms.append(VmDemand(id=row["moid"], name=str(row.get("name") or row["moid"]), host=host_id,
                            cpu_mhz=vm_cpu_mhz(row, cpu_basis, core_mhz[host_id]) if running else 0,
                            memory_mb=int(row.get("config.hardware.memoryMB") or 0), running=running,
                            unmovable=why))
    return hosts, vms, core_mhz


def cluster_settings(rows: Sequence[Mapping[str, Any]], cluster_id: str) -> dict[str, Any]:
    """DRS, HA and vSAN of the cluster row of :func:`read_cluster`."""
    row = next((r for r in rows if r.get("moid") == cluster_id and r.get("type") == "ClusterComputeResource"), {})
    config_ex = row.get("configurationEx")
    return {"drs": drs_settings(config_ex), "ha": ha_settings(config_ex), "vsan": vsan_enabled(config_ex)}


# ----------------------------------------------------------------------------- reads for one batch, whole plans
VM_MOVE_PROPERTIES = ("name", "runtime.host", "runtime.powerState", "config.template", "config.guestId",
                      "config.hardware.memoryMB", "config.hardware.device")


def read_hosts(soap: Any, host_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of some hosts of a cluster and of their VMs only (``HostSystem.vm``), with what decides whether a VM
    can move: one PropertyCollector pass over a batch's few hosts instead of the whole cluster."""
    from pyVmomi import vim, vmodl  # the SOAP client imported it already; kept out of the pure functions here

    pc = vmodl.query.PropertyCollector
    to_vms = pc.TraversalSpec(name="hostVms", type=vim.HostSystem, path="vm", skip=False)
    objects = [pc.ObjectSpec(obj=soap.ref("HostSystem", h), skip=False, selectSet=[to_vms]) for h in host_ids]
    props = [pc.PropertySpec(type=vim.HostSystem, pathSet=list(HOST_PROPERTIES), all=False),
             pc.PropertySpec(type=vim.VirtualMachine, pathSet=list(VM_MOVE_PROPERTIES), all=False)]
    return soap.rows(objects, props, what=f"host(s) {', '.join(host_ids)} and their VMs")


def soon_available(hosts: Sequence[HostCapacity], vms: Sequence[VmDemand], host_ids: Sequence[str],
                   vm_ids: Sequence[str]) -> tuple[list[HostCapacity], list[VmDemand]]:
    """Planner inputs as they will be once a batch has left maintenance mode: its hosts (``host_ids``, in
    maintenance mode or rebooting now) available again, and the VMs it stopped for maintenance mode (``vm_ids``) running again on them (their configured
    memory; their CPU demand is unknown while they are off and counted as 0)."""
    back, started = set(host_ids), set(vm_ids)
    hosts_out = [HostCapacity(h.id, h.name, h.cpu_mhz, h.memory_mb, AVAILABLE) if h.id in back else h for h in hosts]
    vms_out = [VmDemand(v.id, v.name, v.host, v.cpu_mhz, v.memory_mb, True, v.unmovable) if v.id in started else v
               for v in vms]
    return hosts_out, vms_out


def plan_cluster(rest: Any, soap: Any, target: Any, todo: Sequence[str], *, cap: Any, ha_failover_hosts: int | None = None,
                 cpu_basis: str = "demand", max_utilization: int = 100, host_seconds: float = 900,
                 vm_seconds: float = 5.0, back_from_maintenance: Sequence[str] = (),
                 restarted_vms: Sequence[str] = ()) -> dict[str, Any]:
    """The plan of ``todo`` (host ids) on a cluster: the apply policy and last apply result (REST), one
    PropertyCollector pass over the cluster, the planner, the forecast. ``back_from_maintenance`` /
    ``restarted_vms``: a batch being remediated now, planned as it will be once it is out of maintenance mode
    (see :func:`soon_available`). Returns :func:`_waves.plan_report` plus ``replan`` and ``cluster_settings``."""
    power_action = vlcm.get_policies(rest, target).get("pre_remediation_power_action")
    history = waves.host_durations(rem.last_apply_result(rest, target))
    rows = read_cluster(soap, target.id)
    settings = cluster_settings(rows, target.id)
    drs_auto = settings["drs"]["enabled"] and settings["drs"]["behavior"] == "fullyAutomated"
    hosts, vms, _cores = planner_inputs(rows, cpu_basis=cpu_basis, drs_automatic=drs_auto)
    if back_from_maintenance or restarted_vms:
        hosts, vms = soon_available(hosts, vms, back_from_maintenance, restarted_vms)
    inp = waves.PlanInput(
        hosts=tuple(hosts), vms=tuple(vms), todo=tuple(todo),
        ha=ha_reserve(settings["ha"], ha_failover_hosts), vsan=settings["vsan"], cap=cap,
        power_off_unmovable=power_action in POWER_ACTIONS_THAT_STOP_VMS, max_utilization=max_utilization / 100.0,
    )
    plan = waves.plan_waves(inp)
    estimates = waves.host_estimates([h for w in plan.waves for h in w.hosts], history, host_seconds)
    report = waves.plan_report(plan, inp, estimates, vm_seconds=vm_seconds)
    report["forecast"].update(recorded_hosts=len(history), host_seconds=host_seconds)
    # later waves start from where the planner put the VMs of earlier ones; DRS may put them elsewhere
    report["replan"] = len(plan.waves) > 1 and any(w.evacuated for w in plan.waves[:-1])
    report["cluster_settings"] = {**settings, "pre_remediation_power_action": power_action,
                                  "ha_reserve": inp.ha.describe() if inp.ha.active else None,
                                  "cpu_basis": cpu_basis, "max_utilization": max_utilization}
    return report
