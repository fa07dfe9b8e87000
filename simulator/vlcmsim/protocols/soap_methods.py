"""The SOAP methods of /sdk: sessions, tasks, SearchIndex (views and PropertyCollector are
`soap_collector_methods`), and the call context and handler registry both use.

Each handler gets the call context, the (checked) `_this` object and the decoded arguments,
and returns a pyVmomi value or raises `SoapFault`.  State changes go through `engine`
(maintenance mode, migration, power, cluster config), so REST and SOAP share one model;
tasks are `core.tasks.start_task` tasks with moid `task-N`.
"""

from __future__ import annotations

import datetime as _dt
import http.cookies
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import werkzeug
from pyVmomi import vim, vmodl

from ..core.errors import OpError
from ..core.hosts import (
    begin_enter_maintenance,
    complete_enter_maintenance,
    exit_maintenance,
    migrate_vm,
    power_off_vm,
    power_on_vm,
    reconfigure_cluster,
)
from ..core.sessions import get_session, login, logout
from ..core.tasks import start_task
from ..model import Session, World
from . import soap_faults
from .soap_codec import Call
from .soap_collector import ObjectSpace, soap_state, user_session
from .soap_faults import SoapFault
from .soap_inventory import Inventory, task_operation

COOKIE_NAME = "vmware_soap_session"
NO_SESSION_METHODS = {"RetrieveServiceContent", "CurrentTime", "Login"}
PC = vmodl.query.PropertyCollector


def session_id(request: werkzeug.Request) -> str | None:
    """The SOAP session id a request carries (for the server's expire_session fault)."""
    raw = request.headers.get("Cookie", "")
    if raw:
        jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        try:
            jar.load(raw)
        except http.cookies.CookieError:
            jar = http.cookies.SimpleCookie()
        if COOKIE_NAME in jar:
            return jar[COOKIE_NAME].value.strip('"') or None
    value = request.cookies.get(COOKIE_NAME)
    return value.strip('"') if value else None


@dataclass
class Context:
    world: World
    request: werkzeug.Request
    version: str
    call: Call
    session: Session | None = None
    cookies: list[str] = field(default_factory=list)     # Set-Cookie headers to send

    @property
    def inv(self) -> Inventory:
        return Inventory(self.world)

    def space(self) -> ObjectSpace:
        assert self.session is not None
        state = soap_state(self.world).session(self.world, self.session.id)
        return ObjectSpace(self.world, self.session, state, self.version)


Handler = Callable[[Context, Any, dict[str, Any]], Any]


