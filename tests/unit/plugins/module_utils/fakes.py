# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles: a scripted HTTP transport (stands in for requests.Session) and a fake REST client."""

from __future__ import annotations

import base64
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
        if callable(kwargs.get("auth")):  # the client's UTF-8 basic auth: record what goes on the wire
            call["auth_object"] = kwargs["auth"]
            call["auth"] = basic_credentials(kwargs["auth"])
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


def basic_credentials(auth: Callable[[Any], Any]) -> tuple[str, str]:
    """(user, password) of the ``Authorization: Basic`` header a requests auth callable sets, decoded as UTF-8."""

    class _Request:
        headers: dict[str, str] = {}

    request = _Request()
    request.headers = {}
    auth(request)
    scheme, encoded = request.headers["Authorization"].split(" ", 1)
    assert scheme == "Basic", scheme
    user, password = base64.b64decode(encoded).decode("utf-8").split(":", 1)
    return user, password


def login_ok(session_id: str = "sid-1") -> FakeResponse:
    return FakeResponse(201, session_id)


def vapi_error(status: int, error_type: str, *messages: str) -> FakeResponse:
    return FakeResponse(status, {"error_type": error_type,
                                 "messages": [{"id": "x", "default_message": m, "args": []} for m in messages]})


# ---------------------------------------------------------------- sample vLCM payloads (binding field names)
NO_NOTES = {"info": [], "warnings": [], "errors": []}
BNXT = {"display_name": "Broadcom NetXtreme-E", "vendor": "Broadcom"}


def note(text, fix=None):
    out = {"id": "n", "time": "2026-01-01T00:00:00.000Z", "type": "WARNING",
           "message": {"id": "m", "default_message": text, "args": []}}
    if fix:
        out["resolution"] = {"id": "r", "default_message": fix, "args": []}
    return out


def host_compliance(status, base_current, base_target="8.0.3-0.35.24280767", impact="REBOOT_REQUIRED"):
    return {
        "status": status, "impact": impact if status != "COMPLIANT" else "NO_IMPACT", "stage_status": "NOT_STAGED",
        "notifications": NO_NOTES, "scan_time": "2026-11-23T12:00:00.000Z", "commit": "2",
        "base_image": {"status": "COMPLIANT" if base_current == base_target else "NON_COMPLIANT",
                       "stage_status": "NOT_STAGED", "notifications": NO_NOTES,
                       "current": {"version": base_current, "details": {"display_name": "ESXi", "display_version": "8.0 U3a",
                                                                        "release_date": "2024-06-25T00:00:00.000Z"}},
                       "target": {"version": base_target, "details": {"display_name": "ESXi", "display_version": "8.0 U3b",
                                                                      "release_date": "2024-09-17T00:00:00.000Z"}}},
        "add_on": {"status": "COMPLIANT", "notifications": NO_NOTES,
                   "current": {"name": "DEL-ESXi", "version": "803.24022510-A00"},
                   "target": {"name": "DEL-ESXi", "version": "803.24022510-A00"}},
        "components": {
            "bnxtnet": {"status": "NON_COMPLIANT", "notifications": NO_NOTES, "current_source": "ADD_ON",
                        "target_source": "USER",
                        "current": {"version": "228.0.1", "details": BNXT},
                        "target": {"version": "230.0.5", "details": BNXT}},
            "nvme-pcie": {"status": "COMPLIANT", "notifications": NO_NOTES,
                          "current": {"version": "1.2.4"}, "target": {"version": "1.2.4"}},
        },
        "solutions": {},
        "hardware_support": {"com.dell.HSM": {
            "status": "INCOMPATIBLE", "stage_status": "NOT_STAGED", "notifications": {"errors": [note("no fw")]},
            "current": {"pkg": "DellFW", "version": "1.0"}, "target": {"pkg": "DellFW", "version": "2.0"},
            "hardware_modules": {"bios": {"status": "NON_COMPLIANT", "current": {"version": "2.1"},
                                          "target": {"version": "2.4"}, "notifications": NO_NOTES}}}},
    }


def software_info():
    """The desired image (``GET .../software``) that host_compliance() was computed against (its targets)."""
    return {"base_image": {"version": "8.0.3-0.35.24280767", "details": {"display_name": "ESXi"}},
            "add_on": {"name": "DEL-ESXi", "version": "803.24022510-A00"},
            "components": {"bnxtnet": {"version": "230.0.5", "details": BNXT}}, "solutions": {},
            "hardware_support": {"packages": {"com.dell.HSM": {"pkg": "DellFW", "version": "2.0"}}}}


def cluster_compliance():
    return {
        "impact": "REBOOT_REQUIRED", "status": "NON_COMPLIANT", "stage_status": "NOT_STAGED",
        "notifications": {"warnings": [note("Cluster has 1 host that is not compliant.", "Remediate the cluster.")]},
        "scan_time": "2026-11-23T12:00:00.000Z", "commit": "2",
        "compliant_hosts": ["host-11"], "non_compliant_hosts": ["host-10"], "incompatible_hosts": [],
        "unavailable_hosts": ["host-12"],
        "hosts": {"host-10": host_compliance("NON_COMPLIANT", "8.0.3-0.30.24022510"),
                  "host-11": host_compliance("COMPLIANT", "8.0.3-0.35.24280767")},
        "host_info": {"host-10": {"name": "esx-b"}, "host-11": {"name": "esx-a"}, "host-12": {"name": "esx-c"}},
    }


class _FakeRaw:
    """urllib3's ``HTTPResponse.read1`` stand-in: hands out the scripted pieces (bytes, or an exception to raise)."""

    def __init__(self, pieces: list[Any]) -> None:
        self.pieces = list(pieces)

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        if not self.pieces:
            return b""
        item = self.pieces.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item


class FakeStream:
    """A streamed 200 answer whose body arrives in ``pieces``; ``Content-Length`` is their total unless given."""

    def __init__(self, pieces: list[Any], status: int = 200, headers: dict[str, str] | None = None,
                 length: int | None = None) -> None:
        self.status_code = status
        total = sum(len(p) for p in pieces if isinstance(p, bytes)) if length is None else length
        self.headers = {"Content-Length": str(total), "Content-Type": "application/zip", **(headers or {})}
        self.raw = _FakeRaw(pieces)
        self.content = b""
        self.closed = False

    def close(self) -> None:
        self.closed = True
