"""The SOAP methods of views and property collectors.

ViewManager.CreateContainerView / View.DestroyView; PropertyCollector: RetrieveProperties(Ex),
ContinueRetrievePropertiesEx, CancelRetrievePropertiesEx, CreateFilter /
DestroyPropertyFilter, WaitForUpdates(Ex), CheckForUpdates, CancelWaitForUpdates, and
CreatePropertyCollector / DestroyPropertyCollector (a session-scoped collector whose filters
and update versions are its own, as govmomi's task waiter and govc use).  State is the
session's `soap_collector.SessionState`; update reporting is `soap_updates`.
"""

from __future__ import annotations

from typing import Any

from pyVmomi import vim, vmodl

from ..core.sessions import get_session
from . import soap_faults
from .soap_collector import DEFAULT_COLLECTOR, CollectorState, FilterState, ViewState
from .soap_faults import SoapFault
from .soap_inventory import wsdl_name
from .soap_methods import Context, Handler, registry
from .soap_updates import wait_for_updates

PC = vmodl.query.PropertyCollector
HANDLERS: dict[str, Handler] = {}
_method = registry(HANDLERS)


# --------------------------------------------------------------------------- views
@_method("CreateContainerView")
def _create_container_view(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    space = ctx.space()
    with ctx.world.lock:
        container = space.check(args.get("container"))
    if wsdl_name(container) not in ("Folder", "Datacenter", "ClusterComputeResource", "ComputeResource",
                                    "HostSystem", "ResourcePool"):
        raise SoapFault(soap_faults.invalid_argument(
            f"{wsdl_name(container)} cannot be the container of a ContainerView", "container"))
    types = []
    for t in args.get("type") or []:
        if not (isinstance(t, type) and issubclass(t, vim.ManagedEntity)):
            raise SoapFault(soap_faults.invalid_argument(f"type '{t}' is not a managed entity type", "type"))
        types.append(t)
    moid = space.state.new_moid()
    space.state.views[moid] = ViewState(moid=moid, container=container, types=types,
                                        recursive=bool(args.get("recursive")))
    return vim.view.ContainerView(moid)


@_method("DestroyView")
def _destroy_view(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    ctx.space().state.views.pop(this._moId, None)
    return None


# --------------------------------------------------------------------------- retrieving
@_method("RetrieveProperties")
def _retrieve_properties(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    space = ctx.space()
    with ctx.world.lock:
        return PC.ObjectContent.Array(space.retrieve(list(args.get("specSet") or [])))


@_method("RetrievePropertiesEx")
def _retrieve_properties_ex(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    space = ctx.space()
    options = args.get("options")
    max_objects = getattr(options, "maxObjects", None)
    if max_objects is not None and max_objects < 0:
        raise SoapFault(soap_faults.invalid_argument("maxObjects must not be negative", "maxObjects"))
    with ctx.world.lock:
        objects = space.retrieve(list(args.get("specSet") or []))
    return space.page(objects, max_objects)


@_method("ContinueRetrievePropertiesEx")
def _continue_retrieve(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    return ctx.space().continue_page(args.get("token") or "")


@_method("CancelRetrievePropertiesEx")
def _cancel_retrieve(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    space = ctx.space()
    if space.state.pages.pop(args.get("token") or "", None) is None:
        raise SoapFault(soap_faults.invalid_argument(f"unknown token '{args.get('token')}'", "token"))
    return None


# --------------------------------------------------------------------------- collectors and filters
def _collector(ctx: Context, this: Any) -> CollectorState:
    coll = ctx.space().state.collectors.get(this._moId)
    if coll is None:          # destroyed between the dispatcher's check and now
        raise SoapFault(soap_faults.not_found(this))
    return coll


@_method("CreatePropertyCollector")
def _create_property_collector(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    state = ctx.space().state
    moid = state.new_moid()
    with state.lock:
        state.collectors[moid] = CollectorState(moid)
    return PC(moid)


@_method("DestroyPropertyCollector")
def _destroy_property_collector(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    if this._moId == DEFAULT_COLLECTOR:
        raise SoapFault(vmodl.fault.NotSupported(
            msg="The session's default PropertyCollector (ServiceContent.propertyCollector) cannot be destroyed; "
                "destroy collectors made with CreatePropertyCollector"))
    state = ctx.space().state
    with state.lock:
        coll = state.collectors.pop(this._moId, None)
        if coll is not None:
            coll.destroyed = True          # a wait on it ends with RequestCanceled
            coll.filters.clear()
    return None


@_method("CreateFilter")
def _create_filter(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    space = ctx.space()
    coll = _collector(ctx, this)
    spec = args.get("spec")
    if spec is None:
        raise SoapFault(soap_faults.invalid_argument("spec is required", "spec"))
    with ctx.world.lock:
        space.validate([spec])
        space.select(spec)          # ManagedObjectNotFound for a missing start object, as vCenter
    moid = space.state.new_moid()
    with space.state.lock:
        coll.filters[moid] = FilterState(moid=moid, spec=spec, partial_updates=bool(args.get("partialUpdates")))
    return PC.Filter(moid)


@_method("DestroyPropertyFilter")
def _destroy_filter(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    state = ctx.space().state
    with state.lock:
        owner = state.filter_owner(this._moId)
        if owner is not None:
            owner.filters.pop(this._moId, None)
    return None


# --------------------------------------------------------------------------- updates
def _wait(ctx: Context, this: Any, version: str | None, max_wait: float | None) -> Any:
    space = ctx.space()
    coll = _collector(ctx, this)
    assert ctx.session is not None
    sid = ctx.session.id
    return wait_for_updates(space, coll, version, max_wait, lambda: get_session(ctx.world, sid) is not None)


@_method("WaitForUpdatesEx")
def _wait_for_updates_ex(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    options = args.get("options")
    max_wait = getattr(options, "maxWaitSeconds", None)
    return _wait(ctx, this, args.get("version"), None if max_wait is None else float(max_wait))


@_method("WaitForUpdates")
def _wait_for_updates(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    result = _wait(ctx, this, args.get("version"), None)
    if result is None:   # the legacy call always answers with an UpdateSet
        result = PC.UpdateSet(version=str(_collector(ctx, this).version), filterSet=[])
    return result


@_method("CheckForUpdates")
def _check_for_updates(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    return _wait(ctx, this, args.get("version"), 0.0)


@_method("CancelWaitForUpdates")
def _cancel_wait(ctx: Context, this: Any, args: dict[str, Any]) -> Any:
    state = ctx.space().state
    coll = _collector(ctx, this)
    with state.lock:
        coll.cancel_wait = True
    return None
