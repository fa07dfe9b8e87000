"""PropertyCollector and ViewManager for the SOAP side: per-session state and retrieval.

Per-session state (container views, property collectors with their filters and update
versions, RetrievePropertiesEx pages) lives here, keyed by the World and the session id; it
disappears with the session.  Every session has the default collector `propertyCollector`
(ServiceContent.propertyCollector) and may create more (CreatePropertyCollector, as govmomi's
task waiter does); filters and update versions belong to one collector.
Property values come from `soap_inventory.Inventory` plus the session's own objects
(ContainerView, PropertyFilter, PropertyCollector.filter, SessionManager.currentSession), and
leave `ObjectSpace.values` in their declared wire types (`soap_types.wire_value`).
Update reporting (WaitForUpdates(Ex), CheckForUpdates) is `soap_updates`.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import VmomiSupport, vim, vmodl

from ..model import Session, World
from . import soap_faults
from .soap_faults import SoapFault
from .soap_inventory import Inventory, path_value, wsdl_name
from .soap_types import InvalidPath, path_type, resolve, wire_value

PC = vmodl.query.PropertyCollector

# RetrievePropertiesEx page size when the caller sets no RetrieveOptions.maxObjects.
DEFAULT_PAGE_SIZE = 100
# moid of every session's own default collector (ServiceContent.propertyCollector)
DEFAULT_COLLECTOR = "propertyCollector"

# obj moid -> (ref, {path: serialised value}): what one filter showed at one version
Snapshot = dict[str, tuple[Any, dict[str, str]]]


@dataclass
class ViewState:
    moid: str
    container: Any
    types: list[Any]
    recursive: bool


@dataclass
class FilterState:
    moid: str
    spec: Any
    partial_updates: bool


@dataclass
class CollectorState:
    """One PropertyCollector of a session: its filters and the update versions it handed out."""
    moid: str
    filters: dict[str, FilterState] = field(default_factory=dict)
    version: int = 0
    history: dict[str, dict[str, Snapshot]] = field(default_factory=dict)   # version -> filter -> snapshot
    cancel_wait: bool = False
    destroyed: bool = False


def _default_collectors() -> dict[str, CollectorState]:
    return {DEFAULT_COLLECTOR: CollectorState(DEFAULT_COLLECTOR)}


@dataclass
class SessionState:
    key: str                       # public session key (UserSession.key, view/filter/collector moids)
    views: dict[str, ViewState] = field(default_factory=dict)
    collectors: dict[str, CollectorState] = field(default_factory=_default_collectors)
    pages: dict[str, list[Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)    # collectors, filters, versions

    def new_moid(self) -> str:
        """A session-scoped moid, as vCenter names views, filters and collectors."""
        return f"session[{self.key}]{uuid.uuid4()}"

    def filter_owner(self, moid: str) -> CollectorState | None:
        """The collector a filter belongs to (None if no collector of this session has it)."""
        return next((c for c in self.collectors.values() if moid in c.filters), None)


class SoapState:
    """SOAP-only state of one World: per-session views, filters and pages."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, SessionState] = {}

    def session(self, world: World, sid: str) -> SessionState:
        with self.lock:
            for stale in [s for s in self.sessions if s not in world.sessions]:
                del self.sessions[stale]
            st = self.sessions.get(sid)
            if st is None:
                st = SessionState(key=session_key(sid))
                self.sessions[sid] = st
            return st

    def drop(self, sid: str) -> None:
        with self.lock:
            self.sessions.pop(sid, None)


