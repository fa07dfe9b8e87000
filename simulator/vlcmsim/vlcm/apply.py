"""Remediation (`apply`), the last-apply-result report and the apply impact.

Apply stages what is not staged, then per host (one at a time, or in batches with the parallel
remediation policy): maintenance mode (DRS evacuates), install, reboot, exit; failure_action retries;
a failed host stays staged. Results are shaped like `Software.ApplyResult` / `ApplyImpact`."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..core import faults
from ..core.clock import scaled, sleep_phase
from ..core.errors import OpError, TaskFailed, VapiError, message, vapi_error
from ..core.hosts import enter_maintenance, exit_maintenance, vmotion_blocker
from ..core.tasks import set_progress
from ..model import Commit, Host, Task, World
from .check import host_blockers
from .compliance import compliance_unknown, compute_host_compliance, rescan_hosts, scan
from .images import is_fully_staged, is_software_staged, new_notes, note
from .policies import effective_policies
from .stage import host_status, stage_hosts
from .targets import Target, busy_check, check_commit, desired_commit, select_hosts, start_exclusive


def _phase(world: World, host: Host, phase: str, duration: str) -> None:
    start = time.time()
    sleep_phase(world, scaled(world, duration) + faults.take_host_stall(world, host.id, phase))
    world.record_phase(host, phase, start, time.time())
    if faults.take_host_fail(world, host.id, phase):
        raise OpError("SystemError", f"Host {host.name} failed during {phase.replace('_', ' ')} (injected fault).")


def _remediate_host(world: World, target: Target, commit: Commit, host: Host,
                    policies: dict[str, Any], task: Task) -> tuple[str, dict[str, Any], float]:
    """Enter maintenance, install, reboot, exit; with the failure_action retries. (status, notes, start)."""
    start = time.time()
    notes = new_notes()
    fa = policies.get("failure_action") or {"action": "FAIL"}
    attempts = 1 + (int(fa.get("retry_count") or 0) if fa.get("action") == "RETRY" else 0)
    delay = float(fa.get("retry_delay") or 0) * world.time_scale
    power_action = policies.get("pre_remediation_power_action", "DO_NOT_CHANGE_VMS_POWER_STATE")
    restored: list[tuple[str, str]] = []      # (vm id, original power state) changed by the policy
    for attempt in range(1, attempts + 1):
        try:
            with world.lock:
                if host.connection_state != "connected":
                    raise OpError("HostNotConnected", f"Host {host.name} is not connected.")
                if not host.in_maintenance:
                    errors, _warn = host_blockers(world, target, host, policies)
                    if errors:
                        raise OpError("InvalidState", " ".join(e for e, _ in errors))
                    if power_action != "DO_NOT_CHANGE_VMS_POWER_STATE":
                        cl = world.clusters.get(host.cluster) if host.cluster else None
                        drs_auto = cl is not None and cl.drs_enabled and cl.drs_behavior == "fullyAutomated"
                        for vm in list(world.vms.values()):
                            if vm.host == host.id and vm.power_state == "poweredOn" and \
                                    (not drs_auto or vmotion_blocker(vm)):
                                restored.append((vm.id, vm.power_state))
                                vm.power_state = "poweredOff" if power_action == "POWER_OFF_VMS" else "suspended"
            if not host.in_maintenance:
                enter_maintenance(world, host.id, bool(policies.get("evacuate_offline_vms")), None)
            with world.lock:
                installed = host.installed == commit.image
            if not installed:
                with world.lock:
                    need_download = not (is_software_staged(host, commit) or is_fully_staged(host, commit))
                if need_download:   # the staged content was removed: re-stage (firmware installs now)
                    stage_hosts(world, target, commit, [host], None, 0, 0)
                _phase(world, host, "install", "install")
                with world.lock:
                    world.counters.installs += 1
                # the new image is written to the alternate boot bank; it is the installed
                # image only once the host has rebooted into it (a failed reboot is retried)
                quick = bool(policies.get("enable_quick_boot"))
                with world.lock:
                    world.counters.reboots += 1
                _phase(world, host, "reboot", "quick_boot_reboot" if quick else "reboot")
                with world.lock:
                    host.installed = commit.image.copy()
                    host.staged = None
                    host.staged_commit = None
            exit_maintenance(world, host.id)
            with world.lock:
                for vm_id, state in restored:
                    vm = world.vms[vm_id]
                    if vm.power_state != state and not world.hosts[vm.host].in_maintenance:
                        vm.power_state = state
                rescan_hosts(world, target, [host])
            notes["info"].append(note("info", "com.vmware.vcIntegrity.lifecycle.HostRemediated",
                                       f"Host {host.name} was remediated to commit {commit.id}.", [host.name]))
            return "OK", notes, start
        except OpError as exc:
            retriable = attempt < attempts
            n = note("errors" if not retriable else "warnings",
                      "com.vmware.vcIntegrity.lifecycle.HostRemediationFailed",
                      f"Remediation of host {host.name} failed (attempt {attempt} of {attempts}): {exc.message}",
                      [host.name, str(attempt)])
            if not retriable:
                n["retriable"] = False       # the binding allows `retriable` on ERROR notifications only
            notes["errors" if not retriable else "warnings"].append(n)
            if retriable:
                set_progress(world, task, task.progress_completed, f"Retrying host {host.name}")
                sleep_phase(world, delay)
                continue
            with world.lock:
                rescan_hosts(world, target, [host])
            return "ERROR", notes, start
    raise AssertionError("unreachable")


def start_apply(world: World, target: Target, spec: dict[str, Any], user: str) -> Task:
    if spec.get("accept_eula") is not True:
        # The bindings' apply docs: com.vmware.vapi.std.errors.Error "if the EULA has not been accepted".
        raise VapiError("ERROR", "The end user license agreement must be accepted: set "
                                            "spec.accept_eula to true.",
                        "com.vmware.vcIntegrity.lifecycle.EulaNotAccepted", ["accept_eula"])
    with world.lock:
        commit = check_commit(world, target, spec.get("commit"))
        hosts = select_hosts(world, target, spec.get("hosts")) if target.kind == "cluster" else target.hosts(world)
        busy_check(world, target)
        if all(h.installed == commit.image and h.connection_state == "connected" for h in hosts):
            raise VapiError("ALREADY_IN_DESIRED_STATE",
                            f"{target.name} is already compliant with the desired image (commit {commit.id}).",
                            "com.vmware.vcIntegrity.lifecycle.AlreadyInDesiredState", [target.name])
        return start_exclusive(world, target, "apply", user, f"Remediate {target.name}",
                               lambda task: _apply(world, target, commit, hosts, task))


def _apply(world: World, target: Target, commit: Commit, hosts: list[Host], task: Task) -> dict[str, Any]:
    start = time.time()
    with world.lock:
        unknown = [h for h in target.hosts(world) if compliance_unknown(h, commit)]
    if unknown:
        scan(world, target, task, unknown)
    statuses: dict[str, dict[str, Any]] = {}
    with world.lock:
        policies = effective_policies(world, target)
        todo = []
        for h in hosts:
            comp = h.compliance or {}
            if comp.get("status") == "NON_COMPLIANT":
                todo.append(h)
                continue
            notes = new_notes()
            if comp.get("status") == "COMPLIANT":
                notes["info"].append(note("info", "com.vmware.vcIntegrity.lifecycle.HostCompliant",
                                           f"Host {h.name} is already compliant.", [h.name]))
                statuses[h.id] = host_status("SKIPPED", start, time.time(), notes)
            else:
                reason = "; ".join(n["message"]["default_message"] for n in comp.get("notifications", {})
                                   .get("errors", [])) or f"host {h.name} is {comp.get('status')}"
                notes["errors"].append(note("errors", "com.vmware.vcIntegrity.lifecycle.HostNotRemediable",
                                             f"Host {h.name} cannot be remediated: {reason}", [h.name]))
                statuses[h.id] = host_status("ERROR", start, time.time(), notes)
        to_stage = [h for h in todo if not (is_software_staged(h, commit) or is_fully_staged(h, commit))]
    set_progress(world, task, 10, f"Staging {len(to_stage)} host(s)")
    staged = stage_hosts(world, target, commit, to_stage, task, 10, 20) if to_stage else {}
    for hid, st in staged.items():
        if st["status"] == "ERROR":
            statuses[hid] = st
    todo = [h for h in todo if h.id not in statuses]
    pra = policies.get("parallel_remediation_action") or {}
    batch = 1
    if target.kind == "cluster" and pra.get("enabled"):
        batch = int(pra.get("max_hosts") or len(todo) or 1)
    done = 0
    stop = False
    for i in range(0, len(todo), batch):
        group = todo[i:i + batch]
        if stop:
            for h in group:
                notes = new_notes()
                notes["info"].append(note("info", "com.vmware.vcIntegrity.lifecycle.HostSkipped",
                                           f"Host {h.name} was not remediated because remediation of another host "
                                           "failed.", [h.name]))
                statuses[h.id] = host_status("SKIPPED", time.time(), time.time(), notes)
            continue
        outcome: dict[str, tuple[str, dict[str, Any], float]] = {}

        def run(h: Any, out: dict[str, tuple[str, dict[str, Any], float]]) -> None:
            out[h.id] = _remediate_host(world, target, commit, h, policies, task)

        threads = [threading.Thread(target=run, args=(h, outcome), daemon=True) for h in group]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for h in group:
            st, notes, hstart = outcome[h.id]
            statuses[h.id] = host_status(st, hstart, time.time(), notes)
            if st == "ERROR":
                stop = True
        done += len(group)
        set_progress(world, task, 30 + 68 * done // max(1, len(todo)), f"Remediated {done} of {len(todo)} hosts")
    with world.lock:
        failed = [h.id for h in hosts if statuses[h.id]["status"] == "ERROR"]
        ok = [h.id for h in hosts if statuses[h.id]["status"] == "OK"]
        skipped = [h.id for h in hosts if statuses[h.id]["status"] == "SKIPPED"]
        overall = host_status("ERROR" if failed else "OK", start, time.time())
        if not failed and all(h.installed == commit.image for h in target.hosts(world)):
            commit.applied = True
        if target.kind == "cluster":
            result: dict[str, Any] = {
                "status": overall, "commit": commit.id,
                "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in hosts},
                "host_status": statuses, "successful_hosts": ok, "failed_hosts": failed, "skipped_hosts": skipped,
                "notifications": new_notes()}
        else:
            h = hosts[0]
            st = statuses[h.id]
            result = {"status": {k: v for k, v in st.items() if k != "progress"}, "commit": commit.id,
                      "host_info": {"name": h.name, "is_vsan_witness": False}, "notifications": st["notifications"]}
        target.obj.last_apply_result = result
    if failed:
        reasons = []
        for hid in failed:
            errs = statuses[hid]["notifications"]["errors"]
            reasons.append(f"{world.hosts[hid].name}: " + (errs[-1]["message"]["default_message"] if errs else "failed"))
        raise TaskFailed(vapi_error("ERROR", f"Remediation of {target.name} failed on {len(failed)} host(s). "
                                    + " | ".join(reasons),
                                    "com.vmware.vcIntegrity.lifecycle.ApplyTaskFailed", failed))
    return result


def last_apply_result(world: World, target: Target) -> dict[str, Any]:
    with world.lock:
        res = target.obj.last_apply_result
        if res is None:
            raise VapiError("NOT_FOUND", f"No remediation has run on {target.name}.")
        if target.kind == "cluster":
            out = dict(res)
            out["status"] = _report_apply_status(res["status"])
            out["host_status"] = {k: _report_apply_status(v) for k, v in res["host_status"].items()}
            return out
        return dict(res, status=_report_apply_status(res["status"], keep_progress=False))


def _report_apply_status(st: dict[str, Any], keep_progress: bool = True) -> dict[str, Any]:
    out = dict(st)
    if out["status"] == "RUNNING":
        out["status"] = "RETRY_PENDING" if keep_progress else "ERROR"
    if not keep_progress:
        out.pop("progress", None)
    return out


def apply_impact(world: World, target: Target) -> dict[str, Any]:
    """reports/apply-impact: what remediating each non-compliant host will do."""
    with world.lock:
        commit = desired_commit(world, target)
        policies = effective_policies(world, target)
        host_impact: dict[str, list[dict[str, Any]]] = {}
        for h in target.hosts(world):
            comp = compute_host_compliance(world, target, h, commit)
            items: list[dict[str, Any]] = []
            if comp["impact"] in ("MAINTENANCE_MODE_REQUIRED", "REBOOT_REQUIRED"):
                items.append({"message": message("com.vmware.vcIntegrity.lifecycle.impact.MaintenanceMode",
                                                 f"Host {h.name} will enter maintenance mode.", [h.name])})
                running = [v for v in world.vms.values() if v.host == h.id and v.power_state == "poweredOn"]
                if running:
                    items.append({"message": message(
                        "com.vmware.vcIntegrity.lifecycle.impact.VmsMigrated",
                        f"{len(running)} powered-on VM(s) will be migrated or have their power state changed.",
                        [str(len(running))])})
            if comp["impact"] == "REBOOT_REQUIRED":
                quick = " with Quick Boot" if policies.get("enable_quick_boot") else ""
                items.append({"message": message("com.vmware.vcIntegrity.lifecycle.impact.Reboot",
                                                 f"Host {h.name} will be rebooted{quick}.", [h.name])})
            if comp["impact"] == "PARTIAL_MAINTENANCE_MODE_REQUIRED":
                items.append({"message": message("com.vmware.vcIntegrity.lifecycle.impact.PartialMaintenanceMode",
                                                 f"Host {h.name} will enter partial maintenance mode (live patch).",
                                                 [h.name])})
            host_impact[h.id] = items
        if target.kind == "cluster":
            cluster_items = []
            if policies.get("disable_dpm"):
                cluster_items.append({"message": message("com.vmware.vcIntegrity.lifecycle.impact.Dpm",
                                                         "DPM will be disabled during remediation.")})
            if policies.get("disable_hac"):
                cluster_items.append({"message": message("com.vmware.vcIntegrity.lifecycle.impact.Hac",
                                                         "HA admission control will be disabled during remediation.")})
            return {"impact": cluster_items, "host_impact": host_impact, "commit": commit.id,
                    "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in target.hosts(world)}}
        h = target.hosts(world)[0]
        return {"impact": host_impact[h.id], "commit": commit.id,
                "host_info": {"name": h.name, "is_vsan_witness": False}}
