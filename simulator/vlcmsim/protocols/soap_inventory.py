"""The vSphere inventory seen through SOAP: managed object references and typed properties.

Every value built here is a pyVmomi object (vim/vmodl data objects, enums, typed arrays),
made from the one state model in `model.py`; nothing here changes the model.  Moids are the
model ids (`datacenter-N`, `domain-cN`, `host-N`, `vm-N`, `task-N`); objects the model has
no id for get stable derived ids: the root folder `group-d1`, a datacenter's folders from
the model (`group-hN`, `group-vN`) plus `group-sN` / `group-nN` for its datastore and
network folders, and a standalone host `host-N` lives in the ComputeResource `domain-sN`.

Callers hold `world.lock` while they read properties.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from pyVmomi import VmomiSupport, vim, vmodl

from ..model import VM, Cluster, Host, Task, World
from . import soap_faults

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

_API_VERSIONS = {"8.0.3": "8.0.3.0", "9.1.0": "9.1.0.0"}


def api_version(version: str) -> str:
    """vSphere API version ('8.0.3.0') for a product version ('8.0.3')."""
    if version in _API_VERSIONS:
        return _API_VERSIONS[version]
    parts = (version.split(".") + ["0", "0", "0"])[:3]
    return ".".join(parts) + ".0"


def mo(type_name: str, moid: str) -> Any:
    """A managed object reference of a wsdl type, e.g. mo('HostSystem', 'host-12')."""
    return VmomiSupport.GetWsdlType("urn:vim25", type_name)(moid)


def wsdl_name(ref: Any) -> str:
    return VmomiSupport.GetWsdlName(type(ref))


def _num(ident: str) -> int:
    m = re.search(r"(\d+)$", ident)
    return int(m.group(1)) if m else 0


def _sorted(ids: Any) -> list[str]:
    return sorted(ids, key=lambda i: (_num(i), i))


def _uuid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.md5("/".join(parts).encode()).hexdigest()))


def _ts(seconds: float | None) -> _dt.datetime | None:
    if seconds is None:
        return None
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.UTC)


def standalone_cr_id(host_id: str) -> str:
    return f"domain-s{_num(host_id)}"


def resource_pool_id(compute_resource_id: str) -> str:
    """The root resource pool ("Resources") of a cluster or standalone host's ComputeResource."""
    return f"resgroup-{_num(compute_resource_id)}"


def _parse_base_image(base_image: str) -> tuple[str, str] | None:
    """'8.0.3-0.35.24280767' -> ('8.0.3', '24280767')."""
    m = re.match(r"^(\d+\.\d+\.\d+)-[\d.]*?(\d{5,})$", base_image)
    return (m.group(1), m.group(2)) if m else None