_STATES: weakref.WeakKeyDictionary[World, SoapState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def soap_state(world: World) -> SoapState:
    with _STATES_LOCK:
        st = _STATES.get(world)
        if st is None:
            st = SoapState()
            _STATES[world] = st
        return st


def session_key(sid: str) -> str:
    """The session's public key: not the cookie value, stable for the session."""
    h = hashlib.sha256(("vlcmsim-session:" + sid).encode()).hexdigest()[:32]
    return str(uuid.UUID(h))


class ObjectSpace:
    """All objects one session can see: the inventory plus its own views and filters."""

    def __init__(self, world: World, session: Session, state: SessionState, version: str) -> None:
        self.world = world
        self.session = session
        self.state = state
        self.inv = Inventory(world)
        self.version = version

    # -- existence and property builders --------------------------------------------------
    def exists(self, ref: Any) -> bool:
        t = wsdl_name(ref)
        moid = ref._moId
        if t == "ContainerView":
            return moid in self.state.views
        if t == "PropertyFilter":
            return self.state.filter_owner(moid) is not None
        if t == "PropertyCollector":
            return moid in self.state.collectors
        actual = self.inv.type_of(moid)
        if actual is None:
            return False
        actual_cls = VmomiSupport.GetWsdlType("urn:vim25", actual)
        return issubclass(actual_cls, type(ref)) or issubclass(type(ref), actual_cls)

    def check(self, ref: Any) -> Any:
        """The reference with its real type, or ManagedObjectNotFound."""
        if ref is None or not self.exists(ref):
            raise SoapFault(soap_faults.not_found(ref if ref is not None else vim.ManagedEntity("")))
        t = wsdl_name(ref)
        if t in ("ContainerView", "PropertyFilter", "PropertyCollector"):
            return ref
        return self.inv.ref(ref._moId)

    def builders(self, ref: Any) -> dict[str, Callable[[], Any]]:
        t = wsdl_name(ref)
        moid = ref._moId
        if t == "ContainerView":
            view = self.state.views[moid]
            return {
                "view": lambda: VmomiSupport.ManagedObject.Array(self.view_objects(view)),
                "container": lambda: view.container,
                "type": lambda: VmomiSupport.GetVmodlType("string[]")([VmomiSupport.GetWsdlName(x) for x in view.types]),
                "recursive": lambda: view.recursive,
            }
        if t == "PropertyFilter":
            owner = self.state.filter_owner(moid)
            flt = owner.filters[moid] if owner is not None else None
            if flt is None:
                return {}
            return {"spec": lambda: flt.spec, "partialUpdates": lambda: flt.partial_updates}
        if t == "PropertyCollector":
            coll = self.state.collectors.get(moid)
            if coll is None:
                return {}
            return {"filter": lambda: PC.Filter.Array([PC.Filter(m) for m in coll.filters])}
        if t == "ViewManager":
            return {"viewList": lambda: vim.view.View.Array([vim.view.ContainerView(m) for m in self.state.views])}
        if t == "SessionManager":
            return {
                "currentSession": lambda: user_session(self.session, self.state),
                "defaultLocale": lambda: "en",
                "supportedLocaleList": lambda: VmomiSupport.GetVmodlType("string[]")(["en"]),
            }
        return self.inv.builders(ref)

    def get(self, ref: Any, path: str) -> Any:
        return path_value(self.builders(ref), path)

    # -- containment ---------------------------------------------------------------------
    def children(self, ref: Any) -> list[Any]:
        """Objects directly inside a container (the tree a ContainerView walks)."""
        t = wsdl_name(ref)
        w = self.world
        if t == "Folder":
            return self.inv.folder_children(ref._moId)
        if t == "Datacenter":
            dc = w.datacenters[ref._moId]
            n = ref._moId.rsplit("-", 1)[-1]
            return [vim.Folder(dc.host_folder), vim.Folder(dc.vm_folder),
                    vim.Folder(f"group-s{n}"), vim.Folder(f"group-n{n}")]
        if t in ("ClusterComputeResource", "ComputeResource"):
            return [*(self.get(ref, "host") or []), self.get(ref, "resourcePool")]
        if t == "HostSystem":
            return list(self.get(ref, "vm") or [])
        if t == "ResourcePool":
            return [*(self.get(ref, "resourcePool") or []), *(self.get(ref, "vm") or [])]
        return []

    def view_objects(self, view: ViewState) -> list[Any]:
        """Objects of the view's types inside its container (the whole subtree if recursive)."""
        out: list[Any] = []
        seen: set[str] = set()
        todo = list(self.children(view.container))
        while todo:
            ref = todo.pop(0)
            if ref._moId in seen:
                continue
            seen.add(ref._moId)
            if not view.types or any(isinstance(ref, t) for t in view.types):
                out.append(ref)
            if view.recursive:
                todo.extend(self.children(ref))
        return out

    # -- RetrieveProperties ---------------------------------------------------------------
    def validate(self, specs: list[Any]) -> None:
        for spec in specs:
            for ps in spec.propSet or []:
                for path in ps.pathSet or []:
                    try:
                        path_type(ps.type, path)
                    except InvalidPath:
                        raise SoapFault(soap_faults.invalid_property(path)) from None
            if not spec.objectSet:
                raise SoapFault(soap_faults.invalid_argument("FilterSpec.objectSet is empty", "objectSet"))

    def select(self, spec: Any, missing_ok: bool = False) -> list[Any]:
        """The objects an ObjectSpec list selects (with traversal), in traversal order."""
        found: dict[str, Any] = {}
        for ospec in spec.objectSet:
            named: dict[str, Any] = {}
            _collect_named(ospec.selectSet or [], named)
            if not self.exists(ospec.obj):
                if missing_ok:
                    continue
                raise SoapFault(soap_faults.not_found(ospec.obj))
            start = self.check(ospec.obj)
            self._visit(start, ospec.selectSet or [], bool(ospec.skip), named, found, set())
        return list(found.values())

    def _visit(self, ref: Any, selects: list[Any], skip: bool, named: dict[str, Any],
               found: dict[str, Any], seen: set[tuple[str, str]]) -> None:
        if not skip and ref._moId not in found:
            found[ref._moId] = ref
        for sel in selects:
            ts = sel if isinstance(sel, PC.TraversalSpec) else named.get(sel.name)
            if ts is None:
                raise SoapFault(soap_faults.invalid_argument(f"unknown SelectionSpec name '{sel.name}'", "selectSet"))
            if not isinstance(ref, ts.type):
                continue
            mark = (ref._moId, ts.name or f"{VmomiSupport.GetWsdlName(ts.type)}.{ts.path}")
            if mark in seen:
                continue
            seen.add(mark)
            try:
                path_type(ts.type, ts.path)
            except InvalidPath:
                raise SoapFault(soap_faults.invalid_property(ts.path)) from None
            val = self.get(ref, ts.path)
            targets = val if isinstance(val, list) else [val] if val is not None else []
            for child in targets:
                if isinstance(child, VmomiSupport.ManagedObject) and self.exists(child):
                    self._visit(self.check(child), ts.selectSet or [], bool(ts.skip), named, found, seen)

    def paths_for(self, ref: Any, spec: Any) -> tuple[bool, list[str]] | None:
        """(all, paths) the PropertySpecs ask for this object, None if no spec matches its type."""
        matched = False
        want_all = False
        paths: list[str] = []
        for ps in spec.propSet or []:
            if isinstance(ref, ps.type):
                matched = True
                want_all = want_all or bool(ps.all)
                paths.extend(p for p in ps.pathSet or [] if p not in paths)
        if not matched:
            return None
        if want_all:
            paths.extend(p for p in self.builders(ref) if p not in paths)
        return want_all, paths

    def values(self, ref: Any, paths: list[str]) -> dict[str, Any]:
        """path -> value in its declared wire type (unset paths left out): the one place property
        values are typed for RetrieveProperties(Ex), WaitForUpdates(Ex) and the Fetch accessor."""
        out: dict[str, Any] = {}
        builders = self.builders(ref)
        for path in paths:
            builder = builders.get(path.partition(".")[0])
            if builder is None:
                continue
            try:
                val, declared = resolve(type(ref), path, builder(), has_root=True)
            except InvalidPath:
                continue       # a step the actual value does not have (e.g. drsConfig of a standalone host)
            if val is not None:
                out[path] = wire_value(val, declared)
        return out

    def retrieve(self, specs: list[Any]) -> list[Any]:
        self.validate(specs)
        merged: dict[str, tuple[Any, dict[str, Any]]] = {}
        for spec in specs:
            for ref in self.select(spec):
                want = self.paths_for(ref, spec)
                if want is None:
                    continue
                vals = self.values(ref, want[1])
                if ref._moId in merged:
                    merged[ref._moId][1].update(vals)
                else:
                    merged[ref._moId] = (ref, vals)
        return [PC.ObjectContent(obj=ref, propSet=[vmodl.DynamicProperty(name=k, val=v) for k, v in vals.items()])
                for ref, vals in merged.values()]

    # -- paging --------------------------------------------------------------------------
    def page(self, objects: list[Any], max_objects: int | None) -> Any:
        size = max_objects if max_objects and max_objects > 0 else DEFAULT_PAGE_SIZE
        if not objects:
            return None
        first, rest = objects[:size], objects[size:]
        result = PC.RetrieveResult(objects=first)
        if rest:
            token = str(uuid.uuid4())
            self.state.pages[token] = [size, rest]  # type: ignore[list-item]
            result.token = token
        return result

    def continue_page(self, token: str) -> Any:
        entry = self.state.pages.pop(token, None)
        if entry is None:
            raise SoapFault(soap_faults.invalid_argument(f"unknown or finished token '{token}'", "token"))
        size, rest = entry
        first, rest = rest[:size], rest[size:]
        result = PC.RetrieveResult(objects=first)
        if rest:
            self.state.pages[token] = [size, rest]
            result.token = token
        return result


def _collect_named(selects: list[Any], named: dict[str, Any]) -> None:
    for sel in selects:
        if isinstance(sel, PC.TraversalSpec):
            if sel.name and sel.name not in named:
                named[sel.name] = sel
                _collect_named(sel.selectSet or [], named)
            elif not sel.name:
                _collect_named(sel.selectSet or [], named)


def user_session(session: Session, state: SessionState) -> Any:
    import datetime as _dt

    def ts(x: float) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(x, tz=_dt.UTC)

    return vim.UserSession(
        key=state.key,
        userName=session.user,
        fullName=session.user.split("@")[0],
        loginTime=ts(session.created),
        lastActiveTime=ts(session.last_used),
        locale="en",
        messageLocale="en",
        extensionSession=False,
        ipAddress="127.0.0.1",
        userAgent="pyvmomi",
        callCount=0,
    )
