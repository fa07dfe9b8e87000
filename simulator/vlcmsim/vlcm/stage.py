"""Staging (`stage`): download the desired image to hosts in parallel, outside maintenance mode.

Hosts of unknown compliance are scanned first; compliant and already staged hosts are skipped;
firmware that the host's hardware support manager cannot stage leaves the host NOT_STAGED but the
stage succeeds (seed 000)."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..core import faults
from ..core.clock import iso, scaled, sleep_phase
from ..core.errors import TaskFailed, message, vapi_error
from ..core.tasks import set_progress
from ..model import Commit, Host, Task, World
from .compliance import compliance_unknown, rescan_hosts, scan
from .images import is_fully_staged, is_software_staged, new_notes, note, stageable_part
from .targets import Target, busy_check, check_commit, select_hosts, start_exclusive


def host_status(status: str, start: float, end: float, notes: dict[str, Any] | None = None,
                 progress: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "start_time": iso(start), "end_time": iso(end),
                           "notifications": notes or new_notes()}
    if progress and status not in ("SKIPPED", "TIMED_OUT"):     # binding union: no progress for those
        out["progress"] = {"total": 100, "completed": 100 if status != "RUNNING" else 0,
                           "message": message("com.vmware.vcIntegrity.lifecycle.Progress", status)}
    return out


def stage_hosts(world: World, target: Target, commit: Commit, hosts: list[Host],
                 task: Task | None, base_progress: int, span: int) -> dict[str, dict[str, Any]]:
    """Download the image to `hosts` in parallel (one thread per host). Returns host id -> status."""
    results: dict[str, dict[str, Any]] = {}
    done = [0]

    def one(host: Host) -> None:
        start = time.time()
        notes = new_notes()
        with world.lock:
            connected = host.connection_state == "connected"
        if not connected:
            notes["errors"].append(note("errors", "com.vmware.vcIntegrity.lifecycle.HostNotConnected",
                                         f"Host {host.name} is not connected.", [host.name]))
            status = "ERROR"
        else:
            faults.wait_while_hung(world, host.id, "download")
            sleep_phase(world, scaled(world, "download") + faults.take_host_stall(world, host.id, "download"))
            world.record_phase(host, "download", start, time.time())
            if faults.take_host_fail(world, host.id, "download"):
                notes["errors"].append(note("errors", "com.vmware.vcIntegrity.lifecycle.StageFailed",
                                             f"Staging the image on host {host.name} failed: the download of "
                                             "the depot content did not complete.", [host.name]))
                status = "ERROR"
            else:
                with world.lock:
                    host.staged = stageable_part(commit.image, host)
                    host.staged_commit = commit.id
                    world.counters.downloads += 1
                    if commit.image.hardware_support and not host.firmware_stageable:
                        notes["warnings"].append(note(
                            "warnings", "com.vmware.vcIntegrity.lifecycle.FirmwareStagingNotSupported",
                            f"Firmware staging is not supported on host {host.name}; the software was staged "
                            "and the firmware will be installed during remediation.", [host.name]))
                status = "OK"
        with world.lock:
            results[host.id] = host_status(status, start, time.time(), notes)
            done[0] += 1
        set_progress(world, task, base_progress + span * done[0] // max(1, len(hosts)),
                     f"Staged {done[0]} of {len(hosts)} hosts")

    threads = [threading.Thread(target=one, args=(h,), daemon=True) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def start_stage(world: World, target: Target, spec: dict[str, Any], user: str) -> Task:
    with world.lock:
        commit = check_commit(world, target, spec.get("commit"))
        hosts = select_hosts(world, target, spec.get("hosts")) if target.kind == "cluster" else target.hosts(world)
        busy_check(world, target)
        return start_exclusive(world, target, "stage", user, f"Stage the desired image to {target.name}",
                               lambda task: _stage(world, target, commit, hosts, task))


def _stage(world: World, target: Target, commit: Commit, hosts: list[Host], task: Task) -> dict[str, Any]:
    start = time.time()
    with world.lock:   # hosts of unknown compliance trigger a compliance check (of the whole target) first
        unknown = [h for h in target.hosts(world) if compliance_unknown(h, commit)]
    if unknown:
        scan(world, target, task, unknown)
    with world.lock:
        skipped = [h for h in hosts if h.compliance["status"] != "NON_COMPLIANT" or  # type: ignore[index]
                   is_software_staged(h, commit) or is_fully_staged(h, commit) or h.installed == commit.image]
        to_stage = [h for h in hosts if h not in skipped]
    statuses = stage_hosts(world, target, commit, to_stage, task, 20, 75)
    now = time.time()
    for h in skipped:
        notes = new_notes()
        comp = h.compliance or {}
        why = ("already runs the desired image (VMs still on the revision from before a live patch)"
               if comp.get("status") == "NON_COMPLIANT" and h.installed == commit.image else
               "is already staged" if comp.get("status") == "NON_COMPLIANT" else
               f"is {str(comp.get('status', 'UNKNOWN')).lower().replace('_', '-')}")
        notes["info"].append(note("info", "com.vmware.vcIntegrity.lifecycle.StageSkipped",
                                   f"Host {h.name} {why}; nothing to stage.", [h.name]))
        statuses[h.id] = host_status("SKIPPED", start, now, notes)
    with world.lock:
        rescan_hosts(world, target, [h for h in hosts if h.connection_state == "connected"])
        failed = [h.id for h in hosts if statuses[h.id]["status"] == "ERROR"]
        ok = [h.id for h in hosts if statuses[h.id]["status"] == "OK"]
        skip = [h.id for h in hosts if statuses[h.id]["status"] == "SKIPPED"]
        overall = host_status("ERROR" if failed else "OK", start, time.time())
        if target.kind == "cluster":
            result: dict[str, Any] = {
                "status": overall, "commit": commit.id,
                "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in hosts},
                "host_status": statuses, "successful_hosts": ok, "failed_hosts": failed,
                "skipped_hosts": skip, "notifications": new_notes()}
        else:
            h = hosts[0]
            st = statuses[h.id]
            result = {"status": {**overall, "status": st["status"], "notifications": st["notifications"]},
                      "commit": commit.id, "host_info": {"name": h.name, "is_vsan_witness": False},
                      "notifications": st["notifications"]}
        target.obj.last_stage_result = result
    if failed:
        names = ", ".join(world.hosts[i].name for i in failed)
        raise TaskFailed(vapi_error("ERROR", f"Staging failed on host(s) {names} of {target.name}.",
                                    "com.vmware.vcIntegrity.lifecycle.StageTaskFailed", [names]))
    return result
