"""The vSphere inventory seen through SOAP: managed object references and typed properties.

Every value built here is a pyVmomi object (vim/vmodl data objects, enums, typed arrays),
made from the one state model in `model.py`; nothing here changes the model.  Moids are the
model ids (`datacenter-N`, `domain-cN`, `host-N`, `vm-N`, `task-N`); objects the model has
no id for get stable derived ids: the root folder `group-d1`, a datacenter's folders from
the model (`group-hN`, `group-vN`) plus `group-sN` / `group-nN` for its datastore and
network folders, a standalone host `host-N` lives in the ComputeResource `domain-sN`, and
every compute resource (`domain-cN`, `domain-sN`) has its root resource pool `resgroup-N`
("Resources", where its hosts' VMs run).  The data objects of hosts, VMs and clusters are
built in `soap_values`.

Callers hold `world.lock` while they read properties.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable
from typing import Any

from pyVmomi import VmomiSupport, vim, vmodl

from ..model import VM, Host, Task, World
from . import soap_faults
from .soap_values import (
    api_version,
    cluster_config_ex,
    host_capability,
    host_config,
    host_cores,
    host_hardware,
    host_runtime,
    host_summary,
    id_number,
    mo,
    stable_uuid,
    vm_config,
    vm_runtime,
    vm_summary,
)

ROOT_FOLDER = "group-d1"

# Singletons of ServiceInstanceContent (moid -> wsdl type name), as vCenter names them.
SINGLETONS: dict[str, str] = {
    "ServiceInstance": "ServiceInstance",
    "propertyCollector": "PropertyCollector",
    "ViewManager": "ViewManager",
    "SessionManager": "SessionManager",
    "TaskManager": "TaskManager",
    "SearchIndex": "SearchIndex",
}


def path_value(builders: dict[str, Callable[[], Any]], path: str) -> Any:
    """Value of a property path from an object's property builders (first part) and attributes (the rest)."""
    root, _, rest = path.partition(".")
    builder = builders.get(root)
    if builder is None:
        return None
    val = builder()
    for part in rest.split(".") if rest else []:
        if val is None:
            return None
        val = getattr(val, part, None)
    return val


def wsdl_name(ref: Any) -> str:
    return VmomiSupport.GetWsdlName(type(ref))


def _sorted(ids: Any) -> list[str]:
    return sorted(ids, key=lambda i: (id_number(i), i))


def _ts(seconds: float | None) -> _dt.datetime | None:
    if seconds is None:
        return None
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.UTC)


def standalone_cr_id(host_id: str) -> str:
    return f"domain-s{id_number(host_id)}"


def resource_pool_id(compute_resource_id: str) -> str:
    """The root resource pool ("Resources") of a cluster or standalone host's ComputeResource."""
    return f"resgroup-{id_number(compute_resource_id)}"


