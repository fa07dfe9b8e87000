"""Hosts, VMs and clusters: VM placement, maintenance mode (with DRS evacuation), migration, power,
cluster reconfiguration, and the capacity counters. Every state change happens under `world.lock`;
phases sleep outside it.

The capacity rules (what vCenter, DRS and HA admission control let happen):

- A powered-on VM needs its CPU and memory demand on its host; a vMotion in flight holds the demand on its
  destination as well (`VM.migrating_to`), so concurrent evacuations never count on the same room.
- A host in maintenance mode, or entering it, takes no VM ("You cannot power on virtual machines or migrate
  virtual machines to a host entering maintenance mode", vSphere Resource Management, "Using Maintenance
  Mode"); hosts entering maintenance mode together are thus evaluated against each other.
- HA admission control (cluster `ha_enabled` and `admission_control`) is modelled as the cluster-resource-
  percentage policy with "host failures cluster tolerates" = 1: the powered-on demand of the cluster must fit
  in the capacity of the hosts that stay active minus the largest of them (one host's worth of failover
  capacity is kept free; the conservative reading of the auto-computed percentage, which vSphere derives
  from the number of hosts).
- EnterMaintenanceMode with DRS fully automated: VMs that cannot vMotion (DirectPath I/O, shared-bus
  disks, vSphere Pods), DRS not fully automated with powered-on VMs, another host of a vSAN cluster in
  maintenance mode, and a host already entering are refused at once (vim.fault.InvalidState); when the VMs
  could move but there is no room (CPU/memory or HA failover capacity) the task stays running (vCenter
  waits for DRS) until room appears or its `timeout` expires, then fails with vim.fault.Timedout (the
  fault EnterMaintenanceMode_Task declares: "the task completes when the host successfully enters
  maintenance mode or the timeout expires, and in the latter case the task contains a Timeout fault";
  with timeout <= 0 vCenter waits indefinitely, the simulator `durations.enter_maintenance_timeout`).
  The placement is all or nothing: DRS's plan is computed and reserved atomically, then the vMotions run.

`note_state` keeps the counters of /sim/counters: the peak number of hosts in maintenance mode (overall and
per cluster) and `capacity_violations`, each new moment when a running VM is on no host or on a host in
maintenance mode, or a host carries more demand than its capacity.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import VM, Host, Task, World
from . import faults
from .clock import scaled, sleep_phase
from .errors import OpError
from .tasks import set_progress

_WAIT_POLL = (0.01, 0.05)   # real seconds between two looks for room while EnterMaintenanceMode waits (first, max)
_LOG_VIOLATIONS = 20     # violations kept verbatim in counters.capacity_violation_log


def host_load(world: World, host_id: str) -> tuple[int, int]:
    """(cpu_mhz, memory_mb) demanded by the powered-on VMs on a host."""
    cpu = mem = 0
    for vm in world.vms.values():
        if vm.host == host_id and vm.power_state == "poweredOn":
            cpu += vm.cpu_mhz
            mem += vm.memory_mb
    return cpu, mem


def committed_loads(world: World, host_ids: Iterable[str] | None = None) -> dict[str, list[int]]:
    """host id -> [cpu, mem] of the powered-on VMs on it plus the vMotions in flight to it."""
    wanted = None if host_ids is None else set(host_ids)
    loads: dict[str, list[int]] = {}
    for vm in world.vms.values():
        if vm.power_state != "poweredOn":
            continue
        for hid in {vm.host, vm.migrating_to} - {None}:
            if wanted is None or hid in wanted:
                load = loads.setdefault(hid, [0, 0])  # type: ignore[arg-type]
                load[0] += vm.cpu_mhz
                load[1] += vm.memory_mb
    return loads


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


def _active(h: Host) -> bool:
    """Can take VMs: connected, not in maintenance mode and not entering it, not in partial maintenance mode."""
    return (h.connection_state == "connected" and not h.in_maintenance and not h.entering_maintenance
            and h.partial_maintenance_status == "notInPartialMM")


def partial_maintenance_problem(host: Host) -> str | None:
    """Why VMs cannot be placed on, migrated to or from, or powered on this host because of partial maintenance
    mode, or None. Seed 004 (ESXi 8.0 U3 live patch): in partial maintenance mode "existing VMs continue to
    run, but no new VMs can be created on the host, and existing VMs cannot be migrated to or from the host"."""
    if host.partial_maintenance_status == "notInPartialMM":
        return None
    state = {"enteringPartialMM": "entering", "exitingPartialMM": "exiting"}.get(host.partial_maintenance_status, "in")
    return f"host '{host.name}' is {state} partial maintenance mode (live patch)"


