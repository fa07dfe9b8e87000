"""Hosts, VMs and clusters: VM placement, maintenance mode (with DRS evacuation), migration, power,
cluster reconfiguration. Every state change happens under `world.lock`; phases sleep outside it."""

from __future__ import annotations

import time

from ..model import VM, Host, Task, World
from . import faults
from .clock import scaled, sleep_phase
from .errors import OpError
from .tasks import set_progress


def host_load(world: World, host_id: str) -> tuple[int, int]:
    """(cpu_mhz, memory_mb) demanded by the powered-on VMs on a host."""
    cpu = mem = 0
    for vm in world.vms.values():
        if vm.host == host_id and vm.power_state == "poweredOn":
            cpu += vm.cpu_mhz
            mem += vm.memory_mb
    return cpu, mem


def vmotion_blocker(vm: VM) -> str | None:
    """Why this VM cannot be live-migrated, or None.

    DirectPath I/O (VirtualPCIPassthrough) and physical-bus-sharing / multi-writer disks
    block vMotion; vSphere Pods are managed by the Supervisor and are not vMotioned.
    Fault Tolerance primaries and secondaries can be vMotioned (vSphere 6.5+), so FT VMs
    are evacuated like any other VM.
    """
    if vm.directpath:
        return "has a DirectPath I/O (PCI passthrough) device"
    if vm.shared_disk:
        return "has a disk on a shared SCSI bus (multi-writer)"
    if vm.vsphere_pod:
        return "is a vSphere Pod"
    return None


def drs_automates(world: World, host: Host) -> bool:
    if host.cluster is None:
        return False
    cl = world.clusters[host.cluster]
    return cl.drs_enabled and cl.drs_behavior == "fullyAutomated"


