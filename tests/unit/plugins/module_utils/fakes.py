# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles: a scripted HTTP transport (stands in for requests.Session) and a fake REST client."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


class FakeResponse:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.headers = headers or {}
        self.content = b"" if body is None else jsonlib.dumps(body).encode()

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class FakeSession:
    """Answers each request with the next scripted item (a FakeResponse, an exception, or a callable)."""

    def __init__(self, script: list[Any] | None = None, *, handler: Callable[..., Any] | None = None) -> None:
        self.script = list(script or [])
        self.handler = handler
        self.calls: list[dict[str, Any]] = []
        self.headers: dict[str, str] = {}
        self.closed = False

    def request(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        call = {"method": method, "url": url, "path": urlsplit(url).path, **kwargs}
        self.calls.append(call)
        if self.handler is not None:
            item = self.handler(call)
        else:
            if not self.script:
                raise AssertionError(f"unexpected request {method} {url}")
            item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self.closed = True


def login_ok(session_id: str = "sid-1") -> FakeResponse:
    return FakeResponse(201, session_id)


def vapi_error(status: int, error_type: str, *messages: str) -> FakeResponse:
    return FakeResponse(status, {"error_type": error_type,
                                 "messages": [{"id": "x", "default_message": m, "args": []} for m in messages]})
