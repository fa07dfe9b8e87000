"""pyVmomi data objects for the SOAP inventory's hosts, VMs and clusters, built from the model.

Pure functions of model objects (`model.Host`, `model.VM`, `model.Cluster`): what
`soap_inventory.Inventory` serves as HostSystem `runtime` / `hardware` / `capability` /
`summary` / `config.product`, VirtualMachine `runtime` / `config` / `summary` and a cluster's
`configurationEx`.  Parts that depend only on their arguments are built once (lru_cache):
callers never modify them.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import re
import uuid
from typing import Any

from pyVmomi import VmomiSupport, vim

from ..model import VM, Cluster, Host

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


def id_number(ident: str) -> int:
    m = re.search(r"(\d+)$", ident)
    return int(m.group(1)) if m else 0


def stable_uuid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.md5("/".join(parts).encode()).hexdigest()))


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


def host_product(host: Host) -> Any:
    return _esxi_about(*host_version(host))


def host_runtime(host: Host) -> Any:
    rt = vim.host.RuntimeInfo(
        connectionState=getattr(vim.HostSystem.ConnectionState, host.connection_state),
        powerState=getattr(vim.HostSystem.PowerState, host.power_state),
        inMaintenanceMode=host.in_maintenance,
        inQuarantineMode=False,
        standbyMode="none",
    )
    if _has_prop(vim.host.RuntimeInfo, "partialMaintenanceMode"):
        # vSphere 8.0 U3 reports live patch (quick patch) partial maintenance here: key a
        # vim.host.PartialMaintenanceModeId, hostStatus a vim.host.PartialMaintenanceModeStatus
        # (notInPartialMM / enteringPartialMM / inPartialMM / exitingPartialMM); inMaintenanceMode stays false.
        rt.partialMaintenanceMode = [vim.host.PartialMaintenanceModeRuntimeInfo(
            key=vim.host.PartialMaintenanceModeId.quickPatchPartialMM,
            hostStatus=getattr(vim.host.PartialMaintenanceModeStatus, host.partial_maintenance_status),
        )]
    if host.dpu:
        rt.healthSystemRuntime = _dpu_health(host.id)
    return rt


def host_config(host: Host) -> Any:
    """HostConfigInfo: product, and the physical NICs (`network.pnic`); a DPU's NICs carry its `dpuId`
    (vSphere API 8.0.0.1: "The identifier of the DPU by which the physical NIC is backed. When physical NIC
    is not backed by DPU, dpuId will be unset")."""
    return vim.host.ConfigInfo(host=mo("HostSystem", host.id), product=host_product(host),
                               network=vim.host.NetworkInfo(pnic=_pnics(host.id, host.dpu)))


def host_hardware(host: Host) -> Any:
    return _host_hardware(host.id, host_cores(host), host.memory_mb)


def host_capability(host: Host) -> Any:
    return _host_capability(host.tpm)


def tpm_attestation(host: Host) -> Any:
    """summary.tpmAttestation of a host with a TPM (vCenter attests TPM 2.0 hosts), None without one."""
    if not host.tpm:
        return None
    return vim.host.TpmAttestationInfo(time=_dt.datetime(2026, 1, 1, tzinfo=_dt.UTC),
                                       status=vim.host.TpmAttestationInfo.AcceptanceStatus.accepted)


def host_summary(host: Host, cpu: int, mem: int) -> Any:
    """HostListSummary; cpu (MHz) and mem (MB) are the powered-on VMs' use, for quickStats."""
    cores = host_cores(host)
    summary = vim.host.Summary(
        host=mo("HostSystem", host.id),
        hardware=_hardware_summary(host.id, cores, host.memory_mb),
        runtime=host_runtime(host),
        config=vim.host.Summary.ConfigSummary(
            name=host.name, port=443, product=host_product(host),
            vmotionEnabled=True, faultToleranceEnabled=True),
        quickStats=vim.host.Summary.QuickStats(overallCpuUsage=cpu, overallMemoryUsage=mem, uptime=86400),
        overallStatus=vim.ManagedEntity.Status.green if host.connection_state == "connected"
        else vim.ManagedEntity.Status.gray,
        rebootRequired=False,
        managementServerIp="127.0.0.1",
    )
    if host.tpm:
        summary.tpmAttestation = tpm_attestation(host)
    return summary


def vm_runtime(vm: VM) -> Any:
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


def vm_devices(vm: VM) -> list[Any]:
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
                id="0000:3b:00.0", deviceId="20b0", systemId=stable_uuid("host", vm.host)[:23],
                vendorId=0x10DE, deviceName="NVIDIA A100 PCIe 40GB"),
        ))
    return devices