class Inventory:
    """Read-only view of a World as vim managed objects and their properties."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._by_host: dict[str, list[VM]] | None = None
        self._by_cluster: dict[str, list[Host]] | None = None
        self._folders: dict[str, tuple[str, str]] | None = None

    def reset_cache(self) -> None:
        """Forget the indexes (call when the model may have changed since they were built)."""
        self._by_host = self._by_cluster = self._folders = None

    # ---- object lookup -------------------------------------------------------------------
    def folders(self) -> dict[str, tuple[str, str]]:
        """Folder moid -> (kind, datacenter id); kind in root|host|vm|datastore|network."""
        if self._folders is not None:
            return self._folders
        out: dict[str, tuple[str, str]] = {ROOT_FOLDER: ("root", "")}
        for dc in self.world.datacenters.values():
            n = id_number(dc.id)
            out[dc.host_folder] = ("host", dc.id)
            out[dc.vm_folder] = ("vm", dc.id)
            out[f"group-s{n}"] = ("datastore", dc.id)
            out[f"group-n{n}"] = ("network", dc.id)
        self._folders = out
        return out

    def type_of(self, moid: str) -> str | None:
        """Wsdl type name of an existing inventory object, None if there is no such object."""
        w = self.world
        if moid in SINGLETONS:
            return SINGLETONS[moid]
        if moid in w.hosts:
            return "HostSystem"
        if moid in w.vms:
            return "VirtualMachine"
        if moid in w.clusters:
            return "ClusterComputeResource"
        if moid in w.datacenters:
            return "Datacenter"
        if moid.startswith("domain-s"):
            host = w.hosts.get(f"host-{moid[len('domain-s'):]}")
            return "ComputeResource" if host is not None and host.cluster is None else None
        if moid.startswith("task-") and moid in w.tasks:
            return "Task"
        if moid.startswith("resgroup-"):
            return "ResourcePool" if self.pool_owner(moid) is not None else None
        if moid.startswith("group-") and moid in self.folders():
            return "Folder"
        return None

    def ref(self, moid: str) -> Any:
        t = self.type_of(moid)
        if t is None:
            raise KeyError(moid)
        return mo(t, moid)

    def entity_ref(self, ident: str | None) -> Any:
        if not ident:
            return None
        t = self.type_of(ident)
        return mo(t, ident) if t else None

    def host_parent(self, host: Host) -> Any:
        if host.cluster:
            return mo("ClusterComputeResource", host.cluster)
        return mo("ComputeResource", standalone_cr_id(host.id))

    def pool_owner(self, pool_id: str) -> Any:
        """The ComputeResource whose root resource pool `pool_id` is, None if there is none."""
        n = pool_id[len("resgroup-"):]
        if f"domain-c{n}" in self.world.clusters:
            return mo("ClusterComputeResource", f"domain-c{n}")
        host = self.world.hosts.get(f"host-{n}")
        if host is not None and host.cluster is None:
            return mo("ComputeResource", standalone_cr_id(host.id))
        return None

    def vm_pool(self, vm: VM) -> Any:
        """The resource pool a VM runs in: the root pool of its host's compute resource."""
        host = self.world.hosts.get(vm.host)
        if host is None:
            return None
        return mo("ResourcePool", resource_pool_id(self.host_parent(host)._moId))

    def vm_datacenter(self, vm: VM) -> str | None:
        host = self.world.hosts.get(vm.host)
        return host.datacenter if host else None

    def hosts_of_cluster(self, cluster_id: str) -> list[Host]:
        if self._by_cluster is None:
            index: dict[str, list[Host]] = {}
            for hid in _sorted(self.world.hosts):
                host = self.world.hosts[hid]
                if host.cluster:
                    index.setdefault(host.cluster, []).append(host)
            self._by_cluster = index
        return list(self._by_cluster.get(cluster_id, []))

    def vms_of_host(self, host_id: str) -> list[VM]:
        if self._by_host is None:
            index: dict[str, list[VM]] = {}
            for vid in _sorted(self.world.vms):
                vm = self.world.vms[vid]
                index.setdefault(vm.host, []).append(vm)
            self._by_host = index
        return list(self._by_host.get(host_id, []))

    def folder_children(self, folder_id: str) -> list[Any]:
        kind, dc_id = self.folders()[folder_id]
        w = self.world
        if kind == "root":
            return [mo("Datacenter", d) for d in _sorted(w.datacenters)]
        if kind == "host":
            out = [mo("ClusterComputeResource", c) for c in _sorted(c.id for c in w.clusters.values() if c.datacenter == dc_id)]
            out += [mo("ComputeResource", standalone_cr_id(h.id))
                    for h in (w.hosts[i] for i in _sorted(w.hosts)) if h.cluster is None and h.datacenter == dc_id]
            return out
        if kind == "vm":
            return [mo("VirtualMachine", v.id) for v in (w.vms[i] for i in _sorted(w.vms)) if self.vm_datacenter(v) == dc_id]
        return []

    # ---- properties ----------------------------------------------------------------------
    def builders(self, ref: Any) -> dict[str, Callable[[], Any]]:
        """Top-level property name -> builder for the object's type (only what we model)."""
        t = wsdl_name(ref)
        moid = ref._moId
        fn = getattr(self, f"_props_{t}", None)
        if fn is None:
            return {}
        return fn(moid)

    def get(self, ref: Any, path: str) -> Any:
        """Value of a property path (typed; lists as typed arrays), None when unset."""
        return path_value(self.builders(ref), path)

    # ServiceInstance and friends ----------------------------------------------------------
    def about(self) -> Any:
        w = self.world
        api = api_version(w.vcenter_version)
        return vim.AboutInfo(
            name="VMware vCenter Server",
            fullName=f"VMware vCenter Server {w.vcenter_version} build-{w.vcenter_build}",
            vendor="VMware, Inc.",
            version=w.vcenter_version,
            build=w.vcenter_build,
            localeVersion="INTL",
            localeBuild="000",
            osType="linux-x64",
            productLineId="vpx",
            apiType="VirtualCenter",
            apiVersion=api,
            instanceUuid=stable_uuid("vcenter", w.username, w.vcenter_build),
            licenseProductName="VMware VirtualCenter Server",
            licenseProductVersion=w.vcenter_version.split(".")[0] + ".0",
        )

    def service_content(self) -> Any:
        return vim.ServiceInstanceContent(
            rootFolder=mo("Folder", ROOT_FOLDER),
            propertyCollector=mo("PropertyCollector", "propertyCollector"),
            viewManager=mo("ViewManager", "ViewManager"),
            about=self.about(),
            sessionManager=mo("SessionManager", "SessionManager"),
            taskManager=mo("TaskManager", "TaskManager"),
            searchIndex=mo("SearchIndex", "SearchIndex"),
        )

    def _props_ServiceInstance(self, moid: str) -> dict[str, Callable[[], Any]]:
        return {
            "content": self.service_content,
            "capability": lambda: vim.Capability(provisioningSupported=True, multiHostSupported=True,
                                                 userShellAccessSupported=False),
            "serverClock": lambda: _dt.datetime.now(tz=_dt.UTC),
        }

    # Folders, datacenters --------------------------------------------------------------
    def _props_Folder(self, moid: str) -> dict[str, Callable[[], Any]]:
        kind, dc_id = self.folders()[moid]
        names = {"root": "Datacenters", "host": "host", "vm": "vm", "datastore": "datastore", "network": "network"}
        child_types = {
            "root": ["Folder", "Datacenter"],
            "host": ["Folder", "ComputeResource"],
            "vm": ["Folder", "VirtualMachine", "VirtualApp"],
            "datastore": ["Folder", "Datastore", "StoragePod"],
            "network": ["Folder", "Network", "DistributedVirtualSwitch"],
        }
        return {
            "name": lambda: names[kind],
            "parent": lambda: None if kind == "root" else mo("Datacenter", dc_id),
            "childEntity": lambda: vim.ManagedEntity.Array(self.folder_children(moid)),
            "childType": lambda: VmomiSupport.GetVmodlType("string[]")(child_types[kind]),
            "overallStatus": lambda: vim.ManagedEntity.Status.green,
        }

    def _props_Datacenter(self, moid: str) -> dict[str, Callable[[], Any]]:
        dc = self.world.datacenters[moid]
        n = id_number(moid)
        return {
            "name": lambda: dc.name,
            "parent": lambda: mo("Folder", ROOT_FOLDER),
            "hostFolder": lambda: mo("Folder", dc.host_folder),
            "vmFolder": lambda: mo("Folder", dc.vm_folder),
            "datastoreFolder": lambda: mo("Folder", f"group-s{n}"),
            "networkFolder": lambda: mo("Folder", f"group-n{n}"),
            "overallStatus": lambda: vim.ManagedEntity.Status.green,
        }

    # Compute resources ------------------------------------------------------------------
    def _compute_totals(self, hosts: list[Host]) -> dict[str, int]:
        up = [h for h in hosts if h.connection_state == "connected" and not h.in_maintenance]
        cores = sum(host_cores(h) for h in hosts)
        return {
            "totalCpu": sum(h.cpu_mhz for h in hosts),
            "totalMemory": sum(h.memory_mb for h in hosts) * 1024 * 1024,
            "numCpuCores": cores,
            "numCpuThreads": cores * 2,
            "effectiveCpu": sum(h.cpu_mhz for h in up),
            "effectiveMemory": sum(h.memory_mb for h in up),
            "numHosts": len(hosts),
            "numEffectiveHosts": len(up),
        }

    def _props_ClusterComputeResource(self, moid: str) -> dict[str, Callable[[], Any]]:
        cluster = self.world.clusters[moid]
        dc = self.world.datacenters.get(cluster.datacenter)

        def summary() -> Any:
            hosts = self.hosts_of_cluster(moid)
            return vim.ClusterComputeResource.Summary(
                currentFailoverLevel=1 if cluster.ha_enabled and len(hosts) > 1 else 0,
                numVmotions=0,
                overallStatus=vim.ManagedEntity.Status.green,
                **self._compute_totals(hosts),
            )

        return {
            "name": lambda: cluster.name,
            "parent": lambda: mo("Folder", dc.host_folder) if dc else None,
            "host": lambda: vim.HostSystem.Array([mo("HostSystem", h.id) for h in self.hosts_of_cluster(moid)]),
            "summary": summary,
            "configurationEx": lambda: cluster_config_ex(cluster),
            "resourcePool": lambda: mo("ResourcePool", resource_pool_id(moid)),
            "overallStatus": lambda: vim.ManagedEntity.Status.green,
            "datastore": lambda: vim.Datastore.Array(),
            "network": lambda: vim.Network.Array(),
        }

    def _props_ComputeResource(self, moid: str) -> dict[str, Callable[[], Any]]:
        host = self.world.hosts[f"host-{moid[len('domain-s'):]}"]
        dc = self.world.datacenters.get(host.datacenter)
        return {
            "name": lambda: host.name,
            "parent": lambda: mo("Folder", dc.host_folder) if dc else None,
            "host": lambda: vim.HostSystem.Array([mo("HostSystem", host.id)]),
            "summary": lambda: vim.ComputeResource.Summary(
                overallStatus=vim.ManagedEntity.Status.green, **self._compute_totals([host])),
            "configurationEx": lambda: vim.ComputeResource.ConfigInfo(vmSwapPlacement="vmDirectory"),
            "resourcePool": lambda: mo("ResourcePool", resource_pool_id(moid)),
            "overallStatus": lambda: vim.ManagedEntity.Status.green,
            "datastore": lambda: vim.Datastore.Array(),
            "network": lambda: vim.Network.Array(),
        }

    def _props_ResourcePool(self, moid: str) -> dict[str, Callable[[], Any]]:
        owner = self.pool_owner(moid)

        def vms() -> Any:
            hosts = self.get(owner, "host") or []
            return vim.VirtualMachine.Array([mo("VirtualMachine", v.id) for h in hosts
                                             for v in self.vms_of_host(h._moId)])

        return {
            "name": lambda: "Resources",
            "parent": lambda: owner,
            "owner": lambda: owner,
            "resourcePool": lambda: vim.ResourcePool.Array(),
            "vm": vms,
            "overallStatus": lambda: vim.ManagedEntity.Status.green,
        }

    # Hosts --------------------------------------------------------------------------------
    def _host_usage(self, host: Host) -> tuple[int, int]:
        on = [v for v in self.vms_of_host(host.id) if v.power_state == "poweredOn"]
        return sum(v.cpu_mhz for v in on), sum(v.memory_mb for v in on)

    def _props_HostSystem(self, moid: str) -> dict[str, Callable[[], Any]]:
        host = self.world.hosts[moid]
        return {
            "name": lambda: host.name,
            "parent": lambda: self.host_parent(host),
            "runtime": lambda: host_runtime(host),
            "summary": lambda: host_summary(host, *self._host_usage(host)),
            "config": lambda: host_config(host),
            "capability": lambda: host_capability(host),
            "hardware": lambda: host_hardware(host),
            "vm": lambda: vim.VirtualMachine.Array([mo("VirtualMachine", v.id) for v in self.vms_of_host(moid)]),
            "overallStatus": lambda: vim.ManagedEntity.Status.green,
            "datastore": lambda: vim.Datastore.Array(),
            "network": lambda: vim.Network.Array(),
        }

    # Virtual machines -------------------------------------------------------------------
    def _props_VirtualMachine(self, moid: str) -> dict[str, Callable[[], Any]]:
        vm = self.world.vms[moid]

        def parent() -> Any:
            dc = self.world.datacenters.get(self.vm_datacenter(vm) or "")
            return mo("Folder", dc.vm_folder) if dc else None

        return {
            "name": lambda: vm.name,
            "parent": parent,
            "runtime": lambda: vm_runtime(vm),
            "config": lambda: vm_config(vm),
            "summary": lambda: vm_summary(vm),
            "resourcePool": lambda: self.vm_pool(vm),
            "overallStatus": lambda: vim.ManagedEntity.Status.green,
            "datastore": lambda: vim.Datastore.Array(),
            "network": lambda: vim.Network.Array(),
        }

    # Tasks ---------------------------------------------------------------------------------
    def _props_TaskManager(self, moid: str) -> dict[str, Callable[[], Any]]:
        def recent() -> Any:
            # SOAP tasks of the last 10 minutes, and any still running, as vCenter lists them
            horizon = time.time() - 600
            ids = [t.id for t in self.world.tasks.values() if t.protocol == "soap"
                   and (t.finished is None or t.finished >= horizon)]
            return vim.Task.Array([mo("Task", i) for i in _sorted(ids)])

        return {"recentTask": recent, "maxCollector": lambda: 32}

    def _props_Task(self, moid: str) -> dict[str, Callable[[], Any]]:
        task = self.world.tasks[moid]
        return {"info": lambda: self.task_info(task)}

    def task_info(self, task: Task) -> Any:
        states = {"PENDING": "queued", "RUNNING": "running", "BLOCKED": "running",
                  "SUCCEEDED": "success", "FAILED": "error"}
        state = states.get(task.status, "queued")
        method = _TASK_METHODS.get(task.operation)
        entity = self.entity_ref(task.target)
        entity_name = None
        if entity is not None:
            entity_name = self.get(entity, "name")
        total = task.progress_total or 100
        info = vim.TaskInfo(
            key=task.id,
            task=mo("Task", task.id),
            name=method,
            descriptionId=_TASK_DESCRIPTIONS.get(task.operation, task.operation),
            entity=entity,
            entityName=entity_name,
            state=getattr(vim.TaskInfo.State, state),
            cancelled=False,
            cancelable=False,
            reason=vim.TaskReasonUser(userName=task.user or self.world.username),
            queueTime=_ts(task.created),
            startTime=_ts(task.started),
            completeTime=_ts(task.finished),
            eventChainId=id_number(task.id),
            activationId=None,
        )
        if state == "running":
            info.progress = int(100 * task.progress_completed / total)
        if state == "success" and task.result is not None and isinstance(
                task.result, VmomiSupport.DataObject | VmomiSupport.ManagedObject):
            info.result = task.result
        if state == "error":
            info.error = soap_faults.task_fault(task, self.world)
        return info