def host_version(host: Host) -> tuple[str, str]:
    """(version, build) that the host reports: its installed base image when known."""
    if host.installed is not None:
        parsed = _parse_base_image(host.installed.base_image)
        if parsed:
            return parsed
    return host.version, host.build


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
            n = _num(dc.id)
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
        root, _, rest = path.partition(".")
        builder = self.builders(ref).get(root)
        if builder is None:
            return None
        val = builder()
        for part in rest.split(".") if rest else []:
            if val is None:
                return None
            val = getattr(val, part, None)
        return val

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
            instanceUuid=_uuid("vcenter", w.username, w.vcenter_build),
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
        n = _num(moid)
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
        cores = sum(_cores(h) for h in hosts)
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
    def host_product(self, host: Host) -> Any:
        return _esxi_about(*host_version(host))

    def host_runtime(self, host: Host) -> Any:
        rt = vim.host.RuntimeInfo(
            connectionState=getattr(vim.HostSystem.ConnectionState, host.connection_state),
            powerState=getattr(vim.HostSystem.PowerState, host.power_state),
            inMaintenanceMode=host.in_maintenance,
            inQuarantineMode=False,
            standbyMode="none",
        )
        if _has_prop(vim.host.RuntimeInfo, "partialMaintenanceMode"):
            # vSphere 8.0 U3 reports live patch (quick patch) partial maintenance here.
            rt.partialMaintenanceMode = [vim.host.PartialMaintenanceModeRuntimeInfo(
                key="quickPatchPartialMM",
                hostStatus="inPartialMM" if host.in_partial_maintenance else "notInPartialMM",
            )]
        return rt

    def host_hardware(self, host: Host) -> Any:
        return _host_hardware(host.id, _cores(host), host.memory_mb)

    def host_capability(self, host: Host) -> Any:
        return _host_capability(host.tpm)

    def _host_usage(self, host: Host) -> tuple[int, int]:
        on = [v for v in self.vms_of_host(host.id) if v.power_state == "poweredOn"]
        return sum(v.cpu_mhz for v in on), sum(v.memory_mb for v in on)

    def host_summary(self, host: Host) -> Any:
        cores = _cores(host)
        cpu, mem = self._host_usage(host)
        return vim.host.Summary(
            host=mo("HostSystem", host.id),
            hardware=_hardware_summary(host.id, cores, host.memory_mb),
            runtime=self.host_runtime(host),
            config=vim.host.Summary.ConfigSummary(
                name=host.name, port=443, product=self.host_product(host),
                vmotionEnabled=True, faultToleranceEnabled=True),
            quickStats=vim.host.Summary.QuickStats(overallCpuUsage=cpu, overallMemoryUsage=mem, uptime=86400),
            overallStatus=vim.ManagedEntity.Status.green if host.connection_state == "connected"
            else vim.ManagedEntity.Status.gray,
            rebootRequired=False,
            managementServerIp="127.0.0.1",
        )

    def _props_HostSystem(self, moid: str) -> dict[str, Callable[[], Any]]:
        host = self.world.hosts[moid]
        return {
            "name": lambda: host.name,
            "parent": lambda: self.host_parent(host),
            "runtime": lambda: self.host_runtime(host),
            "summary": lambda: self.host_summary(host),
            "config": lambda: vim.host.ConfigInfo(host=mo("HostSystem", host.id), product=self.host_product(host)),
            "capability": lambda: self.host_capability(host),
            "hardware": lambda: self.host_hardware(host),
            "vm": lambda: vim.VirtualMachine.Array([mo("VirtualMachine", v.id) for v in self.vms_of_host(moid)]),
            "overallStatus": lambda: vim.ManagedEntity.Status.green,
            "datastore": lambda: vim.Datastore.Array(),
            "network": lambda: vim.Network.Array(),
        }

    # Virtual machines -------------------------------------------------------------------
    def vm_runtime(self, vm: VM) -> Any:
        ft = vim.VirtualMachine.FaultToleranceState
        if not vm.fault_tolerance:
            ft_state = ft.notConfigured
        else:
            # configured: running while the primary runs, 'enabled' when powered off
            ft_state = ft.running if vm.power_state == "poweredOn" else ft.enabled
        return vim.vm.RuntimeInfo(
            host=mo("HostSystem", vm.host),
            connectionState=vim.VirtualMachine.ConnectionState.connected,
            powerState=getattr(vim.VirtualMachine.PowerState, vm.power_state),
            faultToleranceState=ft_state,
            toolsInstallerMounted=False,
            numMksConnections=0,
            recordReplayState=vim.VirtualMachine.RecordReplayState.inactive,
            onlineStandby=False,
            consolidationNeeded=False,
            maxCpuUsage=vm.cpu_mhz,
            maxMemoryUsage=vm.memory_mb,
        )

    def vm_devices(self, vm: VM) -> list[Any]:
        dev = vim.vm.device
        scsi = dev.VirtualLsiLogicController(
            key=1000, busNumber=0, controllerKey=100, unitNumber=3,
            sharedBus=dev.VirtualSCSIController.Sharing.physicalSharing if vm.shared_disk
            else dev.VirtualSCSIController.Sharing.noSharing,
            deviceInfo=vim.Description(label="SCSI controller 0", summary="LSI Logic"),
            device=[2000] + ([2001] if vm.shared_disk else []),
        )
        devices: list[Any] = [scsi, dev.VirtualDisk(
            key=2000, controllerKey=1000, unitNumber=0, capacityInKB=41943040,
            deviceInfo=vim.Description(label="Hard disk 1", summary="41,943,040 KB"),
            backing=dev.VirtualDisk.FlatVer2BackingInfo(
                fileName=f"[datastore1] {vm.name}/{vm.name}.vmdk", diskMode="persistent",
                thinProvisioned=True, sharing="sharingNone"),
        )]
        if vm.shared_disk:
            devices.append(dev.VirtualDisk(
                key=2001, controllerKey=1000, unitNumber=1, capacityInKB=10485760,
                deviceInfo=vim.Description(label="Hard disk 2", summary="10,485,760 KB"),
                backing=dev.VirtualDisk.FlatVer2BackingInfo(
                    fileName="[shared-ds] shared/quorum.vmdk", diskMode="independent_persistent",
                    eagerlyScrub=True, thinProvisioned=False, sharing="sharingMultiWriter"),
            ))
        if vm.directpath:
            devices.append(dev.VirtualPCIPassthrough(
                key=13000, controllerKey=100, unitNumber=18,
                deviceInfo=vim.Description(label="PCI device 0", summary="NVIDIA A100"),
                backing=dev.VirtualPCIPassthrough.DeviceBackingInfo(
                    id="0000:3b:00.0", deviceId="20b0", systemId=_uuid("host", vm.host)[:23],
                    vendorId=0x10DE, deviceName="NVIDIA A100 PCIe 40GB"),
            ))
        return devices

    def vm_config(self, vm: VM) -> Any:
        num_cpu = max(1, vm.cpu_mhz // 2000)
        cfg = vim.vm.ConfigInfo(
            changeVersion="2026-01-01T00:00:00.000000Z",
            modified=_dt.datetime(1970, 1, 1, tzinfo=_dt.UTC),
            name=vm.name,
            guestFullName=_guest(vm)[1],
            version="vmx-21",
            uuid=_uuid("vm", vm.id),
            instanceUuid=_uuid("vm-instance", vm.id),
            template=False,
            guestId=_guest(vm)[0],
            alternateGuestName="",
            files=vim.vm.FileInfo(vmPathName=f"[datastore1] {vm.name}/{vm.name}.vmx"),
            flags=vim.vm.FlagInfo(),
            defaultPowerOps=vim.vm.DefaultPowerOpInfo(),
            hardware=vim.vm.VirtualHardware(numCPU=num_cpu, memoryMB=vm.memory_mb, device=self.vm_devices(vm)),
        )
        if vm.fault_tolerance:
            cfg.ftInfo = vim.vm.FaultTolerancePrimaryConfigInfo(
                role=1, instanceUuids=[_uuid("vm-instance", vm.id), _uuid("vm-secondary", vm.id)],
                configPaths=[f"[datastore1] {vm.name}/{vm.name}.vmx"],
                # the model has no secondary VM object: this reference does not resolve
                secondaries=[mo("VirtualMachine", f"{vm.id}-ft2")])
        return cfg

    def vm_summary(self, vm: VM) -> Any:
        on = vm.power_state == "poweredOn"
        return vim.vm.Summary(
            vm=mo("VirtualMachine", vm.id),
            runtime=self.vm_runtime(vm),
            config=vim.vm.Summary.ConfigSummary(
                name=vm.name, template=False, vmPathName=f"[datastore1] {vm.name}/{vm.name}.vmx",
                memorySizeMB=vm.memory_mb, numCpu=max(1, vm.cpu_mhz // 2000), uuid=_uuid("vm", vm.id),
                instanceUuid=_uuid("vm-instance", vm.id), guestId=_guest(vm)[0],
                guestFullName=_guest(vm)[1], numVirtualDisks=2 if vm.shared_disk else 1),
            quickStats=vim.vm.Summary.QuickStats(
                overallCpuUsage=vm.cpu_mhz if on else 0, overallCpuDemand=vm.cpu_mhz if on else 0,
                guestMemoryUsage=vm.memory_mb // 4 if on else 0, hostMemoryUsage=vm.memory_mb if on else 0,
                guestHeartbeatStatus=vim.ManagedEntity.Status.green if on else vim.ManagedEntity.Status.gray,
                uptimeSeconds=3600 if on else 0),
            overallStatus=vim.ManagedEntity.Status.green,
        )

    def _props_VirtualMachine(self, moid: str) -> dict[str, Callable[[], Any]]:
        vm = self.world.vms[moid]

        def parent() -> Any:
            dc = self.world.datacenters.get(self.vm_datacenter(vm) or "")
            return mo("Folder", dc.vm_folder) if dc else None

        return {
            "name": lambda: vm.name,
            "parent": parent,
            "runtime": lambda: self.vm_runtime(vm),
            "config": lambda: self.vm_config(vm),
            "summary": lambda: self.vm_summary(vm),
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
            eventChainId=_num(task.id),
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


def cluster_config_ex(cluster: Cluster) -> Any:
    return vim.cluster.ConfigInfoEx(
        drsConfig=vim.cluster.DrsConfigInfo(
            enabled=cluster.drs_enabled,
            enableVmBehaviorOverrides=True,
            defaultVmBehavior=getattr(vim.cluster.DrsConfigInfo.DrsBehavior, cluster.drs_behavior),
            vmotionRate=3,
        ),
        dasConfig=vim.cluster.DasConfigInfo(
            enabled=cluster.ha_enabled,
            vmMonitoring="vmMonitoringDisabled",
            hostMonitoring="enabled",
            vmComponentProtecting="disabled",
            failoverLevel=1,
            admissionControlEnabled=cluster.admission_control,
        ),
        vmSwapPlacement="vmDirectory",
    )



# ---- immutable per-value parts, built once (pyVmomi data objects are costly to build and
# these depend only on their arguments; callers never modify them) --------------------------
@functools.lru_cache(maxsize=256)
def _esxi_about(version: str, build: str) -> Any:
    return vim.AboutInfo(
        name="VMware ESXi",
        fullName=f"VMware ESXi {version} build-{build}",
        vendor="VMware, Inc.",
        version=version,
        build=build,
        localeVersion="INTL",
        localeBuild="000",
        osType="vmnix-x86",
        productLineId="embeddedEsx",
        apiType="HostAgent",
        apiVersion=api_version(version),
        licenseProductName="VMware ESX Server",
        licenseProductVersion=version.split(".")[0] + ".0",
    )


@functools.lru_cache(maxsize=8192)
def _host_hardware(host_id: str, cores: int, memory_mb: int) -> Any:
    pkgs = 2
    hz = 2_000_000_000
    return vim.host.HardwareInfo(
        systemInfo=vim.host.SystemInfo(vendor="Dell Inc.", model="PowerEdge R650", uuid=_uuid("host", host_id)),
        cpuInfo=vim.host.CpuInfo(numCpuPackages=pkgs, numCpuCores=cores, numCpuThreads=cores * 2, hz=hz),
        cpuPkg=[vim.host.CpuPackage(index=i, vendor="intel", hz=hz, busHz=100_000_000,
                                    description="Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
                                    threadId=list(range(i * cores, (i + 1) * cores)))
                for i in range(pkgs)],
        memorySize=memory_mb * 1024 * 1024,
        smcPresent=False,
    )


@functools.lru_cache(maxsize=8192)
def _hardware_summary(host_id: str, cores: int, memory_mb: int) -> Any:
    return vim.host.Summary.HardwareSummary(
        vendor="Dell Inc.", model="PowerEdge R650", uuid=_uuid("host", host_id),
        memorySize=memory_mb * 1024 * 1024, cpuModel="Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
        cpuMhz=2000, numCpuPkgs=2, numCpuCores=cores, numCpuThreads=cores * 2, numNics=4, numHBAs=2)


@functools.lru_cache(maxsize=4)
def _host_capability(tpm: bool) -> Any:
    cap = vim.host.Capability()
    supported = {
        "rebootSupported", "shutdownSupported", "vmotionSupported", "maintenanceModeSupported",
        "storageVMotionSupported", "vmotionWithStorageVMotionSupported", "ftSupported",
        "smpFtSupported", "cpuMemoryResourceConfigurationSupported", "recursiveResourcePoolsSupported",
        "sanSupported", "nfsSupported", "iscsiSupported", "vlanTaggingSupported", "nicTeamingSupported",
        "highGuestMemSupported", "perVmSwapFiles", "localSwapDatastoreSupported",
        "deltaDiskBackingsSupported", "vStorageCapable", "nestedHVSupported", "vPMCSupported",
    }
    for prop in vim.host.Capability._GetPropertyList():
        if prop.type is bool and not prop.flags & VmomiSupport.F_OPTIONAL:
            setattr(cap, prop.name, prop.name in supported)
    cap.tpmSupported = tpm
    if tpm and _has_prop(vim.host.Capability, "tpmVersion"):
        cap.tpmVersion = "2.0"
    return cap


def _guest(vm: VM) -> tuple[str, str]:
    """(guestId, guestFullName): vSphere Pods run the CRX pod guest."""
    if vm.vsphere_pod:
        return "crxPod1Guest", "CRX Pod 1"
    return "otherLinux64Guest", "Other Linux (64-bit)"


def _cores(host: Host) -> int:
    return max(2, host.cpu_mhz // 2000)


def _has_prop(data_type: Any, name: str) -> bool:
    return any(p.name == name for p in data_type._GetPropertyList())


def all_paths(ref: Any, inv: Inventory) -> list[str]:
    """Property names reported for PropertySpec.all: every property we model for the type."""
    return list(inv.builders(ref))


def fault_not_found(ref: Any) -> Any:
    return vmodl.fault.ManagedObjectNotFound(obj=ref, msg=f"The object '{wsdl_name(ref)}:{ref._moId}' has already been deleted or has not been completely created")
