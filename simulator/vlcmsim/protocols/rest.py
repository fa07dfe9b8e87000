"""REST (/api) handlers: session, cis/tasks, vcenter inventory lists; shared helpers.

The esx/settings (vLCM) handlers are in rest_settings.py. Field names are the binding
field names (snake_case), enum values UPPER_CASE, datetimes RFC 3339 with 'Z'.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from ..core.clock import iso
from ..core.errors import VapiError, message, vapi_error
from ..core.sessions import login, logout
from ..model import Task, World
from .http import Ctx, Router, error_response, json_response, no_content

# list limits of vCenter's /api/vcenter/* list operations (UNABLE_TO_ALLOCATE_RESOURCE beyond)
LIMITS = {"host": 2500, "vm": 4000, "cluster": 1000, "datacenter": 1000}


# --------------------------------------------------------------------------- tasks


def task_info(world: World, task: Task) -> dict[str, Any]:
    """com.vmware.cis.task.info of a task."""
    with world.lock:
        op = task.operation.rsplit(".", 1)[-1]
        info: dict[str, Any] = {
            "description": message(f"{task.service}.{op}", task.description),
            "service": task.service,
            "operation": op,
            "status": task.status,
            "cancelable": task.cancelable,
            "user": task.user,
        }
        if task.status != "PENDING":     # binding union: a PENDING task has no progress or start_time
            info["progress"] = {"total": task.progress_total, "completed": task.progress_completed,
                                "message": message(f"{task.service}.{op}.progress",
                                                   task.progress_message or task.status.capitalize())}
        if task.target:
            info["target"] = {"type": task.target_type or "ManagedObject", "id": task.target}
        if task.started is not None and task.status != "PENDING":
            info["start_time"] = iso(task.started)
        if task.finished is not None:
            info["end_time"] = iso(task.finished)
        if task.status == "SUCCEEDED" and task.result is not None:
            info["result"] = task.result
        if task.status == "FAILED" and task.error is not None:
            info["error"] = {k: v for k, v in task.error.items() if k in ("error_type", "messages", "data")}
        return info


def respond_task(ctx: Ctx, start: Callable[[], Task], timeout: float = 3600.0) -> Response:
    """`vmw-task=true`: return the task id; otherwise run it to completion and return its result."""
    task = start()
    if ctx.task_mode:
        return json_response(task.id)
    deadline = time.monotonic() + timeout
    while task.status not in ("SUCCEEDED", "FAILED") and time.monotonic() < deadline:
        time.sleep(0.01)
    if task.status == "FAILED" and task.error:
        return error_response({k: v for k, v in task.error.items() if k in ("error_type", "messages")})
    if task.status != "SUCCEEDED":
        return error_response(vapi_error("TIMED_OUT", f"Operation {task.operation} did not complete."))
    return json_response(task.result)


def get_task(ctx: Ctx) -> Response:
    tid = ctx.params["task"]
    with ctx.world.lock:
        task = ctx.world.tasks.get(tid)
    if task is None:
        raise VapiError("NOT_FOUND", f"Task {tid} not found.", "com.vmware.cis.tasks.not_found", [tid])
    return json_response(task_info(ctx.world, task))


def list_tasks(ctx: Ctx) -> Response:
    want = set(ctx.query_list("tasks") or [])
    services = set(ctx.query_list("services") or [])
    status = set(ctx.query_list("status") or [])
    with ctx.world.lock:
        tasks = [t for t in ctx.world.tasks.values() if t.protocol == "rest"
                 and (not want or t.id in want) and (not services or t.service in services)
                 and (not status or t.status in status)]
    return json_response({t.id: task_info(ctx.world, t) for t in tasks})


# --------------------------------------------------------------------------- session


def create_session(ctx: Ctx) -> Response:
    auth = ctx.request.headers.get("Authorization", "")
    user = password = None
    if auth.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            user = None
    if user is None or password is None:
        raise VapiError("UNAUTHENTICATED", "Authentication required: send HTTP basic credentials.",
                        "com.vmware.vapi.endpoint.method.authentication.required")
    sess = login(ctx.world, user, password, "rest")
    if sess is None:
        raise VapiError("UNAUTHENTICATED", f"Invalid user name or password for user '{user}'.",
                        "com.vmware.vapi.endpoint.method.authentication.failed", [user])
    return json_response(sess.id, 201)


def get_session_info(ctx: Ctx) -> Response:
    s = ctx.session
    assert s is not None
    return json_response({"user": s.user, "created_time": iso(s.created), "last_accessed_time": iso(s.last_used)})


def delete_session(ctx: Ctx) -> Response:
    assert ctx.session is not None
    logout(ctx.world, ctx.session.id)
    return no_content()


# --------------------------------------------------------------------------- inventory


def _limit(kind: str, items: list[Any]) -> None:
    if len(items) > LIMITS[kind]:
        raise VapiError("UNABLE_TO_ALLOCATE_RESOURCE",
                        f"Too many {kind}s match the filter ({len(items)}; the limit is {LIMITS[kind]}). "
                        "Narrow the filter.", "com.vmware.api.vcenter.max_results_exceeded",
                        [str(LIMITS[kind])])


def _bool_arg(ctx: Ctx, name: str) -> bool | None:
    vals = ctx.query_list(name)
    if not vals:
        return None
    v = vals[0].lower()
    if v not in ("true", "false"):
        raise VapiError("INVALID_ARGUMENT", f"Invalid value '{vals[0]}' for '{name}': expected true or false.")
    return v == "true"


def _enum_args(ctx: Ctx, name: str, allowed: set[str]) -> set[str] | None:
    vals = ctx.query_list(name)
    if vals is None:
        return None
    bad = [v for v in vals if v not in allowed]
    if bad:
        raise VapiError("INVALID_ARGUMENT", f"Invalid value '{bad[0]}' for '{name}': expected one of "
                                            f"{', '.join(sorted(allowed))}.", args=[name])
    return set(vals)


def list_datacenters(ctx: Ctx) -> Response:
    ids, names, folders = (set(ctx.query_list(n) or []) for n in ("datacenters", "names", "folders"))
    with ctx.world.lock:
        out = [{"datacenter": d.id, "name": d.name} for d in ctx.world.datacenters.values()
               if (not ids or d.id in ids) and (not names or d.name in names) and (not folders or "group-d1" in folders)]
    _limit("datacenter", out)
    return json_response(out)


def get_datacenter(ctx: Ctx) -> Response:
    did = ctx.params["datacenter"]
    with ctx.world.lock:
        d = ctx.world.datacenters.get(did)
        if d is None:
            raise VapiError("NOT_FOUND", f"Datacenter {did} not found.", args=[did])
        return json_response({"name": d.name, "datastore_folder": d.host_folder.replace("group-h", "group-s"),
                              "host_folder": d.host_folder, "network_folder": d.host_folder.replace("group-h", "group-n"),
                              "vm_folder": d.vm_folder})


def list_clusters(ctx: Ctx) -> Response:
    ids, names, folders, dcs = (set(ctx.query_list(n) or []) for n in ("clusters", "names", "folders", "datacenters"))
    w = ctx.world
    with w.lock:
        out = [{"cluster": c.id, "name": c.name, "ha_enabled": c.ha_enabled, "drs_enabled": c.drs_enabled}
               for c in w.clusters.values()
               if (not ids or c.id in ids) and (not names or c.name in names) and (not dcs or c.datacenter in dcs)
               and (not folders or w.datacenters[c.datacenter].host_folder in folders)]
    _limit("cluster", out)
    return json_response(out)


def get_cluster(ctx: Ctx) -> Response:
    cid = ctx.params["cluster"]
    with ctx.world.lock:
        c = ctx.world.clusters.get(cid)
        if c is None:
            raise VapiError("NOT_FOUND", f"Cluster {cid} not found.", args=[cid])
        return json_response({"name": c.name, "resource_pool": "resgroup-" + c.id.split("-c")[-1]})


_CONN = {"connected": "CONNECTED", "disconnected": "DISCONNECTED", "notResponding": "NOT_RESPONDING"}


def list_hosts(ctx: Ctx) -> Response:
    ids, names, folders, dcs, clusters, uuids = (set(ctx.query_list(n) or []) for n in (
        "hosts", "names", "folders", "datacenters", "clusters", "host_uuids"))
    standalone = _bool_arg(ctx, "standalone")
    states = _enum_args(ctx, "connection_states", set(_CONN.values()))
    w = ctx.world
    with w.lock:
        out = []
        for h in sorted(w.hosts.values(), key=lambda h: h.name):
            if (ids and h.id not in ids) or (names and h.name not in names) or (dcs and h.datacenter not in dcs) \
                    or (clusters and h.cluster not in clusters) or (uuids and h.uuid not in uuids) \
                    or (folders and w.datacenters[h.datacenter].host_folder not in folders) \
                    or (standalone is not None and (h.cluster is None) != standalone) \
                    or (states and _CONN[h.connection_state] not in states):
                continue
            item: dict[str, Any] = {"host": h.id, "name": h.name, "connection_state": _CONN[h.connection_state],
                                    "host_uuid": h.uuid}
            if h.connection_state == "connected":
                item["power_state"] = "POWERED_ON" if h.power_state == "poweredOn" else \
                    "STANDBY" if h.power_state == "standBy" else "POWERED_OFF"
            out.append(item)
    _limit("host", out)
    return json_response(out)


_POWER = {"poweredOn": "POWERED_ON", "poweredOff": "POWERED_OFF", "suspended": "SUSPENDED"}


def list_vms(ctx: Ctx) -> Response:
    ids, names, folders, dcs, hosts, clusters, pools = (set(ctx.query_list(n) or []) for n in (
        "vms", "names", "folders", "datacenters", "hosts", "clusters", "resource_pools"))
    states = _enum_args(ctx, "power_states", set(_POWER.values()))
    w = ctx.world
    with w.lock:
        out = []
        for vm in sorted(w.vms.values(), key=lambda v: v.name):
            h = w.hosts[vm.host]
            if (ids and vm.id not in ids) or (names and vm.name not in names) or (hosts and vm.host not in hosts) \
                    or (dcs and h.datacenter not in dcs) or (clusters and h.cluster not in clusters) \
                    or (folders and w.datacenters[h.datacenter].vm_folder not in folders) \
                    or (pools and (h.cluster is None or "resgroup-" + h.cluster.split("-c")[-1] not in pools)) \
                    or (states and _POWER[vm.power_state] not in states):
                continue
            out.append({"vm": vm.id, "name": vm.name, "power_state": _POWER[vm.power_state],
                        "cpu_count": max(1, vm.cpu_mhz // 1000), "memory_size_MiB": vm.memory_mb})
    _limit("vm", out)
    return json_response(out)


def register(router: Router) -> None:
    router.add("POST", "/session", create_session, auth=False)
    router.add("GET", "/session", get_session_info)
    router.add("DELETE", "/session", delete_session)
    router.add("GET", "/cis/tasks/{task}", get_task)
    router.add("GET", "/cis/tasks", list_tasks)
    router.add("GET", "/vcenter/datacenter", list_datacenters)
    router.add("GET", "/vcenter/datacenter/{datacenter}", get_datacenter)
    router.add("GET", "/vcenter/cluster", list_clusters)
    router.add("GET", "/vcenter/cluster/{cluster}", get_cluster)
    router.add("GET", "/vcenter/host", list_hosts)
    router.add("GET", "/vcenter/vm", list_vms)
