"""The simulator's own admin API under /sim/ (not vCenter's; no authentication).

GET /sim/state, GET /sim/counters, GET /sim/events, GET /sim/sessions, GET|POST|DELETE /sim/faults, POST /sim/reset.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from werkzeug.wrappers import Request, Response

from ..core import faults
from ..core.clock import iso
from ..core.hosts import maintenance_host_seconds, partial_maintenance_host_seconds
from ..model import Host, Image, World
from ..vlcm import depots, drafts, export, livepatch
from ..vlcm.policies import effective_policies
from ..vlcm.targets import Target


class App(Protocol):
    """What the admin API needs of the application: its world, and a reset to the scenario."""

    world: World

    def reset(self) -> None: ...


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, indent=None), status=status, mimetype="application/json")


def _error(status: int, msg: str) -> Response:
    return _json({"error": msg}, status)


def image_dict(img: Image | None) -> dict[str, Any] | None:
    if img is None:
        return None
    return {"base_image": img.base_image,
            "add_on": {"name": img.add_on[0], "version": img.add_on[1]} if img.add_on else None,
            "components": dict(img.components),
            "hardware_support": {m: {"pkg": p, "version": v} for m, (p, v) in img.hardware_support.items()},
            "removed_components": sorted(img.removed_components)}


def _live_patch(world: World, host: Host, cache: dict[str, Any]) -> dict[str, Any]:
    """The live patch verdict of a host against its desired image (vlcm.livepatch.summary)."""
    if host.cluster is not None:
        cl = world.clusters[host.cluster]
        if not cl.image_managed or cl.desired_commit is None:
            return livepatch.summary(world, None, host, None, None)
        if cl.id not in cache:
            target = Target("cluster", cl)
            cache[cl.id] = (target, cl.commits[cl.desired_commit].image, effective_policies(world, target))
        target, desired, policies = cache[cl.id]
        return livepatch.summary(world, target, host, desired, policies)
    if host.desired_commit is None:
        return livepatch.summary(world, None, host, None, None)
    target = Target("host", host)
    return livepatch.summary(world, target, host, host.commits[host.desired_commit].image,
                             effective_policies(world, target))


def state(world: World) -> dict[str, Any]:
    lp_cache: dict[str, Any] = {}
    with world.lock:
        return {
            "scenario": world.scenario_name,
            "time_scale": world.time_scale,
            "durations": {k: float(v) for k, v in vars(world.durations).items()},
            "vcenter": {"version": world.vcenter_version, "build": world.vcenter_build},
            "datacenters": [{"id": d.id, "name": d.name, "host_folder": d.host_folder, "vm_folder": d.vm_folder}
                            for d in world.datacenters.values()],
            "clusters": [{"id": c.id, "name": c.name, "datacenter": c.datacenter, "image_managed": c.image_managed,
                          "drs_enabled": c.drs_enabled, "drs_behavior": c.drs_behavior, "ha_enabled": c.ha_enabled,
                          "admission_control": c.admission_control, "desired_commit": c.desired_commit,
                          "desired_image": image_dict(c.commits[c.desired_commit].image) if c.desired_commit else None,
                          "vsan": c.vsan, "policies": dict(c.policies), "busy": c.busy or (
                              "fault" if faults.cluster_blocked(world, c.id) else None)}
                         for c in world.clusters.values()],
            "hosts": [{"id": h.id, "name": h.name, "datacenter": h.datacenter, "cluster": h.cluster,
                       "version": h.version, "build": h.build, "connection_state": h.connection_state,
                       "power_state": h.power_state, "in_maintenance": h.in_maintenance,
                       "entering_maintenance": h.entering_maintenance,
                       "in_partial_maintenance": h.in_partial_maintenance,
                       "partial_maintenance_status": h.partial_maintenance_status,
                       "live_patch": _live_patch(world, h, lp_cache), "installed": image_dict(h.installed),
                       "staged": image_dict(h.staged), "staged_commit": h.staged_commit,
                       "compliance_status": (h.compliance or {}).get("status"),
                       "stage_status": (h.compliance or {}).get("stage_status"),
                       "firmware_stageable": h.firmware_stageable, "tpm": h.tpm, "dpu": h.dpu,
                       "cpu_mhz": h.cpu_mhz, "memory_mb": h.memory_mb, "desired_commit": h.desired_commit,
                       "busy": h.busy}
                      for h in world.hosts.values()],
            "vms": [{"id": v.id, "name": v.name, "host": v.host, "power_state": v.power_state,
                     "cpu_mhz": v.cpu_mhz, "memory_mb": v.memory_mb, "fault_tolerance": v.fault_tolerance,
                     "directpath": v.directpath, "shared_disk": v.shared_disk, "vsphere_pod": v.vsphere_pod,
                     "fsr_incompatible": getattr(livepatch.fsr_blocker(v), "code", None),
                     "live_patch_pending": v.id in getattr(world.hosts.get(v.host), "live_patch_pending_vms", ())}
                    for v in world.vms.values()],
            "tasks": [{"id": t.id, "operation": t.operation, "target": t.target, "protocol": t.protocol,
                       "status": t.status, "progress": t.progress_completed, "error": t.error,
                       "created": iso(t.created), "started": iso(t.started),
                       "finished": iso(t.finished)}
                      for t in world.tasks.values()],
            "drafts": drafts.state(world), "offline_depots": depots.state(world), "exports": export.state(world),
        }


def counters(world: World) -> dict[str, Any]:
    with world.lock:
        c = world.counters
        live = {"rest": 0, "soap": 0}
        now = time.time()
        for s in world.sessions.values():
            if world.session_idle_timeout <= 0 or now - s.last_used <= world.session_idle_timeout:
                live[s.protocol] = live.get(s.protocol, 0) + 1
        return {"logins": dict(c.logins), "logouts": dict(c.logouts), "live_sessions": live,
                "calls": dict(c.calls), "soap_methods": dict(c.soap_methods), "maintenance_host_seconds": round(maintenance_host_seconds(world), 3),
                "evacuations": c.evacuations, "reboots": c.reboots, "host_scans": c.host_scans,
                "fsrs": c.fsrs, "live_patched_hosts": c.live_patched_hosts,
                "partial_maintenance_host_seconds": round(partial_maintenance_host_seconds(world), 3),
                "hosts_in_partial_maintenance_now": sum(1 for h in world.hosts.values()
                                                        if h.partial_maintenance_status != "notInPartialMM"),
                "downloads": c.downloads, "installs": c.installs,
                "export_downloads": c.export_downloads, "depot_imports": c.depot_imports,
                "hosts_in_maintenance_now": sum(1 for h in world.hosts.values() if h.in_maintenance),
                "max_hosts_in_maintenance": c.max_hosts_in_maintenance,
                "max_hosts_in_maintenance_per_cluster": dict(c.max_hosts_in_maintenance_per_cluster),
                "capacity_violations": c.capacity_violations,
                "capacity_violation_log": list(c.capacity_violation_log),
                "running_tasks": c.running_tasks, "max_concurrent_tasks": c.max_concurrent_tasks}


def handle(app: App, request: Request) -> Response:
    world = app.world
    path = request.path.rstrip("/")
    method = request.method
    if path == "/sim/state" and method == "GET":
        return _json(state(world))
    if path == "/sim/counters" and method == "GET":
        return _json(counters(world))
    if path == "/sim/events" and method == "GET":
        with world.lock:
            return _json(list(world.events))
    if path == "/sim/sessions" and method == "GET":
        # every session id issued since the simulator started (resets included), for scans of test outputs
        with world.lock:
            return _json({"issued": [{"protocol": p, "id": sid} for p, sid in world.issued_sessions],
                          "live": sorted(world.sessions)})
    if path == "/sim/faults":
        if method == "GET":
            with world.lock:
                return _json([dict(f) for f in world.faults])
        if method == "DELETE":
            faults.clear(world)
            return Response(status=204)
        if method == "POST":
            try:
                body = json.loads(request.get_data() or b"null")
            except ValueError as exc:
                return _error(400, f"request body is not valid JSON: {exc}")
            items = body if isinstance(body, list) else [body]
            try:
                for f in items:          # validate all first: all or nothing
                    faults.normalize(world, f)
                stored = [faults.add(world, f) for f in items]
            except faults.FaultError as exc:
                return _error(400, str(exc))
            return _json(stored, 201)
    if path == "/sim/reset" and method == "POST":
        app.reset()
        return _json({"reset": True, "scenario": app.world.scenario_name})
    return _error(404, f"no admin operation {method} {request.path} (see docs/simulator.md)")
