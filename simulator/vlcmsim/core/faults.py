"""Injectable faults: request faults (applied by the server) and state faults (used by the engine).

A fault is a plain dict (the admin API's JSON object). Request faults match on optional
`method`, `path` (fnmatch glob on the URL path without query) and `action` (the `action`
query value) and fire `count` times (default 1):

    {"type": "http_status", "status": 503, "retry_after": 1}
    {"type": "reset_connection"}                      (before the request is handled)
    {"type": "reset_connection", "after_response": true}   (handled, then the answer is lost)
    {"type": "reset_connection", "after_bytes": 4096}      (handled; headers and the first 4096 bytes of the
                                                            body sent, then the connection is reset: a
                                                            download cut in the middle)
    {"type": "slow", "seconds": 2}
    {"type": "expire_session"}

State faults:

    {"type": "host_fail", "host": "<id or name>", "phase": "download|enter_maintenance|install|reboot|exit_maintenance", "count": 1}
    {"type": "host_stall", "host": "<id or name>", "phase": "download|install|reboot|hostd_restart|fsr",
     "seconds": 30, "count": 1}
                                         (the phase takes `seconds` more real seconds: a task that outlasts a wait)
    {"type": "host_disconnect", "host": "<id or name>"}          (applied immediately)
    {"type": "host_disconnect", "host": "<id or name>", "phase": "download|enter_maintenance|install|reboot|exit_maintenance"}
                                         (when the host reaches that phase it drops off vCenter: disconnected, the
                                          phase fails; a host that disconnects mid-task)
    {"type": "host_reconnect", "host": "<id or name>"}           (applied immediately: connected again)
    {"type": "host_hang", "host": "<id or name>", "phase": "download|install|reboot"}
                                         (the phase does not end until the faults are cleared (DELETE /sim/faults)
                                          or the simulator is reset: a task that never ends)
    {"type": "cluster_busy", "cluster": "<id or name>"}           (until the faults are cleared)
"""

from __future__ import annotations

import fnmatch
from typing import Any

from ..model import World

REQUEST_TYPES = {"http_status", "reset_connection", "slow", "expire_session"}
STATE_TYPES = {"host_fail", "host_stall", "host_disconnect", "host_reconnect", "host_hang", "cluster_busy"}
HANG_PHASES = {"download", "install", "reboot"}
HANG_POLL = 0.05          # real seconds between two looks at a hung phase's fault
STALL_PHASES = {"download", "install", "reboot", "hostd_restart", "fsr"}
PHASES = {"download", "enter_maintenance", "install", "reboot", "exit_maintenance"}


class FaultError(ValueError):
    """A fault object that cannot be accepted (the message names the field)."""


def _resolve(world: World, kind: str, ref: Any) -> str:
    table = world.hosts if kind == "host" else world.clusters
    if not isinstance(ref, str) or not ref:
        raise FaultError(f"fault field '{kind}' must be a {kind} id or name")
    if ref in table:
        return ref
    for obj in table.values():
        if obj.name == ref:
            return obj.id
    known = ", ".join(sorted(o.name for o in table.values())[:20])
    raise FaultError(f"fault field '{kind}': no {kind} with id or name '{ref}' (known: {known})")


