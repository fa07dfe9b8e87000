"""The one place that wires the simulator: the WSGI application (routes /api to the REST handlers,
/sdk to SOAP, /sim to the admin API; request faults; call counters) and the cheroot HTTPS server."""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from werkzeug.wrappers import Request, Response

from .core import faults
from .core.errors import VapiError, vapi_error
from .core.sessions import expire_session, get_session
from .model import World
from .protocols import admin, files, rest, rest_depots, rest_drafts, rest_settings, soap
from .protocols.http import Ctx, Router, error_response, json_response

log = logging.getLogger("vlcmsim")


def build_router() -> Router:
    router = Router()
    rest.register(router)
    rest_settings.register(router)
    rest_drafts.register(router)
    rest_depots.register(router)
    return router


def _cut_body(body: Iterable[bytes], limit: int) -> Iterable[bytes]:
    """The first ``limit`` bytes of a response body, then a connection reset (fault ``after_bytes``): the client
    has the headers (with the full Content-Length) and part of the body when the connection drops."""
    sent = 0
    try:
        for chunk in body:
            room = limit - sent
            if len(chunk) >= room:
                if room:
                    yield chunk[:room]
                break
            sent += len(chunk)
            yield chunk
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    raise ConnectionResetError(errno.ECONNRESET, f"connection reset by the simulator after {limit} bytes (fault)")


class App:
    """The WSGI app. `world` can be swapped by /sim/reset (the loader is kept for that)."""

    def __init__(self, world: World, loader: Callable[[], World]) -> None:
        self.world = world
        self.loader = loader
        self.router = build_router()
        self.started = time.time()

    def reset(self) -> None:
        new = self.loader()
        new.time_scale = self.world.time_scale
        new.username, new.password = self.world.username, self.world.password
        new.state_dir = self.world.state_dir
        with self.world.lock:
            self.world.closed = True
            new.issued_sessions = list(self.world.issued_sessions)
        self.world = new

    def count(self, key: str) -> None:
        with self.world.lock:
            calls = self.world.counters.calls
            calls[key] = calls.get(key, 0) + 1

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except ConnectionResetError:
            raise
        except VapiError as exc:
            response = error_response(exc)
        except Exception as exc:  # noqa: BLE001 - never leak a traceback page to a client
            log.exception("internal error on %s %s", request.method, request.path)
            response = error_response(vapi_error("ERROR", f"internal simulator error: {exc!r}"))
        body = response(environ, start_response)
        cut = getattr(response, "cut_after_bytes", None)
        return body if cut is None else _cut_body(body, cut)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/sim" or path.startswith("/sim/"):
            return admin.handle(self, request)
        world = self.world
        action = request.args.get("action")
        route = self.router.match(path[4:]) if path.startswith("/api/") else None
        key = f"{request.method} " + (f"/api{route[0]}" if route else ("/sdk" if path == "/sdk" else path))
        if action:
            key += f"?action={action}"
        self.count(key)
        fault = faults.match_request(world, request.method, path, action)
        reset_after = fault is not None and fault["type"] == "reset_connection" and bool(fault.get("after_response"))
        cut_after = fault.get("after_bytes") if fault is not None and fault["type"] == "reset_connection" else None
        if fault is not None and not reset_after and cut_after is None:
            early = self.apply_fault(fault, request)
            if early is not None:
                return early
        if path == "/sdk" or path.startswith("/sdk/"):
            response = self.soap(request)
        elif files.handles(path):
            response = files.handle(world, request)
        elif not path.startswith("/api/") or route is None:
            response = error_response(vapi_error("NOT_FOUND", f"No operation is found at {request.method} {path}.",
                                                 "com.vmware.vapi.rest.httpNotFound"))
        else:
            response = self.rest(request, route[0], route[1], action)
        if reset_after:
            # the request was carried out; the client never sees the answer
            raise ConnectionResetError(errno.ECONNRESET, "connection reset by the simulator after the request (fault)")
        if cut_after is not None:
            response.cut_after_bytes = int(cut_after)   # __call__ sends that much of the body, then resets
        return response

    def apply_fault(self, fault: dict[str, Any], request: Request) -> Response | None:
        ftype = fault["type"]
        if ftype == "slow":
            time.sleep(float(fault.get("seconds", 1)))
            return None
        if ftype == "reset_connection":
            # cheroot closes the socket without writing a response for this errno
            raise ConnectionResetError(errno.ECONNRESET, "connection reset by the simulator (fault)")
        if ftype == "expire_session":
            sid = request.headers.get("vmware-api-session-id") or soap.session_id(request)
            expire_session(self.world, sid)
            return None
        status = int(fault.get("status", 503))
        headers = {}
        if fault.get("retry_after") is not None:
            headers["Retry-After"] = str(int(fault["retry_after"]) if float(fault["retry_after"]).is_integer()
                                         else fault["retry_after"])
        etype = {503: "SERVICE_UNAVAILABLE", 500: "ERROR", 504: "TIMED_OUT", 401: "UNAUTHENTICATED",
                 403: "UNAUTHORIZED", 404: "NOT_FOUND", 409: "CONCURRENT_CHANGE"}.get(status, "ERROR")
        body = vapi_error(etype, f"The service is temporarily unavailable (injected HTTP {status}).")
        return json_response(body, status, headers)

    def soap(self, request: Request) -> Response:
        return soap.handle(self.world, request)

    def rest(self, request: Request, template: str, params: dict[str, str], action: str | None) -> Response:
        world = self.world
        entry = self.router.handlers.get((request.method, template, action))
        if entry is None:
            allowed = sorted({m for (m, t, a) in self.router.handlers if t == template and a == action})
            what = f"{request.method} /api{template}" + (f"?action={action}" if action else "")
            return error_response(vapi_error("NOT_FOUND", f"No operation is found at {what}"
                                             + (f" (supported: {', '.join(allowed)})." if allowed else "."),
                                             "com.vmware.vapi.rest.httpNotFound"))
        handler, auth = entry
        ctx = Ctx(world=world, request=request, params=params)
        if auth:
            sid = request.headers.get("vmware-api-session-id")
            ctx.session = get_session(world, sid)
            if ctx.session is None:
                return error_response(vapi_error(
                    "UNAUTHENTICATED", "Authentication required." if not sid else "The session is not valid "
                    "or has expired; log in again.", "com.vmware.vapi.endpoint.method.authentication.required"))
        try:
            return handler(ctx)
        except VapiError as exc:
            return error_response(exc)


# --------------------------------------------------------------------------- serving


class Server:
    """cheroot's threaded WSGI server, with TLS unless `insecure_http`."""

    def __init__(self, app: App, host: str, port: int, cert: str | None, key: str | None,
                 threads: int = 64) -> None:
        self.app = app
        self.httpd = wsgi.Server((host, port), app, numthreads=threads, server_name="vlcmsim",
                                 timeout=30, request_queue_size=256, shutdown_timeout=2)
        if cert and key:
            self.httpd.ssl_adapter = BuiltinSSLAdapter(cert, key)
        self.httpd.prepare()

    @property
    def port(self) -> int:
        return int(self.httpd.bind_addr[1])

    def serve(self) -> None:
        self.httpd.serve()

    def stop(self) -> None:
        self.httpd.stop()
