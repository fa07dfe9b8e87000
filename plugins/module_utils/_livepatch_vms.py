# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""After a live patch: bring the VMs that could not fast-suspend-resume onto the patched revision. Knows nothing of
Ansible.

Seed 004: "Manual remediation can either be done by migrating the virtual machine or by power cycling the virtual
machine"; the host reports compliant only when none is left. The plan (pure, :func:`plan`) gives each VM the
vLCM scan lists as pending (``LivePatch.VmPending.<CODE>``) exactly one action:

- ``power_cycle`` when the user named it in ``power_cycle`` (or ``power_cycle: all`` and it cannot be migrated);
- ``vmotion`` when it can be migrated: to another host of the cluster and back (``return: true``), or to a host
  that already runs the patched image, where it stays (``return: false``);
- ``none`` otherwise, with what to do: a VM is never power cycled unless named (or ``all``).

The actions are SOAP tasks (``MigrateVM_Task``, ``PowerOffVM_Task`` then ``PowerOnVM_Task``) followed with
:func:`._maintenance.wait_tasks`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _livepatch as lp
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _maintenance as mm

try:
    from pyVmomi import vim, vmodl
except ImportError:  # pragma: no cover - _soap.SoapClient reports the missing library first
    vim = vmodl = None

ALL = "all"


def check_power_cycle(value: Any) -> set[str] | str | None:
    """The ``power_cycle`` option -> None (no VM), ``"all"`` or a set of VM names; raises ValueError (the caller
    turns it into an option error) on an empty list, an empty name, or ``all`` mixed with names."""
    if value is None:
        return None
    names = [str(v).strip() if v is not None else "" for v in value]
    if not names:
        raise ValueError("power_cycle is an empty list; leave it out to power cycle no VM, or give VM names or 'all'")
    if any(not n for n in names):
        raise ValueError("power_cycle has an empty or null VM name; give the VM names to power cycle, or 'all'")
    if ALL in names:
        if len(names) > 1:
            raise ValueError("power_cycle: 'all' cannot be combined with VM names; give either 'all' or the names")
        return ALL
    return set(names)


@dataclass
class Step:
    vm: str
    vm_id: str
    host: str
    host_id: str
    reason: str                         # FAULT_TOLERANCE / DIRECTPATH_IO / VSPHERE_POD / SHARED_DISK
    action: str                         # vmotion / power_cycle / none
    why: str
    destinations: list[str] = field(default_factory=list)     # host ids, best first (vmotion)
    destination_names: list[str] = field(default_factory=list)
    returns: bool = False
    fix: str | None = None

    def as_result(self) -> dict[str, Any]:
        row = asdict(self)
        row.pop("destinations")
        row.pop("vm_id")
        row.pop("host_id")
        return row


def _usable(host: lp.HostFacts) -> bool:
    """A host a VM can be migrated to: connected, not in (or entering) maintenance mode or partial maintenance."""
    return (host.connection_state == "connected" and not host.in_maintenance
            and host.partial_maintenance in (None, "notInPartialMM"))


def plan(pending: Sequence[Mapping[str, Any]], vms: Mapping[str, lp.VmFacts], hosts: Mapping[str, lp.HostFacts],
         patched: Iterable[str], power_cycle: set[str] | str | None, return_: bool) -> list[Step]:
    """One :class:`Step` per pending VM (``{"name", "id", "host", "host_name", "reason"}``), sorted by VM name.

    ``patched``: host ids that run the desired image (a VM migrated there runs the patched revision)."""
    patched = set(patched)
    steps = []
    for item in sorted(pending, key=lambda p: p["name"]):
        vm = vms.get(item["id"])
        step = Step(vm=item["name"], vm_id=item["id"], host=item["host_name"], host_id=item["host"],
                    reason=item["reason"], action="none", why="", returns=return_)
        named = isinstance(power_cycle, set) and item["name"] in power_cycle
        cannot_move = vm.cannot_move if vm is not None else None
        if named:
            step.action, step.why = "power_cycle", "named in power_cycle"
        elif vm is not None and not vm.powered_on:
            step.why = "the VM is no longer powered on; the next scan drops it"
        elif cannot_move is None and vm is not None:
            others = [h for h in hosts.values() if h.id != item["host"] and _usable(h)]
            if not return_:
                others = [h for h in others if h.id in patched]
            others.sort(key=lambda h: (h.id not in patched, h.name))
            if others:
                step.action = "vmotion"
                step.destinations = [h.id for h in others]
                step.destination_names = [h.name for h in others]
                step.why = ("vMotion to another host and back onto the patched revision" if return_ else
                            "vMotion to a host that runs the patched image, where it stays")
            else:
                step.why = ("no other host of the cluster can take it now" if return_ else
                            "no host that runs the patched image can take it now (return: false)")
                step.fix = ("power cycle it (name it in power_cycle), or " +
                            ("free a host for it and run again" if return_ else "use return: true"))
        elif power_cycle == ALL:
            step.action, step.why = "power_cycle", f"it {cannot_move} and cannot be migrated; power_cycle: all"
        else:
            step.why = f"it {cannot_move or 'is not in the inventory read'} and cannot be migrated with vMotion"
            step.fix = (f"power cycle it: name it in power_cycle (power_cycle: ['{item['name']}']) or power it off "
                        "and on in the vSphere Client, then scan the host")
        steps.append(step)
    return steps