def normalize(world: World, fault: Any) -> dict[str, Any]:
    """Validate one fault object and return the stored form (ids resolved, count set)."""
    if not isinstance(fault, dict):
        raise FaultError("a fault must be a JSON object")
    ftype = fault.get("type")
    if ftype not in REQUEST_TYPES | STATE_TYPES:
        raise FaultError(f"fault field 'type': unknown type {ftype!r}; "
                         f"expected one of {sorted(REQUEST_TYPES | STATE_TYPES)}")
    out = dict(fault)
    count = out.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise FaultError("fault field 'count' must be a positive integer")
    out["count"] = count
    if ftype in REQUEST_TYPES:
        for key in ("method", "path", "action"):
            if key in out and not isinstance(out[key], str):
                raise FaultError(f"fault field '{key}' must be a string")
        if "method" in out:
            out["method"] = out["method"].upper()
        if ftype == "http_status":
            status = out.get("status", 503)
            if not isinstance(status, int) or not 400 <= status <= 599:
                raise FaultError("fault field 'status' must be an HTTP error status (400-599)")
            out["status"] = status
            ra = out.get("retry_after")
            if ra is not None and (not isinstance(ra, (int, float)) or ra < 0):
                raise FaultError("fault field 'retry_after' must be a non-negative number")
        if ftype == "reset_connection" and not isinstance(out.get("after_response", False), bool):
            raise FaultError("fault field 'after_response' must be true or false")
        if ftype == "reset_connection" and "after_bytes" in out:
            cut = out["after_bytes"]
            if not isinstance(cut, int) or isinstance(cut, bool) or cut < 0:
                raise FaultError("fault field 'after_bytes' must be a non-negative integer")
            if out.get("after_response"):
                raise FaultError("fault fields 'after_bytes' and 'after_response' exclude each other")
        if ftype == "slow":
            secs = out.get("seconds", 1)
            if not isinstance(secs, (int, float)) or secs < 0:
                raise FaultError("fault field 'seconds' must be a non-negative number")
            out["seconds"] = secs
    elif ftype == "host_fail":
        out["host"] = _resolve(world, "host", out.get("host"))
        if out.get("phase") not in PHASES:
            raise FaultError(f"fault field 'phase' must be one of {sorted(PHASES)}")
    elif ftype == "host_stall":
        out["host"] = _resolve(world, "host", out.get("host"))
        if out.get("phase") not in STALL_PHASES:
            raise FaultError(f"fault field 'phase' must be one of {sorted(STALL_PHASES)}")
        secs = out.get("seconds", 60)
        if not isinstance(secs, (int, float)) or isinstance(secs, bool) or secs < 0:
            raise FaultError("fault field 'seconds' must be a non-negative number")
        out["seconds"] = secs
    elif ftype in ("host_disconnect", "host_reconnect"):
        out["host"] = _resolve(world, "host", out.get("host"))
        if ftype == "host_disconnect" and "phase" in out and out["phase"] not in PHASES:
            raise FaultError(f"fault field 'phase' must be one of {sorted(PHASES)}")
        if ftype == "host_reconnect" and "phase" in out:
            raise FaultError("fault field 'phase' is not accepted by host_reconnect (it applies immediately)")
    elif ftype == "host_hang":
        out["host"] = _resolve(world, "host", out.get("host"))
        if out.get("phase") not in HANG_PHASES:
            raise FaultError(f"fault field 'phase' must be one of {sorted(HANG_PHASES)}")
    elif ftype == "cluster_busy":
        out["cluster"] = _resolve(world, "cluster", out.get("cluster"))
    return out


def add(world: World, fault: Any) -> dict[str, Any]:
    """Store (or, for host_disconnect without a phase and host_reconnect, apply) one fault; returns the stored
    form."""
    stored = normalize(world, fault)
    with world.lock:
        if stored["type"] == "host_disconnect" and "phase" not in stored:
            world.hosts[stored["host"]].connection_state = "disconnected"
            return stored
        if stored["type"] == "host_reconnect":
            world.hosts[stored["host"]].connection_state = "connected"
            return stored
        world.faults.append(stored)
    return stored


def clear(world: World) -> None:
    with world.lock:
        world.faults.clear()


def match_request(world: World, method: str, path: str, action: str | None) -> dict[str, Any] | None:
    """Consume and return the first request fault matching this request, if any."""
    with world.lock:
        for fault in world.faults:
            if fault["type"] not in REQUEST_TYPES:
                continue
            if fault.get("method") and fault["method"] != method.upper():
                continue
            if fault.get("path") and not fnmatch.fnmatchcase(path, fault["path"]):
                continue
            if fault.get("action") is not None and fault["action"] != action:
                continue
            fault["count"] -= 1
            if fault["count"] <= 0:
                world.faults.remove(fault)
            return dict(fault)
    return None


def take_host_fail(world: World, host_id: str, phase: str) -> bool:
    """True (and one count consumed) if a host_fail fault targets this host at this phase, or a host_disconnect
    fault with this phase (the host is then disconnected: the phase fails because the host dropped off)."""
    with world.lock:
        for fault in world.faults:
            if fault["type"] == "host_disconnect" and fault["host"] == host_id and fault.get("phase") == phase:
                world.faults.remove(fault)
                world.hosts[host_id].connection_state = "disconnected"
                return True
            if fault["type"] == "host_fail" and fault["host"] == host_id and fault["phase"] == phase:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    world.faults.remove(fault)
                return True
    return False


def take_host_stall(world: World, host_id: str, phase: str) -> float:
    """Extra real seconds for this host's phase (and one count consumed), 0 when no host_stall fault targets it."""
    with world.lock:
        for fault in world.faults:
            if fault["type"] == "host_stall" and fault["host"] == host_id and fault["phase"] == phase:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    world.faults.remove(fault)
                return float(fault["seconds"])
    return 0.0


def wait_while_hung(world: World, host_id: str, phase: str) -> float:
    """Block while a host_hang fault targets this host at this phase (until DELETE /sim/faults, or until the
    simulator is reset: the old world is then closed); returns the real seconds waited."""
    import time

    start = time.monotonic()
    while True:
        with world.lock:
            hung = not world.closed and any(f["type"] == "host_hang" and f["host"] == host_id and f["phase"] == phase
                                            for f in world.faults)
        if not hung:
            return time.monotonic() - start
        time.sleep(HANG_POLL)


def cluster_blocked(world: World, cluster_id: str) -> bool:
    with world.lock:
        return any(f["type"] == "cluster_busy" and f["cluster"] == cluster_id for f in world.faults)