def ha_admission_problem(world: World, cluster_id: str | None, leaving: set[str],
                         stopping: set[str] | None = None) -> str | None:
    """Why HA admission control forbids the hosts in `leaving` (and those already in or entering
    maintenance mode) to be out of service at once, or None; the VMs in `stopping` (to be powered off)
    do not count. Caller holds the lock."""
    cl = world.clusters.get(cluster_id) if cluster_id else None
    if cl is None or not (cl.ha_enabled and cl.admission_control):
        return None
    members = {h.id: h for h in world.hosts.values() if h.cluster == cl.id}
    active = [h for h in members.values() if _active(h) and h.id not in leaving]
    cpu = mem = 0
    for vm in world.vms.values():
        if vm.power_state == "poweredOn" and vm.host in members and vm.id not in (stopping or ()) \
                and members[vm.host].connection_state == "connected":
            cpu += vm.cpu_mhz
            mem += vm.memory_mb
    big = max(active, key=lambda h: (h.memory_mb, h.cpu_mhz), default=None)
    cap_cpu = sum(h.cpu_mhz for h in active) - (big.cpu_mhz if big else 0)
    cap_mem = sum(h.memory_mb for h in active) - (big.memory_mb if big else 0)
    if cpu <= cap_cpu and mem <= cap_mem:
        return None
    return (f"vSphere HA admission control on cluster '{cl.name}' keeps one host's capacity free for failover: "
            f"the powered-on VMs need {cpu} MHz / {mem} MB and the {len(active)} host(s) left would offer "
            f"{max(cap_cpu, 0)} MHz / {max(cap_mem, 0)} MB beyond that reserve")


@dataclass
class Evacuation:
    """DRS's plan for the VMs of one host, or why there is none."""

    plan: dict[str, str] = field(default_factory=dict)        # vm id -> target host id
    unmovable: list[str] = field(default_factory=list)        # problems naming VMs that cannot vMotion
    no_room: list[str] = field(default_factory=list)          # names of VMs no other host has room for
    ha: str | None = None                                     # HA admission control's objection

    @property
    def waiting(self) -> list[str]:
        """The reasons DRS would wait (room could appear later)."""
        out = []
        if self.no_room:
            out.append("no other host in the cluster has CPU/memory room for VM(s) "
                       + ", ".join(f"'{n}'" for n in self.no_room))
        if self.ha:
            out.append(self.ha)
        return out

    @property
    def problems(self) -> list[str]:
        return self.unmovable + self.waiting


def evacuation(world: World, host_id: str, include_powered_off: bool = False,
               exclude_hosts: set[str] | None = None, ignore_admission_control: bool = False) -> Evacuation:
    """Greedy placement of a host's VMs on the other active hosts of its cluster (least loaded first, on
    committed load). Caller holds the lock."""
    host = world.hosts[host_id]
    exclude = set(exclude_hosts or ()) | {host_id}
    out = Evacuation()
    candidates = [h for h in world.hosts.values()
                  if host.cluster is not None and h.cluster == host.cluster and h.id not in exclude and _active(h)]
    loads = committed_loads(world, [h.id for h in candidates])
    for h in candidates:
        loads.setdefault(h.id, [0, 0])
    vms = [v for v in world.vms.values() if v.host == host_id
           and (v.power_state == "poweredOn" or (include_powered_off and v.power_state != "poweredOn"))]
    vms.sort(key=lambda v: (-v.memory_mb, v.name))
    stuck: set[str] = set()
    for vm in vms:
        hot = vm.power_state == "poweredOn"
        if hot:
            why = vmotion_blocker(vm)
            if why:
                out.unmovable.append(f"VM '{vm.name}' ({vm.id}) {why} and cannot be migrated")
                stuck.add(vm.id)
                continue
        target = None
        for cand in sorted(candidates, key=lambda h: (loads[h.id][1], h.name)):
            cpu, mem = loads[cand.id]
            if not hot or (cpu + vm.cpu_mhz <= cand.cpu_mhz and mem + vm.memory_mb <= cand.memory_mb):
                target = cand
                break
        if target is None:
            out.no_room.append(vm.name)
            continue
        out.plan[vm.id] = target.id
        if hot:
            loads[target.id][0] += vm.cpu_mhz
            loads[target.id][1] += vm.memory_mb
    if not ignore_admission_control and any(v.power_state == "poweredOn" and v.id not in stuck for v in vms):
        # the VMs that cannot move are refused (or powered off by vLCM's policy): not part of the demand
        out.ha = ha_admission_problem(world, host.cluster, exclude, stuck)
    return out


