"""The rules of the simulated vCenter: sessions, tasks, maintenance mode, VM placement.

Every state change happens under `world.lock`; anything that takes (simulated) time sleeps
*outside* the lock, so concurrent requests and tasks never wait on a sleeping phase.
Durations are `world.durations` (realistic seconds) times `world.time_scale`.

The vLCM operations (scan, stage, check, apply, policies...) live in `vlcm.py` and are
re-exported here, so callers (REST and SOAP) only import `engine`.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from . import faults
from .model import VM, Host, Session, Task, World

# --------------------------------------------------------------------------- errors


class VapiError(Exception):
    """A vAPI standard error raised synchronously by an operation (REST maps it to a status)."""

    def __init__(self, error_type: str, message: str, msg_id: str | None = None,
                 args: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.body = vapi_error(error_type, message, msg_id, args)


class TaskFailed(Exception):
    """Raised by a task function: the task ends FAILED with `error` (a vAPI error dict)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("messages", [{}])[0].get("default_message", "task failed"))
        self.error = error


class OpError(Exception):
    """A vim-level operation failure (maintenance mode, migration, power).

    `fault` is the vim fault name a SOAP handler should raise (e.g. "InvalidState",
    "InvalidPowerState", "InsufficientResourcesFault"; soap.py maps it), `message` names
    the objects involved.
    """

    def __init__(self, fault: str, message: str) -> None:
        super().__init__(message)
        self.fault = fault
        self.message = message


def message(msg_id: str, default: str, args: list[str] | None = None) -> dict[str, Any]:
    """A com.vmware.vapi.std.localizable_message."""
    return {"id": msg_id, "default_message": default, "args": list(args or [])}


def vapi_error(error_type: str, default: str, msg_id: str | None = None,
               args: list[str] | None = None) -> dict[str, Any]:
    """The /api error body: {"error_type": ..., "messages": [localizable_message]}."""
    mid = msg_id or f"com.vmware.vapi.std.errors.{error_type.lower()}"
    return {"error_type": error_type, "messages": [message(mid, default, args)]}


# --------------------------------------------------------------------------- time


def iso(ts: float | None) -> str | None:
    """Epoch seconds -> the vAPI datetime format (RFC 3339, UTC, milliseconds, 'Z')."""
    if ts is None:
        return None
    d = _dt.datetime.fromtimestamp(ts, tz=_dt.UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def parse_iso(value: str | float | int) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip().replace("Z", "+00:00")
    d = _dt.datetime.fromisoformat(text)
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.UTC)
    return d.timestamp()


def scaled(world: World, phase: str) -> float:
    """Wall-clock seconds of one phase (scenario seconds x time_scale)."""
    return float(getattr(world.durations, phase)) * world.time_scale


def sleep_phase(world: World, seconds: float) -> None:
    """Sleep `seconds` of wall-clock time (callers pass already-scaled durations)."""
    if seconds > 0:
        time.sleep(seconds)


# --------------------------------------------------------------------------- sessions


def login(world: World, user: str, password: str, protocol: str) -> Session | None:
    if user != world.username or password != world.password:
        # vCenter accepts the user name case-insensitively; the password must match exactly
        if not (user.lower() == world.username.lower() and password == world.password):
            return None
    now = time.time()
    sess = Session(id=uuid.uuid4().hex, user=world.username, protocol=protocol, created=now, last_used=now)
    with world.lock:
        world.sessions[sess.id] = sess
        world.counters.logins[protocol] = world.counters.logins.get(protocol, 0) + 1
    return sess


def logout(world: World, sid: str) -> bool:
    with world.lock:
        sess = world.sessions.pop(sid, None)
        if sess is not None:
            world.counters.logouts[sess.protocol] = world.counters.logouts.get(sess.protocol, 0) + 1
        return sess is not None


def get_session(world: World, sid: str | None) -> Session | None:
    if not sid:
        return None
    with world.lock:
        sess = world.sessions.get(sid)
        if sess is None:
            return None
        now = time.time()
        if world.session_idle_timeout > 0 and now - sess.last_used > world.session_idle_timeout:
            del world.sessions[sid]          # expired by idle timeout
            return None
        sess.last_used = now
        return sess


def expire_session(world: World, sid: str | None) -> bool:
    """Drop a session without counting a logout (the admin `expire_session` fault)."""
    if not sid:
        return False
    with world.lock:
        return world.sessions.pop(sid, None) is not None


# --------------------------------------------------------------------------- tasks

_SOAP_TASK_SEQ = [0]


def start_task(world: World, operation: str, target: str, protocol: str, user: str,
               fn: Callable[[Task], Any], *, service: str = "", description: str = "",
               target_type: str = "") -> Task:
    """Create a task and run `fn(task)` in a daemon thread.

    PENDING -> RUNNING (fn updates progress with `set_progress`) -> SUCCEEDED with fn's
    return value as `result`, or FAILED when fn raises TaskFailed(error) (any other
    exception becomes a vAPI ERROR naming it).
    """
    if not service:
        service = operation.rsplit(".", 1)[0] if "." in operation else operation
    with world.lock:
        if protocol == "soap":
            _SOAP_TASK_SEQ[0] += 1
            tid = f"task-{_SOAP_TASK_SEQ[0]}"
            while tid in world.tasks:
                _SOAP_TASK_SEQ[0] += 1
                tid = f"task-{_SOAP_TASK_SEQ[0]}"
        else:
            tid = f"{uuid.uuid4()}:{service}"
        task = Task(id=tid, operation=operation, target=target, protocol=protocol, user=user,
                    service=service, description=description or operation, target_type=target_type)
        world.tasks[tid] = task

    def run() -> None:
        with world.lock:
            task.status = "RUNNING"
            task.started = time.time()
        try:
            result = fn(task)
        except TaskFailed as exc:
            with world.lock:
                task.status = "FAILED"
                task.error = exc.error
                task.finished = time.time()
            return
        except OpError as exc:
            with world.lock:
                task.status = "FAILED"
                task.error = vapi_error("ERROR", exc.message)
                task.error["fault"] = exc.fault
                task.finished = time.time()
            return
        except VapiError as exc:
            with world.lock:
                task.status = "FAILED"
                task.error = exc.body
                task.finished = time.time()
            return
        except Exception as exc:  # noqa: BLE001 - a simulator bug must still end the task
            with world.lock:
                task.status = "FAILED"
                task.error = vapi_error("ERROR", f"internal simulator error: {exc!r}")
                task.finished = time.time()
            return
        with world.lock:
            task.result = result
            task.progress_completed = task.progress_total
            task.status = "SUCCEEDED"
            task.finished = time.time()

    threading.Thread(target=run, name=f"task {tid}", daemon=True).start()
    return task


def set_progress(world: World, task: Task | None, completed: int, msg: str = "") -> None:
    if task is None:
        return
    with world.lock:
        task.progress_completed = max(0, min(task.progress_total, int(completed)))
        if msg:
            task.progress_message = msg


# --------------------------------------------------------------------------- placement


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
    if host.maintenance_since is not None and world.time_scale > 0:
        world.counters.maintenance_host_seconds += (time.monotonic() - host.maintenance_since) / world.time_scale
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


# vLCM operations (kept in their own module; imported last: vlcm imports this module)
from .vlcm import (  # noqa: E402,F401
    Target,
    apply_impact,
    cluster_compliance,
    commit_info,
    desired_commit,
    effective_policies,
    get_policies,
    host_compliance_report,
    last_apply_result,
    last_check_result,
    resolve,
    scan,
    set_policies,
    software_info,
    start_apply,
    start_check,
    start_scan,
    start_stage,
)
