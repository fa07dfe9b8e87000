"""The WSGI application and the cheroot HTTPS server.

Routes: /api/... -> rest.py (+ rest_settings.py), /sdk -> soap.handle(world, request) (lazily
imported; 501 if absent), /sim/... -> admin.py. Request faults (faults.py) apply to /api and
/sdk, never to /sim. Calls are counted per route template in Counters.calls.
"""

from __future__ import annotations

import errno
import importlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import engine, faults
from .engine import VapiError, vapi_error
from .model import Session, World

log = logging.getLogger("vlcmsim")

STATUS = {"INVALID_ARGUMENT": 400, "NOT_ALLOWED_IN_CURRENT_STATE": 400, "ALREADY_IN_DESIRED_STATE": 400,
          "ALREADY_EXISTS": 400, "RESOURCE_BUSY": 400, "RESOURCE_IN_USE": 400, "UNSUPPORTED": 400,
          "INVALID_REQUEST": 400, "UNABLE_TO_ALLOCATE_RESOURCE": 400, "RESOURCE_INACCESSIBLE": 400,
          "UNAUTHENTICATED": 401, "UNAUTHORIZED": 403, "NOT_FOUND": 404, "OPERATION_NOT_FOUND": 404,
          "CONCURRENT_CHANGE": 409, "ERROR": 500, "INTERNAL_SERVER_ERROR": 500,
          "SERVICE_UNAVAILABLE": 503, "TIMED_OUT": 504}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def no_content() -> Response:
    """204 without a body or Content-Type (the vAPI client rejects a non-JSON content type)."""
    resp = Response(status=204)
    del resp.headers["Content-Type"]
    return resp


def error_response(err: VapiError | dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    body = err.body if isinstance(err, VapiError) else err
    return json_response(body, STATUS.get(body["error_type"], 500), headers)


@dataclass
class Ctx:
    """One REST request as handlers see it."""

    world: World
    request: Request
    params: dict[str, str]
    session: Session | None = None
    _body: Any = field(default=None)
    _parsed: bool = False

    @property
    def user(self) -> str:
        return self.session.user if self.session else ""

    def body(self) -> Any:
        if not self._parsed:
            raw = self.request.get_data(cache=True)
            self._parsed = True
            if raw.strip():
                try:
                    self._body = json.loads(raw)
                except ValueError as exc:
                    raise VapiError("INVALID_ARGUMENT", f"The request body is not valid JSON: {exc}") from exc
        return self._body

    def spec(self, allowed: set[str]) -> dict[str, Any]:
        body = self.body()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise VapiError("INVALID_ARGUMENT", "The request body must be a JSON object.")
        for key in body:
            if key not in allowed:
                raise VapiError("INVALID_ARGUMENT", f"Unknown field '{key}' in the request body "
                                                    f"(expected: {', '.join(sorted(allowed))}).", args=[key])
        return body

    def query_list(self, name: str) -> list[str] | None:
        values = self.request.args.getlist(name) + self.request.args.getlist(f"filter.{name}")
        return values or None

    @property
    def task_mode(self) -> bool:
        return self.request.args.get("vmw-task", "").lower() == "true"


Handler = Callable[[Ctx], Response]


class Router:
    """REST routes: (method, template, action) -> handler, matched with werkzeug on the path."""

    def __init__(self) -> None:
        self.handlers: dict[tuple[str, str, str | None], tuple[Handler, bool]] = {}
        self._rules: set[str] = set()
        self.map = Map(strict_slashes=False)

    def add(self, method: str, template: str, handler: Handler, action: str | None = None,
            auth: bool = True) -> None:
        self.handlers[(method, template, action)] = (handler, auth)
        if template not in self._rules:
            self._rules.add(template)
            rule = template.replace("{", "<").replace("}", ">")
            self.map.add(Rule(rule, endpoint=template))

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        try:
            endpoint, params = self.map.bind("localhost").match(path, method="GET")
        except (NotFound, MethodNotAllowed):
            return None
        return str(endpoint), dict(params)


def build_router() -> Router:
    from . import rest, rest_settings
    router = Router()
    rest.register(router)
    rest_settings.register(router)
    return router


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
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/sim" or path.startswith("/sim/"):
            from . import admin
            return admin.handle(self, request)
        world = self.world
        action = request.args.get("action")
        route = self.router.match(path[4:]) if path.startswith("/api/") else None
        key = f"{request.method} " + (f"/api{route[0]}" if route else ("/sdk" if path == "/sdk" else path))
        if action:
            key += f"?action={action}"
        self.count(key)
        fault = faults.match_request(world, request.method, path, action)
        if fault is not None:
            early = self.apply_fault(fault, request)
            if early is not None:
                return early
        if path == "/sdk" or path.startswith("/sdk/"):
            return self.soap(request)
        if not path.startswith("/api/") or route is None:
            return error_response(vapi_error("NOT_FOUND", f"No operation is found at {request.method} {path}.",
                                             "com.vmware.vapi.rest.httpNotFound"))
        return self.rest(request, route[0], route[1], action)

    def apply_fault(self, fault: dict[str, Any], request: Request) -> Response | None:
        ftype = fault["type"]
        if ftype == "slow":
            time.sleep(float(fault.get("seconds", 1)))
            return None
        if ftype == "reset_connection":
            # cheroot closes the socket without writing a response for this errno
            raise ConnectionResetError(errno.ECONNRESET, "connection reset by the simulator (fault)")
        if ftype == "expire_session":
            sid = request.headers.get("vmware-api-session-id") or _soap_cookie(request)
            engine.expire_session(self.world, sid)
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
        try:
            soap = importlib.import_module("vlcmsim.soap")
        except ModuleNotFoundError as exc:
            if exc.name != "vlcmsim.soap":
                raise
            return Response("SOAP endpoint not available in this build", status=501, mimetype="text/plain")
        return soap.handle(self.world, request)

    def rest(self, request: Request, template: str, params: dict[str, str], action: str | None) -> Response:
        world = self.world
        entry = self.router.handlers.get((request.method, template, action))
        if entry is None and action is not None:
            entry = None
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
            ctx.session = engine.get_session(world, sid)
            if ctx.session is None:
                return error_response(vapi_error(
                    "UNAUTHENTICATED", "Authentication required." if not sid else "The session is not valid "
                    "or has expired; log in again.", "com.vmware.vapi.endpoint.method.authentication.required"))
        try:
            return handler(ctx)
        except VapiError as exc:
            return error_response(exc)


def _soap_cookie(request: Request) -> str | None:
    value = request.cookies.get("vmware_soap_session")
    return value.strip('"') if value else None


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