def plan_evacuation(world: World, host_id: str, include_powered_off: bool = False,
                    exclude_hosts: set[str] | None = None,
                    ignore_admission_control: bool = False) -> tuple[dict[str, str], list[str]]:
    """(vm id -> target host id, [problems naming VMs]). Caller holds the lock."""
    ev = evacuation(world, host_id, include_powered_off, exclude_hosts, ignore_admission_control)
    return ev.plan, ev.problems


# --------------------------------------------------------------------------- counters


def note_state(world: World, host_ids: Iterable[str] | None = None) -> None:
    """Update the maintenance peaks and the capacity violations after a state change that moved or
    powered VMs or changed maintenance mode on `host_ids` (all hosts when None). Caller holds the lock."""
    c = world.counters
    in_mm = [h for h in world.hosts.values() if h.in_maintenance]
    c.max_hosts_in_maintenance = max(c.max_hosts_in_maintenance, len(in_mm))
    per_cluster: dict[str, int] = {}
    for h in in_mm:
        if h.cluster is not None:
            per_cluster[h.cluster] = per_cluster.get(h.cluster, 0) + 1
    for cid, n in per_cluster.items():
        if n > c.max_hosts_in_maintenance_per_cluster.get(cid, 0):
            c.max_hosts_in_maintenance_per_cluster[cid] = n
    scope = None if host_ids is None else set(host_ids)
    found: dict[str, tuple[str, str]] = {}        # key -> (owning host id, message)
    loads: dict[str, list[int]] = {}
    for vm in world.vms.values():
        if vm.power_state != "poweredOn":
            continue
        if scope is not None and vm.host not in scope and vm.migrating_to not in scope:
            continue
        host = world.hosts.get(vm.host)
        if host is None:
            found[f"nohost:{vm.id}"] = (vm.host, f"VM '{vm.name}' ({vm.id}) is running on no host")
            continue
        if host.in_maintenance:
            found[f"mm:{vm.id}"] = (host.id, f"VM '{vm.name}' ({vm.id}) is running on host '{host.name}', "
                                              "which is in maintenance mode")
        for hid in {vm.host, vm.migrating_to} - {None}:
            load = loads.setdefault(hid, [0, 0])  # type: ignore[arg-type]
            load[0] += vm.cpu_mhz
            load[1] += vm.memory_mb
    for hid, (cpu, mem) in loads.items():
        h = world.hosts.get(hid)
        if h is not None and (scope is None or hid in scope) and (cpu > h.cpu_mhz or mem > h.memory_mb):
            found[f"over:{hid}"] = (hid, f"host '{h.name}' carries {cpu} MHz / {mem} MB of VM demand on "
                                         f"{h.cpu_mhz} MHz / {h.memory_mb} MB")
    kept = {k: v for k, v in c.open_violations.items() if scope is not None and v not in scope}
    for key, (owner, msg) in found.items():
        if key not in c.open_violations:
            c.capacity_violations += 1
            if len(c.capacity_violation_log) < _LOG_VIOLATIONS:
                c.capacity_violation_log.append(msg)
        kept[key] = owner
    c.open_violations = kept


# --------------------------------------------------------------------------- maintenance mode


