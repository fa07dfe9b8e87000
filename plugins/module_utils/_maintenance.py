# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Maintenance mode of several hosts at once over SOAP (REST has no maintenance-mode call). Knows nothing of Ansible.

- ``HostSystem.EnterMaintenanceMode_Task(timeout, evacuatePoweredOffVms=False)`` on every host of a batch, all
  started before any is waited on, so vCenter (DRS) evacuates them together and sends no VM of one to another;
- ``HostSystem.ExitMaintenanceMode_Task(timeout=0)``;
- the tasks are followed with one property filter on ``info.state`` / ``info.error`` and
  ``PropertyCollector.WaitForUpdatesEx`` (vCenter reports each change as it happens: no polling interval to
  wait out), up to a deadline.

Each function takes a connected :class:`._soap.SoapClient` (``ref``, ``content``) and returns plain data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import SoapError

try:
    from pyVmomi import vim, vmodl
except ImportError:  # pragma: no cover - _soap.SoapClient reports the missing library first
    vim = vmodl = None

TERMINAL = ("success", "error")
HOST_PROPERTIES = ("name", "runtime.inMaintenanceMode", "runtime.connectionState")


@dataclass
class TaskEnd:
    """How one host's task ended: ``state`` success | error | running (still running at the deadline)."""

    state: str
    error: str | None = None
    fault: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "success"


def fault_text(fault: Any) -> tuple[str, str]:
    """(fault type, message) of a vim fault, e.g. ("Timedout", "Operation timed out: ...")."""
    kind = type(fault).__name__.rsplit(".", 1)[-1]
    message = getattr(fault, "msg", None) or ""
    if not message:
        messages = [getattr(m, "message", None) for m in getattr(fault, "faultMessage", None) or []]
        message = "; ".join(m for m in messages if m) or kind
    return kind, str(message)


def cluster_hosts(soap: Any, cluster_id: str) -> tuple[dict[str, dict[str, Any]], Any]:
    """({host id: {name, in_maintenance, connection_state}}, the cluster's ``configurationEx``) in one
    PropertyCollector pass over the cluster."""
    rows = soap.collect(soap.ref("ClusterComputeResource", cluster_id), {"HostSystem": HOST_PROPERTIES},
                        container_properties=("configurationEx",))
    hosts: dict[str, dict[str, Any]] = {}
    config_ex = None
    for row in rows:
        if row.get("type") == "HostSystem":
            hosts[row["moid"]] = {"name": str(row.get("name") or row["moid"]),
                                  "in_maintenance": bool(row.get("runtime.inMaintenanceMode")),
                                  "connection_state": str(row.get("runtime.connectionState") or "")}
        elif row.get("moid") == cluster_id:
            config_ex = row.get("configurationEx")
    return hosts, config_ex


def wait_tasks(soap: Any, tasks: Mapping[str, Any], *, timeout: float,
               clock: Callable[[], float] = time.monotonic) -> dict[str, TaskEnd]:
    """Follow SOAP tasks ({key: vim.Task}) until each has ended or ``timeout`` seconds have passed."""
    ends = {key: TaskEnd("running") for key in tasks}
    if not tasks:
        return ends
    pc_type = vmodl.query.PropertyCollector
    by_moid = {task._moId: key for key, task in tasks.items()}
    collector = soap.content().propertyCollector
    spec = pc_type.FilterSpec(objectSet=[pc_type.ObjectSpec(obj=task, skip=False) for task in tasks.values()],
                              propSet=[pc_type.PropertySpec(type=vim.Task, pathSet=["info.state", "info.error"],
                                                            all=False)])
    deadline = clock() + timeout
    try:
        flt = collector.CreateFilter(spec, True)
    except vmodl.MethodFault as exc:
        raise SoapError(f"could not follow the maintenance-mode tasks: {fault_text(exc)[1]}") from None
    version = ""
    try:
        while any(end.state not in TERMINAL for end in ends.values()):
            remaining = deadline - clock()
            if remaining <= 0:
                break
            update = collector.WaitForUpdatesEx(version, pc_type.WaitOptions(maxWaitSeconds=max(1, min(60, int(remaining)))))
            if update is None:
                continue
            version = update.version
            for filter_update in update.filterSet or []:
                for change_set in filter_update.objectSet or []:
                    key = by_moid.get(change_set.obj._moId)
                    if key is None:
                        continue
                    for change in change_set.changeSet or []:
                        if change.name == "info.state":
                            ends[key].state = str(change.val)
                        elif change.name == "info.error" and change.val is not None:
                            ends[key].fault, ends[key].error = fault_text(change.val)
    except vmodl.MethodFault as exc:
        raise SoapError(f"following the maintenance-mode tasks failed: {fault_text(exc)[1]}") from None
    finally:
        try:
            flt.Destroy()
        except Exception:  # noqa: BLE001 - best effort: the session ends with the module anyway
            pass
    return ends


