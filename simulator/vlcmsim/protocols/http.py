"""HTTP helpers of the REST surface: vAPI error statuses, JSON replies, the request context and the router."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..core.errors import VapiError
from ..model import Session, World

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