def begin_enter_maintenance(world: World, host_id: str, evacuate_powered_off: bool = False) -> bool:
    """The checks vCenter makes at once, then mark the host as entering maintenance mode.

    Returns False when the host is already in maintenance mode (nothing to do). Raises
    OpError("InvalidState", ...) naming the VMs or the host that stop it.
    """
    with world.lock:
        host = _host(world, host_id)
        if host.connection_state != "connected":
            raise OpError("InvalidState", f"host '{host.name}' ({host.id}) is not connected")
        if host.in_maintenance:
            return False
        if host.entering_maintenance:
            raise OpError("InvalidState", f"host '{host.name}' is already entering maintenance mode")
        pmm = partial_maintenance_problem(host)
        if pmm:
            raise OpError("InvalidState", f"{pmm}: it cannot enter maintenance mode until the live patch ends")
        running = [v for v in world.vms.values() if v.host == host_id and v.power_state == "poweredOn"]
        if running and not drs_automates(world, host):
            names = ", ".join(f"'{v.name}'" for v in running)
            why = ("it is a standalone host" if host.cluster is None else
                   "DRS is not enabled in fully automated mode on cluster "
                   f"'{world.clusters[host.cluster].name}'")
            raise OpError("InvalidState", f"host '{host.name}' cannot enter maintenance mode: powered-on "
                                          f"VM(s) {names} must be migrated or powered off ({why})")
        cl = world.clusters.get(host.cluster) if host.cluster else None
        if cl is not None and cl.vsan:
            other = next((h for h in world.hosts.values() if h.cluster == cl.id and h.id != host_id
                          and (h.in_maintenance or h.entering_maintenance)), None)
            if other is not None:
                state = "is in" if other.in_maintenance else "is entering"
                raise OpError("InvalidState", f"host '{host.name}' cannot enter maintenance mode: vSAN cluster "
                                              f"'{cl.name}' allows one host in maintenance mode at a time and "
                                              f"host '{other.name}' {state} maintenance mode")
        unmovable = evacuation(world, host_id, evacuate_powered_off, ignore_admission_control=True).unmovable
        if unmovable:
            raise OpError("InvalidState", f"host '{host.name}' cannot enter maintenance mode: " + "; ".join(unmovable))
        host.entering_maintenance = True
        return True


def complete_enter_maintenance(world: World, host_id: str, evacuate_powered_off: bool = False,
                               task: Task | None = None, timeout: float | None = None,
                               by_vlcm: bool = False) -> None:
    """Blocking, after begin_enter_maintenance: wait for room (up to `timeout` scenario seconds, the
    scenario's `enter_maintenance_timeout` when unset or <= 0), evacuate, enter maintenance mode."""
    host = world.hosts[host_id]
    limit = float(timeout) if timeout and timeout > 0 else float(world.durations.enter_maintenance_timeout)
    deadline = time.monotonic() + limit * world.time_scale
    plan: dict[str, str] = {}
    done: set[str] = set()
    poll = _WAIT_POLL[0]
    try:
        if faults.take_host_fail(world, host_id, "enter_maintenance"):
            raise OpError("InvalidState", f"host '{host.name}' failed to enter maintenance mode (injected fault)")
        while True:
            with world.lock:
                if host.connection_state != "connected":
                    raise OpError("InvalidState", f"host '{host.name}' ({host.id}) is not connected")
                incoming = [v.name for v in world.vms.values() if v.migrating_to == host_id]
                ev = evacuation(world, host_id, evacuate_powered_off)
                if ev.unmovable:
                    raise OpError("InvalidState", f"host '{host.name}' cannot enter maintenance mode: "
                                  + "; ".join(ev.unmovable))
                why = ([f"vMotion of VM(s) {', '.join(incoming)} to the host is in progress"] if incoming
                       else ev.waiting)
                if not why:
                    plan = ev.plan
                    for vm_id, target in plan.items():
                        world.vms[vm_id].migrating_to = target
                    note_state(world, {host_id, *plan.values()})
                    break
            if time.monotonic() >= deadline:
                raise OpError("Timedout", f"Operation timed out: host '{host.name}' did not enter maintenance "
                                          f"mode within {limit:g} s: " + "; ".join(why))
            set_progress(world, task, 2, f"Waiting for DRS to evacuate {host.name}: " + "; ".join(why))
            time.sleep(max(0.0, min(poll, deadline - time.monotonic())))
            poll = min(poll * 1.5, _WAIT_POLL[1])
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
                vm.migrating_to = None
                done.add(vm_id)
                if hot:
                    world.counters.evacuations += 1
                note_state(world, {host_id, target})
            set_progress(world, task, int(90 * len(done) / total), f"Evacuating VMs from {host.name}")
        if plan:
            world.record_phase(host, "evacuate", evacuation_start, time.time())
        sleep_phase(world, scaled(world, "enter_maintenance"))
        with world.lock:
            host.in_maintenance = True
            host.maintenance_by_vlcm = by_vlcm
            host.maintenance_since = time.monotonic()
            note_state(world, {host_id})
    finally:
        with world.lock:
            host.entering_maintenance = False
            for vm_id in set(plan) - done:            # reservations of vMotions that never ran
                world.vms[vm_id].migrating_to = None