def registry(handlers: dict[str, Handler]) -> Callable[[str], Callable[[Handler], Handler]]:
    """A decorator `@method("WsdlName")` that puts a handler into `handlers`."""
    def method(name: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            handlers[name] = fn
            return fn
        return deco
    return method


HANDLERS: dict[str, Handler] = {}
_method = registry(HANDLERS)


# --------------------------------------------------------------------------- ServiceInstance, sessions
@_method("RetrieveServiceContent")
def _retrieve_service_content(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    with ctx.world.lock:
        return ctx.inv.service_content()


@_method("CurrentTime")
def _current_time(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    return _dt.datetime.now(tz=_dt.UTC)


@_method("Login")
def _login(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    sess = login(ctx.world, args.get("userName") or "", args.get("password") or "", "soap")
    if sess is None:
        raise SoapFault(soap_faults.invalid_login())
    old = session_id(ctx.request)
    if old and old != sess.id and get_session(ctx.world, old) is not None:
        # a second Login on the same connection replaces the session, as vCenter does
        logout(ctx.world, old)
        soap_state(ctx.world).drop(old)
    secure = "; Secure" if ctx.request.scheme == "https" else ""
    ctx.cookies.append(f'{COOKIE_NAME}="{sess.id}"; Path=/; HttpOnly{secure}')
    state = soap_state(ctx.world).session(ctx.world, sess.id)

    return user_session(sess, state)


@_method("Logout")
def _logout(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    assert ctx.session is not None
    logout(ctx.world, ctx.session.id)
    soap_state(ctx.world).drop(ctx.session.id)
    return None


@_method("SessionIsActive")
def _session_is_active(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    key = args.get("sessionID")
    state = soap_state(ctx.world)
    with state.lock:
        return any(s.key == key for sid, s in state.sessions.items() if sid in ctx.world.sessions)


# --------------------------------------------------------------------------- tasks
def _start(ctx: Context, method: str, target: str, fn: Callable[[Any], Any]) -> Any:
    """Start an engine task for a SOAP *_Task method and return its vim.Task reference.

    `fn(task)` runs in the engine's task thread; a core OpError it raises ends the task
    in state error with the matching vim fault as TaskInfo.error.
    """
    assert ctx.session is not None
    target_type = ctx.inv.type_of(target) or ""
    task = start_task(ctx.world, task_operation(method), target, "soap", ctx.session.user, fn,
                             target_type=target_type)
    return vim.Task(task.id)


def _vm_state(ctx: Context, vm_id: str) -> str:
    vm = ctx.world.vms.get(vm_id)
    return vm.power_state if vm else "poweredOff"


# DRS computes an evacuation on its own invocation, not inside the request: requests to enter maintenance mode
# that arrive close together (a client putting a batch of hosts in maintenance mode, one call per host) are
# planned together, so no host's VMs are sent to another host of the batch. Modelled as a settle window: an
# accepted request waits until no other enter request has arrived for DRS_SETTLE_SECONDS (real seconds: the
# calls' own round trips are not scaled) before its evacuation is planned.
DRS_SETTLE_SECONDS = 0.1
_enter_requests: dict[int, float] = {}          # id(world) -> monotonic time of the last accepted enter request
_enter_requests_lock = threading.Lock()


def _note_enter_request(world: World) -> None:
    with _enter_requests_lock:
        _enter_requests[id(world)] = time.monotonic()


def _settle(world: World) -> None:
    """Wait until DRS_SETTLE_SECONDS have passed since the last enter request (bounded by 50 windows)."""
    for _ in range(50):
        with _enter_requests_lock:
            quiet = time.monotonic() - _enter_requests.get(id(world), 0.0)
        if quiet >= DRS_SETTLE_SECONDS:
            return
        time.sleep(DRS_SETTLE_SECONDS - quiet)


@_method("EnterMaintenanceMode_Task")
def _enter_maintenance(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    """The host is marked as entering maintenance mode when the call is accepted, so hosts asked to enter
    together are evaluated against each other (their evacuations are planned once the requests have settled,
    see DRS_SETTLE_SECONDS); refusals and the wait for room (`timeout` seconds, scaled like every duration)
    surface in the task (InvalidState at once, Timedout when the wait expires)."""
    host_id = this._moId
    evacuate_off = bool(args.get("evacuatePoweredOffVms"))
    timeout = args.get("timeout") or 0          # <= 0: no timeout (the simulator's finite default)
    refused: OpError | None = None
    try:
        begun = begin_enter_maintenance(ctx.world, host_id, evacuate_off)
    except OpError as exc:
        begun, refused = False, exc
    if begun:
        _note_enter_request(ctx.world)

    def fn(task: Any) -> None:
        if refused is not None:
            raise refused
        if begun:
            _settle(ctx.world)
            complete_enter_maintenance(ctx.world, host_id, evacuate_off, task=task, timeout=timeout)

    return _start(ctx, "EnterMaintenanceMode_Task", host_id, fn)


@_method("ExitMaintenanceMode_Task")
def _exit_maintenance(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    host_id = this._moId

    def fn(task: Any) -> None:
        exit_maintenance(ctx.world, host_id)

    return _start(ctx, "ExitMaintenanceMode_Task", host_id, fn)


_DRS_DEFAULTS = {"drs_enabled": False, "drs_behavior": "fullyAutomated", "ha_enabled": False,
                 "admission_control": True}


@_method("ReconfigureComputeResource_Task")
def _reconfigure_cluster(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    spec = args.get("spec")
    modify = bool(args.get("modify"))
    target = this._moId
    if spec is None:
        raise SoapFault(soap_faults.invalid_argument("spec is required", "spec"))
    changes: dict[str, Any] = {}
    drs = getattr(spec, "drsConfig", None)
    das = getattr(spec, "dasConfig", None)
    if not isinstance(this, vim.ClusterComputeResource):
        if drs is not None or das is not None:
            raise SoapFault(soap_faults.invalid_argument(
                "drsConfig and dasConfig apply to clusters only", "spec"))
        return _start(ctx, "ReconfigureComputeResource_Task", target, lambda task: None)
    if drs is not None:
        if drs.enabled is not None:
            changes["drs_enabled"] = bool(drs.enabled)
        if drs.defaultVmBehavior is not None:
            changes["drs_behavior"] = str(drs.defaultVmBehavior)
    if das is not None:
        if das.enabled is not None:
            changes["ha_enabled"] = bool(das.enabled)
        if das.admissionControlEnabled is not None:
            changes["admission_control"] = bool(das.admissionControlEnabled)
    if not modify:
        # a complete specification: whatever it leaves unset takes the default
        changes = {**_DRS_DEFAULTS, **changes}
    if changes.get("drs_behavior") not in (None, "manual", "partiallyAutomated", "fullyAutomated"):
        raise SoapFault(soap_faults.invalid_argument(
            f"invalid defaultVmBehavior '{changes['drs_behavior']}'", "spec.drsConfig.defaultVmBehavior"))

    def fn(task: Any) -> None:
        reconfigure_cluster(ctx.world, target, **changes)

    return _start(ctx, "ReconfigureComputeResource_Task", target, fn)


@_method("PowerOnVM_Task")
def _power_on(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    vm_id = this._moId
    host = args.get("host")
    if host is not None:
        with ctx.world.lock:
            host = ctx.space().check(host)
        if ctx.world.vms[vm_id].host != host._moId:
            raise SoapFault(soap_faults.invalid_argument(
                "powering on a VM on another host is not supported; migrate it first", "host"))

    def fn(task: Any) -> None:
        power_on_vm(ctx.world, vm_id)

    return _start(ctx, "PowerOnVM_Task", vm_id, fn)


@_method("PowerOffVM_Task")
def _power_off(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    vm_id = this._moId

    def fn(task: Any) -> None:
        power_off_vm(ctx.world, vm_id)

    return _start(ctx, "PowerOffVM_Task", vm_id, fn)


def _migrate(ctx: Context, method: str, vm_id: str, host: Any) -> Any:
    if host is None:
        raise SoapFault(soap_faults.invalid_argument(
            "a target host is required (this simulator does not pick one with DRS)", "host"))
    with ctx.world.lock:
        host = ctx.space().check(host)
    if not isinstance(host, vim.HostSystem):
        raise SoapFault(soap_faults.invalid_argument("host must be a HostSystem", "host"))
    host_id = host._moId

    def fn(task: Any) -> None:
        migrate_vm(ctx.world, vm_id, host_id)

    return _start(ctx, method, vm_id, fn)


@_method("RelocateVM_Task")
def _relocate(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    spec = args.get("spec")
    if spec is None:
        raise SoapFault(soap_faults.invalid_argument("spec is required", "spec"))
    if spec.datastore is not None or spec.disk:
        raise SoapFault(soap_faults.invalid_argument("storage relocation is not simulated", "spec.datastore"))
    return _migrate(ctx, "RelocateVM_Task", this._moId, spec.host)


@_method("MigrateVM_Task")
def _migrate_vm(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    state = args.get("state")
    if state is not None and state != _vm_state(ctx, this._moId):
        raise SoapFault(soap_faults.make("InvalidPowerState", f"the VM is {_vm_state(ctx, this._moId)}",
                                         vm_state=_vm_state(ctx, this._moId)))
    return _migrate(ctx, "MigrateVM_Task", this._moId, args.get("host"))


# --------------------------------------------------------------------------- SearchIndex, TaskManager, Task
def _in_datacenter(ctx: Context, ref: Any, datacenter: Any) -> bool:
    if datacenter is None:
        return True
    w = ctx.world
    if isinstance(ref, vim.HostSystem):
        return w.hosts[ref._moId].datacenter == datacenter._moId
    if isinstance(ref, vim.VirtualMachine):
        return ctx.inv.vm_datacenter(w.vms[ref._moId]) == datacenter._moId
    return False


def _search(ctx: Context, args: dict[str, Any], match: Callable[[Any], bool]) -> list[Any]:
    datacenter = args.get("datacenter")
    with ctx.world.lock:
        if datacenter is not None:
            ctx.space().check(datacenter)
        pool = ctx.world.vms if args.get("vmSearch") else ctx.world.hosts
        refs = [ctx.inv.ref(i) for i in pool]
        return [r for r in refs if _in_datacenter(ctx, r, datacenter) and match(r)]


def _name_of(ctx: Context, ref: Any) -> str | None:
    return ctx.inv.get(ref, "name")


def _named_children(ctx: Context, space: ObjectSpace, ref: Any) -> list[Any]:
    if isinstance(ref, vim.HostSystem):
        return []
    return space.children(ref)


@_method("FindByInventoryPath")
def _find_by_inventory_path(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    path = (args.get("inventoryPath") or "").strip("/")
    space = ctx.space()
    with ctx.world.lock:
        current: Any = vim.Folder("group-d1")
        for name in [p for p in path.split("/") if p]:
            current = next((c for c in _named_children(ctx, space, current) if _name_of(ctx, c) == name), None)
            if current is None:
                return None
        return current if path else None


@_method("FindChild")
def _find_child(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    space = ctx.space()
    with ctx.world.lock:
        entity = space.check(args.get("entity"))
        name = args.get("name")
        return next((c for c in _named_children(ctx, space, entity) if _name_of(ctx, c) == name), None)


def _dns_match(ctx: Context, args: dict[str, Any]) -> Callable[[Any], bool]:
    wanted = (args.get("dnsName") or "").lower().rstrip(".")
    # VMs have no guest host name in the model: a VM search finds nothing, as for a VM without tools
    return lambda ref: not args.get("vmSearch") and (_name_of(ctx, ref) or "").lower() == wanted


@_method("FindByDnsName")
def _find_by_dns_name(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    found = _search(ctx, args, _dns_match(ctx, args))
    return found[0] if found else None


@_method("FindAllByDnsName")
def _find_all_by_dns_name(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    return vim.ManagedEntity.Array(_search(ctx, args, _dns_match(ctx, args)))


def _uuid_match(ctx: Context, args: dict[str, Any]) -> Callable[[Any], bool]:
    wanted = (args.get("uuid") or "").lower()
    if args.get("vmSearch"):
        path = "config.instanceUuid" if args.get("instanceUuid") else "config.uuid"
    else:
        path = "hardware.systemInfo.uuid"
    return lambda ref: (ctx.inv.get(ref, path) or "").lower() == wanted


@_method("FindByUuid")
def _find_by_uuid(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    found = _search(ctx, args, _uuid_match(ctx, args))
    return found[0] if found else None


@_method("FindAllByUuid")
def _find_all_by_uuid(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    return vim.ManagedEntity.Array(_search(ctx, args, _uuid_match(ctx, args)))


@_method("FindByIp")
def _find_by_ip(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    return None        # the model has no IP addresses


@_method("CancelTask")
def _cancel_task(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    raise SoapFault(vmodl.fault.NotSupported(msg="The task is not cancelable (TaskInfo.cancelable is false)."))