# ----------------------------------------------------------------------------- the actions (SOAP)
class ActionError(Exception):
    def __init__(self, message: str, *, changed: bool) -> None:
        super().__init__(message)
        self.changed = changed


def _run(soap: Any, what: str, call: Callable[[], Any], wait: float) -> mm.TaskEnd:
    try:
        task = call()
    except vmodl.MethodFault as exc:
        kind, text = mm.fault_text(exc)
        return mm.TaskEnd("error", text, kind)
    return mm.wait_tasks(soap, {what: task}, timeout=wait)[what]


def migrate(soap: Any, vm_id: str, host_id: str, wait: float) -> mm.TaskEnd:
    vm = soap.ref("VirtualMachine", vm_id)
    return _run(soap, vm_id, lambda: vm.MigrateVM_Task(
        host=soap.ref("HostSystem", host_id), priority=vim.VirtualMachine.MovePriority.defaultPriority), wait)


def vmotion(soap: Any, step: Step, wait: float, on_change: Callable[[], None]) -> dict[str, Any]:
    """Migrate to the first destination that takes the VM (and back when ``step.returns``)."""
    tried = []
    for dest, dest_name in zip(step.destinations, step.destination_names, strict=True):
        end = migrate(soap, step.vm_id, dest, wait)
        if not end.ok:
            tried.append(f"{dest_name}: {end.error or end.state}")
            continue
        on_change()
        row = {"name": step.vm, "from": step.host, "to": dest_name, "returned": False}
        if step.returns:
            back = migrate(soap, step.vm_id, step.host_id, wait)
            if not back.ok:
                raise ActionError(f"VM '{step.vm}' was migrated to {dest_name} but not back to {step.host}: "
                                  f"{back.error or back.state}; it runs the patched revision only if {dest_name} is "
                                  "patched. Migrate it back, or run again with return: false", changed=True)
            row["returned"] = True
        return row
    raise ActionError(f"VM '{step.vm}' could not be migrated from {step.host}: " + "; ".join(tried)
                      + ". Power cycle it instead (name it in power_cycle), or free room and run again", changed=False)


def power_cycle(soap: Any, step: Step, wait: float, on_change: Callable[[], None]) -> dict[str, Any]:
    """Power off, then on again on the same host (a hard power-off: shut the guest down first if it needs it)."""
    end = mm.power(soap, [step.vm_id], "POWER_OFF_VMS", wait=wait)[step.vm_id]
    if not end.ok:
        raise ActionError(f"VM '{step.vm}' could not be powered off: {end.error or end.state}", changed=False)
    on_change()
    end = mm.power(soap, [step.vm_id], "POWER_ON", wait=wait)[step.vm_id]
    if not end.ok:
        raise ActionError(f"VM '{step.vm}' was powered off but could not be powered on again on {step.host}: "
                          f"{end.error or end.state}. It is POWERED OFF now: power it on in the vSphere Client",
                          changed=True)
    return {"name": step.vm, "host": step.host}


def wait_connected(read: Callable[[], Mapping[str, lp.HostFacts]], host_ids: Iterable[str], *, timeout: float,
                   sleep: Callable[[float], None] = time.sleep,
                   clock: Callable[[], float] = time.monotonic) -> tuple[Mapping[str, lp.HostFacts], list[str]]:
    """Ride out a hostd restart after a live patch: while one of ``host_ids`` shows ``notResponding`` read again
    (every 2 s, up to ``timeout``). Returns the last read and the names of hosts that waited."""
    wanted = set(host_ids)
    hosts = read()
    waited: set[str] = set()
    deadline = clock() + timeout
    while True:
        blip = [h for h in hosts.values() if h.id in wanted and h.connection_state == "notResponding"]
        if not blip or clock() >= deadline:
            return hosts, sorted(waited)
        waited.update(h.name for h in blip)
        sleep(2.0)
        hosts = read()