def enter_maintenance(world: World, host_id: str, evacuate_powered_off: bool = False,
                      task: Task | None = None, timeout: float | None = None, by_vlcm: bool = False) -> None:
    """Blocking: evacuate powered-on VMs (DRS fully automated only) and enter maintenance mode.

    Raises OpError("InvalidState", ...) at once when powered-on VMs cannot be moved (no DRS automation,
    VMs that cannot vMotion) or a vSAN cluster has another host in maintenance mode, and
    OpError("Timedout", ...) when no room appeared within `timeout` (scenario seconds).
    """
    if begin_enter_maintenance(world, host_id, evacuate_powered_off):
        complete_enter_maintenance(world, host_id, evacuate_powered_off, task, timeout, by_vlcm)


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
    host.maintenance_by_vlcm = False
    note_state(world, {host.id})


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


# --------------------------------------------------------------------------- partial maintenance mode (live patch)


def enter_partial_maintenance(world: World, host_id: str) -> None:
    """Blocking: the host enters partial maintenance mode (vim.host.PartialMaintenanceModeId quickPatchPartialMM)
    without evacuating anything: running VMs stay, no VM is placed on, migrated to or from, or powered on the host
    until it exits (seed 004). Takes `enter_maintenance` (scaled); a `host_fail` fault at `enter_maintenance`
    fails it. Raises OpError("InvalidState") when the host is not connected, in or entering maintenance mode, or
    already in partial maintenance mode."""
    with world.lock:
        host = _host(world, host_id)
        if host.connection_state != "connected":
            raise OpError("InvalidState", f"host '{host.name}' ({host.id}) is not connected")
        if host.in_maintenance or host.entering_maintenance:
            raise OpError("InvalidState", f"host '{host.name}' is in or entering maintenance mode")
        pmm = partial_maintenance_problem(host)
        if pmm:
            raise OpError("InvalidState", pmm)
        if any(v.migrating_to == host_id or (v.host == host_id and v.migrating_to) for v in world.vms.values()):
            raise OpError("InvalidState", f"a vMotion to or from host '{host.name}' is in progress")
        host.partial_maintenance_status = "enteringPartialMM"
    try:
        if faults.take_host_fail(world, host_id, "enter_maintenance"):
            raise OpError("InvalidState", f"host '{host.name}' failed to enter partial maintenance mode "
                                          "(injected fault)")
        sleep_phase(world, scaled(world, "enter_maintenance"))
    except BaseException:
        with world.lock:
            host.partial_maintenance_status = "notInPartialMM"
        raise
    with world.lock:
        host.partial_maintenance_status = "inPartialMM"
        host.in_partial_maintenance = True
        host.partial_maintenance_since = time.monotonic()


def exit_partial_maintenance(world: World, host_id: str, quick: bool = False) -> None:
    """Blocking: leave partial maintenance mode (`exit_maintenance`, scaled; at once with `quick`, e.g. after a
    failure). Accounts the partial-maintenance host-seconds and records the `partial_maintenance` phase."""
    with world.lock:
        host = _host(world, host_id)
        if host.partial_maintenance_status == "notInPartialMM":
            return
        host.partial_maintenance_status = "exitingPartialMM"
    if not quick:
        sleep_phase(world, scaled(world, "exit_maintenance"))
    with world.lock:
        if host.partial_maintenance_since is not None:
            seconds = time.monotonic() - host.partial_maintenance_since
            if world.time_scale > 0:
                world.counters.partial_maintenance_host_seconds += seconds / world.time_scale
            now = time.time()
            world.record_phase(host, "partial_maintenance", now - seconds, now)
        host.partial_maintenance_since = None
        host.partial_maintenance_status = "notInPartialMM"
        host.in_partial_maintenance = False


def partial_maintenance_host_seconds(world: World) -> float:
    """Accumulated plus ongoing partial-maintenance host-seconds (scenario seconds)."""
    with world.lock:
        total = world.counters.partial_maintenance_host_seconds
        if world.time_scale > 0:
            now = time.monotonic()
            for h in world.hosts.values():
                if h.partial_maintenance_since is not None:
                    total += (now - h.partial_maintenance_since) / world.time_scale
        return total


def leaves_previous_revision(world: World, vm: VM) -> None:
    """The VM no longer runs the pre-live-patch vmx revision of its host (it was migrated away or powered off):
    it stops keeping that host non-compliant. Caller holds the lock."""
    host = world.hosts.get(vm.host)
    if host is not None:
        host.live_patch_pending_vms.discard(vm.id)