def plan_evacuation(world: World, host_id: str, include_powered_off: bool = False,
                    exclude_hosts: set[str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Greedy placement of a host's VMs on the other hosts of its cluster.

    Returns (vm id -> target host id, [problems naming VMs]). Caller holds the lock.
    """
    host = world.hosts[host_id]
    exclude = set(exclude_hosts or ()) | {host_id}
    candidates = [h for h in world.hosts.values()
                  if host.cluster is not None and h.cluster == host.cluster and h.id not in exclude
                  and h.connection_state == "connected" and not h.in_maintenance
                  and not h.entering_maintenance]
    loads = {h.id: list(host_load(world, h.id)) for h in candidates}
    vms = [v for v in world.vms.values() if v.host == host_id
           and (v.power_state == "poweredOn" or (include_powered_off and v.power_state != "poweredOn"))]
    vms.sort(key=lambda v: (-v.memory_mb, v.name))
    plan: dict[str, str] = {}
    problems: list[str] = []
    stuck: list[str] = []
    for vm in vms:
        if vm.power_state == "poweredOn":
            why = vmotion_blocker(vm)
            if why:
                problems.append(f"VM '{vm.name}' ({vm.id}) {why} and cannot be migrated")
                continue
        target = None
        for cand in sorted(candidates, key=lambda h: (loads[h.id][1], h.name)):
            cpu, mem = loads[cand.id]
            if vm.power_state != "poweredOn" or (cpu + vm.cpu_mhz <= cand.cpu_mhz
                                                 and mem + vm.memory_mb <= cand.memory_mb):
                target = cand
                break
        if target is None:
            stuck.append(vm.name)
            continue
        plan[vm.id] = target.id
        if vm.power_state == "poweredOn":
            loads[target.id][0] += vm.cpu_mhz
            loads[target.id][1] += vm.memory_mb
    if stuck:
        problems.append("no other host in the cluster has CPU/memory room for VM(s) "
                        + ", ".join(f"'{n}'" for n in stuck))
    return plan, problems


# --------------------------------------------------------------------------- maintenance mode


def enter_maintenance(world: World, host_id: str, evacuate_powered_off: bool = False,
                      task: Task | None = None) -> None:
    """Blocking: evacuate powered-on VMs (DRS fully automated only) and enter maintenance mode.

    Raises OpError("InvalidState", ...) when powered-on VMs remain and cannot be moved
    (no DRS automation, no room, or VMs that cannot vMotion), naming the VMs.
    """
    with world.lock:
        host = _host(world, host_id)
        if host.connection_state != "connected":
            raise OpError("InvalidState", f"host '{host.name}' ({host.id}) is not connected")
        if host.in_maintenance:
            return
        running = [v for v in world.vms.values() if v.host == host_id and v.power_state == "poweredOn"]
        if running and not drs_automates(world, host):
            names = ", ".join(f"'{v.name}'" for v in running)
            why = ("it is a standalone host" if host.cluster is None else
                   "DRS is not enabled in fully automated mode on cluster "
                   f"'{world.clusters[host.cluster].name}'")
            raise OpError("InvalidState", f"host '{host.name}' cannot enter maintenance mode: powered-on "
                                          f"VM(s) {names} must be migrated or powered off ({why})")
        plan, problems = plan_evacuation(world, host_id, include_powered_off=evacuate_powered_off)
        if problems:
            raise OpError("InvalidState", f"host '{host.name}' cannot enter maintenance mode: "
                                          + "; ".join(problems))
        host.entering_maintenance = True
    try:
        if faults.take_host_fail(world, host_id, "enter_maintenance"):
            raise OpError("InvalidState", f"host '{host.name}' failed to enter maintenance mode (injected fault)")
        moved = 0
        total = max(1, len(plan))
        evacuation_start = time.time()
        for vm_id, target in plan.items():
            with world.lock:
                vm = world.vms[vm_id]
                hot = vm.power_state == "poweredOn"
            if hot:
                sleep_phase(world, scaled(world, "evacuate_per_vm"))
            with world.lock:
                vm.host = target
                if hot:
                    world.counters.evacuations += 1
            moved += 1
            set_progress(world, task, int(90 * moved / total), f"Evacuating VMs from {host.name}")
        if plan:
            world.record_phase(host, "evacuate", evacuation_start, time.time())
        sleep_phase(world, scaled(world, "enter_maintenance"))
        with world.lock:
            host.in_maintenance = True
            host.maintenance_since = time.monotonic()
    finally:
        with world.lock:
            host.entering_maintenance = False


def exit_maintenance(world: World, host_id: str) -> None:
    with world.lock:
        host = _host(world, host_id)
        if not host.in_maintenance:
            return
        if host.connection_state != "connected":
            raise OpError("InvalidState", f"host '{host.name}' ({host.id}) is not connected")
    if faults.take_host_fail(world, host_id, "exit_maintenance"):
        raise OpError("InvalidState", f"host '{host.name}' failed to exit maintenance mode (injected fault)")
    sleep_phase(world, scaled(world, "exit_maintenance"))
    with world.lock:
        _leave_maintenance(world, host)


def _leave_maintenance(world: World, host: Host) -> None:
    """Caller holds the lock."""
    if host.maintenance_since is not None:
        seconds = time.monotonic() - host.maintenance_since
        if world.time_scale > 0:
            world.counters.maintenance_host_seconds += seconds / world.time_scale
        now = time.time()
        world.record_phase(host, "maintenance", now - seconds, now)
    host.maintenance_since = None
    host.in_maintenance = False
    host.in_partial_maintenance = False


def maintenance_host_seconds(world: World) -> float:
    """Accumulated plus ongoing maintenance-mode host-seconds (scenario seconds)."""
    with world.lock:
        total = world.counters.maintenance_host_seconds
        if world.time_scale > 0:
            now = time.monotonic()
            for h in world.hosts.values():
                if h.maintenance_since is not None:
                    total += (now - h.maintenance_since) / world.time_scale
        return total


# --------------------------------------------------------------------------- VMs and clusters


def migrate_vm(world: World, vm_id: str, host_id: str) -> None:
    with world.lock:
        vm = _vm(world, vm_id)
        target = _host(world, host_id)
        if target.connection_state != "connected":
            raise OpError("InvalidState", f"host '{target.name}' is not connected")
        if target.in_maintenance:
            raise OpError("InvalidState", f"host '{target.name}' is in maintenance mode")
        if vm.host == host_id:
            return
        hot = vm.power_state == "poweredOn"
        if hot:
            why = vmotion_blocker(vm)
            if why:
                raise OpError("InvalidState", f"VM '{vm.name}' {why} and cannot be migrated while powered on")
            cpu, mem = host_load(world, host_id)
            if cpu + vm.cpu_mhz > target.cpu_mhz or mem + vm.memory_mb > target.memory_mb:
                raise OpError("InsufficientResourcesFault",
                              f"host '{target.name}' has no CPU/memory room for VM '{vm.name}'")
    if hot:
        sleep_phase(world, scaled(world, "evacuate_per_vm"))
    with world.lock:
        vm.host = host_id


def power_on_vm(world: World, vm_id: str) -> None:
    with world.lock:
        vm = _vm(world, vm_id)
        host = world.hosts[vm.host]
        if vm.power_state == "poweredOn":
            raise OpError("InvalidPowerState", f"VM '{vm.name}' is already powered on")
        if host.in_maintenance:
            raise OpError("InvalidState", f"host '{host.name}' of VM '{vm.name}' is in maintenance mode")
        if host.connection_state != "connected":
            raise OpError("InvalidState", f"host '{host.name}' of VM '{vm.name}' is not connected")
        vm.power_state = "poweredOn"


def power_off_vm(world: World, vm_id: str) -> None:
    with world.lock:
        vm = _vm(world, vm_id)
        if vm.power_state == "poweredOff":
            raise OpError("InvalidPowerState", f"VM '{vm.name}' is already powered off")
        vm.power_state = "poweredOff"


def reconfigure_cluster(world: World, cluster_id: str, drs_enabled: bool | None = None,
                        drs_behavior: str | None = None, ha_enabled: bool | None = None,
                        admission_control: bool | None = None) -> None:
    if drs_behavior is not None and drs_behavior not in ("manual", "partiallyAutomated", "fullyAutomated"):
        raise OpError("InvalidArgument", f"invalid DRS behavior {drs_behavior!r}")
    with world.lock:
        cl = world.clusters.get(cluster_id)
        if cl is None:
            raise OpError("ManagedObjectNotFound", f"cluster {cluster_id} not found")
        if drs_enabled is not None:
            cl.drs_enabled = drs_enabled
        if drs_behavior is not None:
            cl.drs_behavior = drs_behavior
        if ha_enabled is not None:
            cl.ha_enabled = ha_enabled
        if admission_control is not None:
            cl.admission_control = admission_control


def _host(world: World, host_id: str) -> Host:
    host = world.hosts.get(host_id)
    if host is None:
        raise OpError("ManagedObjectNotFound", f"host {host_id} not found")
    return host


def _vm(world: World, vm_id: str) -> VM:
    vm = world.vms.get(vm_id)
    if vm is None:
        raise OpError("ManagedObjectNotFound", f"VM {vm_id} not found")
    return vm
