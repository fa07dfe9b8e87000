"""The SOAP endpoint `/sdk`, spoken with pyVmomi's own types so a pyVmomi client sees vCenter.

`handle(world, request)` is what the server calls.  The codec is `soap_codec` (pyVmomi's
deserializer and serializer), the methods are `soap_methods` (sessions, tasks, SearchIndex)
and `soap_collector_methods` (views, property collectors), the inventory and its properties
`soap_inventory`, property paths and wire types `soap_types`, per-session collector state
and retrieval `soap_collector`, update reporting `soap_updates`, faults `soap_faults`.

Sessions use the `vmware_soap_session` cookie set by SessionManager.Login; every method but
RetrieveServiceContent, CurrentTime and Login requires one (vim.fault.NotAuthenticated).
`GET /sdk/vimServiceVersions.xml` lists the API versions (pyVim's SmartConnect reads it).
"""

from __future__ import annotations

import logging
from typing import Any
from xml.parsers.expat import ExpatError

import werkzeug
from pyVmomi import VmomiSupport, vmodl

from ..core.sessions import get_session
from ..model import World
from . import soap_collector_methods, soap_faults, soap_methods
from .soap_codec import (
    BadThis,
    SoapParseError,
    fault_response,
    parse_request,
    request_version,
    response_body,
    service_versions_xml,
)
from .soap_faults import SoapFault
from .soap_inventory import wsdl_name
from .soap_methods import COOKIE_NAME, NO_SESSION_METHODS, Context, session_id
from .soap_types import InvalidPath, path_type

__all__ = ["COOKIE_NAME", "handle", "session_id"]

log = logging.getLogger(__name__)
HANDLERS = {**soap_methods.HANDLERS, **soap_collector_methods.HANDLERS}


# --------------------------------------------------------------------------- entry point
def handle(world: World, request: werkzeug.Request) -> werkzeug.Response:
    """Serve one request under /sdk."""
    path = request.path.rstrip("/")
    if request.method == "GET":
        if path.endswith("/vimServiceVersions.xml"):
            return werkzeug.Response(service_versions_xml(world), status=200, content_type="text/xml; charset=utf-8")
        return werkzeug.Response("Not found\n", status=404, content_type="text/plain")
    if request.method != "POST":
        return werkzeug.Response("Method not allowed\n", status=405, content_type="text/plain",
                                 headers={"Allow": "GET, POST"})
    version = request_version(request, world)
    try:
        call = parse_request(request.get_data(), version)
    except BadThis as err:
        return fault_response(vmodl.fault.InvalidRequest(msg=str(err)), version)
    except (ExpatError, SoapParseError, TypeError, KeyError, AttributeError, ValueError) as err:
        fault = vmodl.fault.InvalidRequest(msg=f"Unable to parse the SOAP request: {err}")
        return fault_response(fault, version)
    with world.lock:
        methods = world.counters.soap_methods
        methods[call.name] = methods.get(call.name, 0) + 1
    ctx = Context(world=world, request=request, version=version, call=call)
    try:
        result, info = dispatch(ctx)
    except SoapFault as sf:
        return fault_response(sf.fault, version, ctx.cookies)
    except Exception as err:  # noqa: BLE001 - never a traceback on the wire
        log.exception("SOAP %s failed", call.name)
        return fault_response(vmodl.fault.SystemError(reason=f"internal simulator error: {err!r}",
                                                      msg=f"internal simulator error: {err!r}"), version)
    body = response_body(call.name, result, info, version)
    resp = werkzeug.Response(body, status=200, content_type="text/xml; charset=utf-8")
    for header in ctx.cookies:
        resp.headers.add("Set-Cookie", header)
    return resp


def dispatch(ctx: Context) -> tuple[Any, Any]:
    """Check method, receiver type and session; run the handler. Returns (result, method info)."""
    call = ctx.call
    handler = HANDLERS.get(call.name)
    if call.name != "Fetch":
        if handler is None or call.info is None:
            raise SoapFault(vmodl.fault.MethodNotFound(
                receiver=call.this, method=call.name, msg=f"Method {call.name} is not implemented by this simulator"))
        if not isinstance(call.this, call.info.type):
            raise SoapFault(vmodl.fault.MethodNotFound(
                receiver=call.this, method=call.name, msg=f"{wsdl_name(call.this)} has no method {call.name}"))
    if call.name in NO_SESSION_METHODS:
        assert handler is not None
        return handler(ctx, call.this, call.args), call.info
    ctx.session = get_session(ctx.world, session_id(ctx.request))
    if ctx.session is None:
        raise SoapFault(soap_faults.not_authenticated(call.this))
    if call.name == "Fetch":
        return _fetch(ctx)
    assert handler is not None
    with ctx.world.lock:
        this = ctx.space().check(call.this)
    return handler(ctx, this, call.args), call.info


def _fetch(ctx: Context) -> tuple[Any, Any]:
    """The pyVmomi property accessor: `Fetch(_this, prop)` returns one property's value."""
    prop = ctx.call.args.get("prop", "")
    this = ctx.call.this
    try:
        declared = path_type(type(this), prop)
    except InvalidPath:
        raise SoapFault(soap_faults.invalid_property(prop)) from None
    with ctx.world.lock:
        space = ctx.space()
        this = space.check(this)
        value = space.values(this, [prop]).get(prop)
    info = VmomiSupport.Object(name="Fetch", result=declared, resultFlags=VmomiSupport.F_OPTIONAL)
    return value, info