# --------------------------------------------------------------------------- VMs and clusters


def migrate_vm(world: World, vm_id: str, host_id: str) -> None:
    with world.lock:
        vm = _vm(world, vm_id)
        target = _host(world, host_id)
        if target.connection_state != "connected":
            raise OpError("InvalidState", f"host '{target.name}' is not connected")
        if target.in_maintenance:
            raise OpError("InvalidState", f"host '{target.name}' is in maintenance mode")
        if target.entering_maintenance:
            raise OpError("InvalidState", f"host '{target.name}' is entering maintenance mode")
        if vm.host == host_id:
            return
        for end in (world.hosts.get(vm.host), target):
            pmm = partial_maintenance_problem(end) if end is not None else None
            if pmm:
                raise OpError("InvalidState", f"VM '{vm.name}' cannot be migrated: {pmm}")
        if vm.migrating_to is not None:
            raise OpError("InvalidState", f"VM '{vm.name}' is already being migrated")
        hot = vm.power_state == "poweredOn"
        if hot:
            why = vmotion_blocker(vm)
            if why:
                raise OpError("InvalidState", f"VM '{vm.name}' {why} and cannot be migrated while powered on")
            cpu, mem = committed_loads(world, [host_id]).get(host_id, [0, 0])
            if cpu + vm.cpu_mhz > target.cpu_mhz or mem + vm.memory_mb > target.memory_mb:
                raise OpError("InsufficientResourcesFault",
                              f"host '{target.name}' has no CPU/memory room for VM '{vm.name}'")
            vm.migrating_to = host_id            # the destination holds the VM's resources during vMotion
    try:
        if hot:
            sleep_phase(world, scaled(world, "evacuate_per_vm"))
    finally:
        with world.lock:
            source = vm.host
            leaves_previous_revision(world, vm)     # a vMotion starts a new vmx on the destination
            vm.host = host_id
            vm.migrating_to = None
            note_state(world, {source, host_id})


def power_on_vm(world: World, vm_id: str) -> None:
    """Power on where the VM is registered; refused when its host is in or entering maintenance mode, has no
    room for the VM's demand, or HA admission control would lose its failover capacity
    (InsufficientResourcesFault, as vCenter's admission control answers a power-on)."""
    with world.lock:
        vm = _vm(world, vm_id)
        host = world.hosts[vm.host]
        if vm.power_state == "poweredOn":
            raise OpError("InvalidPowerState", f"VM '{vm.name}' is already powered on")
        if host.in_maintenance:
            raise OpError("InvalidState", f"host '{host.name}' of VM '{vm.name}' is in maintenance mode")
        if host.entering_maintenance:
            raise OpError("InvalidState", f"host '{host.name}' of VM '{vm.name}' is entering maintenance mode")
        if host.connection_state != "connected":
            raise OpError("InvalidState", f"host '{host.name}' of VM '{vm.name}' is not connected")
        pmm = partial_maintenance_problem(host)
        if pmm:
            raise OpError("InvalidState", f"VM '{vm.name}' cannot be powered on: {pmm}")
        cpu, mem = committed_loads(world, [host.id]).get(host.id, [0, 0])
        if cpu + vm.cpu_mhz > host.cpu_mhz or mem + vm.memory_mb > host.memory_mb:
            raise OpError("InsufficientResourcesFault",
                          f"host '{host.name}' has no CPU/memory room to power on VM '{vm.name}' "
                          f"({vm.cpu_mhz} MHz / {vm.memory_mb} MB; {host.cpu_mhz - cpu} MHz / "
                          f"{host.memory_mb - mem} MB free)")
        vm.power_state = "poweredOn"
        ha = ha_admission_problem(world, host.cluster, set())
        if ha:
            vm.power_state = "poweredOff"
            raise OpError("InsufficientResourcesFault", f"cannot power on VM '{vm.name}': {ha}")
        note_state(world, {host.id})


def power_off_vm(world: World, vm_id: str) -> None:
    with world.lock:
        vm = _vm(world, vm_id)
        if vm.power_state == "poweredOff":
            raise OpError("InvalidPowerState", f"VM '{vm.name}' is already powered off")
        vm.power_state = "poweredOff"
        leaves_previous_revision(world, vm)         # powered on again, it starts on the host's current vmx
        note_state(world, {vm.host})


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