# Operation names of SOAP tasks (model Task.operation) -> vim method / descriptionId.
_TASK_METHOD_NAMES: dict[str, str] = {
    "HostSystem.enterMaintenanceMode": "EnterMaintenanceMode_Task",
    "HostSystem.exitMaintenanceMode": "ExitMaintenanceMode_Task",
    "ComputeResource.reconfigureEx": "ReconfigureComputeResource_Task",
    "VirtualMachine.powerOn": "PowerOnVM_Task",
    "VirtualMachine.powerOff": "PowerOffVM_Task",
    "VirtualMachine.relocate": "RelocateVM_Task",
    "VirtualMachine.migrate": "MigrateVM_Task",
}
_TASK_METHODS: dict[str, Any] = {
    op: VmomiSupport.GetWsdlMethod("urn:vim25", name) for op, name in _TASK_METHOD_NAMES.items()
}
_TASK_DESCRIPTIONS: dict[str, str] = {op: op for op in _TASK_METHOD_NAMES}


def task_operation(wsdl_method: str) -> str:
    """descriptionId / model Task.operation for a SOAP task method name."""
    for op, name in _TASK_METHOD_NAMES.items():
        if name == wsdl_method:
            return op
    raise KeyError(wsdl_method)


def all_paths(ref: Any, inv: Inventory) -> list[str]:
    """Property names reported for PropertySpec.all: every property we model for the type."""
    return list(inv.builders(ref))


def fault_not_found(ref: Any) -> Any:
    return vmodl.fault.ManagedObjectNotFound(obj=ref, msg=f"The object '{wsdl_name(ref)}:{ref._moId}' has already been deleted or has not been completely created")