def _start(soap: Any, host_ids: Iterable[str], call: Callable[[Any], Any],
           on_started: Callable[[str], None] | None) -> tuple[dict[str, Any], dict[str, TaskEnd]]:
    tasks: dict[str, Any] = {}
    refused: dict[str, TaskEnd] = {}
    for host_id in host_ids:
        try:
            tasks[host_id] = call(soap.ref("HostSystem", host_id))
        except vmodl.MethodFault as exc:       # vCenter may refuse at once instead of failing the task
            kind, text = fault_text(exc)
            refused[host_id] = TaskEnd("error", text, kind)
            continue
        if on_started is not None:
            on_started(host_id)
    return tasks, refused


def enter(soap: Any, host_ids: Iterable[str], *, timeout: int, wait: float,
          on_started: Callable[[str], None] | None = None) -> dict[str, TaskEnd]:
    """Put hosts in maintenance mode together: every ``EnterMaintenanceMode_Task`` is started before any is
    waited on. ``timeout`` is vCenter's (seconds to wait for DRS to find room before the task fails with
    ``Timedout``); ``wait`` how long this client follows the tasks."""
    tasks, ends = _start(soap, host_ids, lambda host: host.EnterMaintenanceMode_Task(
        timeout=int(timeout), evacuatePoweredOffVms=False), on_started)
    ends.update(wait_tasks(soap, tasks, timeout=wait))
    return ends


def leave(soap: Any, host_ids: Iterable[str], *, wait: float,
          on_started: Callable[[str], None] | None = None) -> dict[str, TaskEnd]:
    """Take hosts out of maintenance mode (all tasks started, then followed together)."""
    tasks, ends = _start(soap, host_ids, lambda host: host.ExitMaintenanceMode_Task(timeout=0), on_started)
    ends.update(wait_tasks(soap, tasks, timeout=wait))
    return ends


POWER_METHODS = {"POWER_OFF_VMS": "PowerOffVM_Task", "SUSPEND_VMS": "SuspendVM_Task",
                 "SUSPEND_VMS_TO_MEMORY": "SuspendVM_Task", "POWER_ON": "PowerOnVM_Task"}


def power(soap: Any, vm_ids: Iterable[str], action: str, *, wait: float,
          on_started: Callable[[str], None] | None = None) -> dict[str, TaskEnd]:
    """Power VMs off, suspend them (the cluster's ``pre_remediation_power_action``) or power them on again
    (``POWER_ON``): one task per VM, all started, then followed together."""
    method = POWER_METHODS[action]
    tasks: dict[str, Any] = {}
    ends: dict[str, TaskEnd] = {}
    for vm_id in vm_ids:
        try:
            tasks[vm_id] = getattr(soap.ref("VirtualMachine", vm_id), method)()
        except vmodl.MethodFault as exc:
            kind, text = fault_text(exc)
            ends[vm_id] = TaskEnd("error", text, kind)
            continue
        if on_started is not None:
            on_started(vm_id)
    ends.update(wait_tasks(soap, tasks, timeout=wait))
    return ends