def vm_config(vm: VM) -> Any:
    num_cpu = max(1, vm.cpu_mhz // 2000)
    cfg = vim.vm.ConfigInfo(
        changeVersion="2026-01-01T00:00:00.000000Z",
        modified=_dt.datetime(1970, 1, 1, tzinfo=_dt.UTC),
        name=vm.name,
        guestFullName=_guest(vm)[1],
        version="vmx-21",
        uuid=stable_uuid("vm", vm.id),
        instanceUuid=stable_uuid("vm-instance", vm.id),
        template=False,
        guestId=_guest(vm)[0],
        alternateGuestName="",
        files=vim.vm.FileInfo(vmPathName=f"[datastore1] {vm.name}/{vm.name}.vmx"),
        flags=vim.vm.FlagInfo(),
        defaultPowerOps=vim.vm.DefaultPowerOpInfo(),
        hardware=vim.vm.VirtualHardware(numCPU=num_cpu, memoryMB=vm.memory_mb, device=vm_devices(vm)),
    )
    if vm.fault_tolerance:
        cfg.ftInfo = vim.vm.FaultTolerancePrimaryConfigInfo(
            role=1, instanceUuids=[stable_uuid("vm-instance", vm.id), stable_uuid("vm-secondary", vm.id)],
            configPaths=[f"[datastore1] {vm.name}/{vm.name}.vmx"],
            # the model has no secondary VM object: this reference does not resolve
            secondaries=[mo("VirtualMachine", f"{vm.id}-ft2")])
    return cfg


def vm_summary(vm: VM) -> Any:
    on = vm.power_state == "poweredOn"
    return vim.vm.Summary(
        vm=mo("VirtualMachine", vm.id),
        runtime=vm_runtime(vm),
        config=vim.vm.Summary.ConfigSummary(
            name=vm.name, template=False, vmPathName=f"[datastore1] {vm.name}/{vm.name}.vmx",
            memorySizeMB=vm.memory_mb, numCpu=max(1, vm.cpu_mhz // 2000), uuid=stable_uuid("vm", vm.id),
            instanceUuid=stable_uuid("vm-instance", vm.id), guestId=_guest(vm)[0],
            guestFullName=_guest(vm)[1], numVirtualDisks=2 if vm.shared_disk else 1),
        quickStats=vim.vm.Summary.QuickStats(
            overallCpuUsage=vm.cpu_mhz if on else 0, overallCpuDemand=vm.cpu_mhz if on else 0,
            guestMemoryUsage=vm.memory_mb // 4 if on else 0, hostMemoryUsage=vm.memory_mb if on else 0,
            guestHeartbeatStatus=vim.ManagedEntity.Status.green if on else vim.ManagedEntity.Status.gray,
            uptimeSeconds=3600 if on else 0),
        overallStatus=vim.ManagedEntity.Status.green,
    )


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
        vsanConfigInfo=vim.vsan.cluster.ConfigInfo(enabled=cluster.vsan),
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
        systemInfo=vim.host.SystemInfo(vendor="Dell Inc.", model="PowerEdge R650", uuid=stable_uuid("host", host_id)),
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
        vendor="Dell Inc.", model="PowerEdge R650", uuid=stable_uuid("host", host_id),
        memorySize=memory_mb * 1024 * 1024, cpuModel="Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
        cpuMhz=2000, numCpuPkgs=2, numCpuCores=cores, numCpuThreads=cores * 2, numNics=4, numHBAs=2)


@functools.lru_cache(maxsize=8192)
def _pnics(host_id: str, dpu: bool) -> Any:
    """Two Broadcom 57414 uplinks; a DPU host (vSphere Distributed Services Engine) has two more, on its DPU."""
    host_mac = hashlib.md5(host_id.encode()).hexdigest()
    nics = [vim.host.PhysicalNic(device=f"vmnic{i}", key=f"key-vim.host.PhysicalNic-vmnic{i}", pci=f"0000:18:00.{i}",
                                 driver="bnxtnet", mac=f"00:50:56:{host_mac[0:2]}:{host_mac[2:4]}:{i:02x}",
                                 wakeOnLanSupported=False, spec=vim.host.PhysicalNic.Specification())
            for i in range(2)]
    if dpu:
        nics += [vim.host.PhysicalNic(device=f"vmnic{i}", key=f"key-vim.host.PhysicalNic-vmnic{i}",
                                      pci=f"0000:3b:00.{i - 2}", driver="mlx5_core",
                                      mac=f"b8:ce:f6:{host_mac[4:6]}:{host_mac[6:8]}:{i:02x}",
                                      wakeOnLanSupported=False, spec=vim.host.PhysicalNic.Specification(),
                                      dpuId="dpu0")
                 for i in (2, 3)]
    return nics


@functools.lru_cache(maxsize=8192)
def _dpu_health(host_id: str) -> Any:
    """runtime.healthSystemRuntime.hardwareStatusInfo.dpuStatusInfo of a DPU host (vSphere API 8.0.0.1)."""
    green = vim.ElementDescription(key="green", label="Green", summary="Physical element is functioning as expected")
    dpu = vim.host.HardwareStatusInfo.DpuStatusInfo(
        name="NVIDIA BlueField-2 DPU", status=green, dpuId="dpu0",
        fru=vim.host.Fru(type="DPU", partName="BlueField-2 E-Series DPU", partNumber="MBF2H516A-CENOT",
                         manufacturer="NVIDIA", serialNumber=stable_uuid("dpu", host_id).replace("-", "")[:12].upper()),
        sensors=[vim.host.HardwareStatusInfo.DpuStatusInfo.OperationalInfo(
            sensorId="dpu0-temp", healthState=green, reading="52", units="degrees C",
            timeStamp=_dt.datetime(2026, 1, 1, tzinfo=_dt.UTC))])
    return vim.host.HealthStatusSystem.Runtime(hardwareStatusInfo=vim.host.HardwareStatusInfo(dpuStatusInfo=[dpu]))


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


def host_cores(host: Host) -> int:
    return max(2, host.cpu_mhz // 2000)


def _has_prop(data_type: Any, name: str) -> bool:
    return any(p.name == name for p in data_type._GetPropertyList())
