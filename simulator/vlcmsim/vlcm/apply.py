"""Remediation (`apply`), the last-apply-result report and the apply impact.

Apply stages what is not staged, then per host: maintenance mode (DRS evacuates), install, reboot, exit;
or, for a host that the live patch rules (`livepatch`) let be live patched: partial maintenance mode, install
(a new mount revision), hostd restart when the patch covers hostd, fast-suspend-resume of the powered-on VMs
that can, exit, no reboot. failure_action retries; a failed host stays staged. Hosts go one at a time; with the
parallel remediation policy the hosts that are already in maintenance mode go in parallel, `max_hosts` at a
time, before the others (see `_schedule`). Results are shaped like `Software.ApplyResult` / `ApplyImpact`."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..core import faults
from ..core.clock import scaled, sleep_phase
from ..core.errors import OpError, TaskFailed, VapiError, message, vapi_error
from ..core.hosts import (
    enter_maintenance,
    enter_partial_maintenance,
    exit_maintenance,
    exit_partial_maintenance,
    note_state,
    vmotion_blocker,
)
from ..core.tasks import set_progress
from ..model import Cluster, Commit, Host, Task, World
from . import livepatch
from .check import host_blockers, parallel_refusal
from .compliance import compliance_unknown, compute_host_compliance, rescan_hosts, scan
from .images import is_fully_staged, is_software_staged, new_notes, note
from .policies import effective_policies
from .stage import host_status, stage_hosts
from .targets import Target, busy_check, check_commit, desired_commit, select_hosts, start_exclusive


def _phase(world: World, host: Host, phase: str, duration: str) -> None:
    start = time.time()
    faults.wait_while_hung(world, host.id, phase)
    sleep_phase(world, scaled(world, duration) + faults.take_host_stall(world, host.id, phase))
    world.record_phase(host, phase, start, time.time())
    if faults.take_host_fail(world, host.id, phase):
        raise OpError("SystemError", f"Host {host.name} failed during {phase.replace('_', ' ')} (injected fault).")


def _install(world: World, target: Target, commit: Commit, host: Host) -> None:
    """Re-stage when the staged content is gone (firmware installs now), then the install phase."""
    with world.lock:
        need_download = not (is_software_staged(host, commit) or is_fully_staged(host, commit))
    if need_download:
        stage_hosts(world, target, commit, [host], None, 0, 0)
    _phase(world, host, "install", "install")
    with world.lock:
        world.counters.installs += 1


def _hostd_restart(world: World, host: Host) -> None:
    """A live patch of hostd restarts it: vCenter loses the host's heartbeat for a moment and shows it not
    responding ("patching the hostd daemon may require a restart of that daemon. This may cause a host to briefly
    appear disconnected from vCenter; this is expected, and does not impact the virtual machines", VMware blog,
    2025-07-15; vim HostSystemConnectionState notResponding: "The state automatically changes to connected once
    heartbeats are received again"). A host_disconnect fault meanwhile wins: the host stays disconnected."""
    start = time.time()
    with world.lock:
        blip = host.connection_state == "connected"
        if blip:
            host.connection_state = "notResponding"
    try:
        sleep_phase(world, scaled(world, "hostd_restart") + faults.take_host_stall(world, host.id, "hostd_restart"))
    finally:
        with world.lock:
            if blip and host.connection_state == "notResponding":
                host.connection_state = "connected"
    world.record_phase(host, "hostd_restart", start, time.time())


def _fast_suspend_resume(world: World, host: Host) -> int:
    """FSR, one after the other, of the powered-on VMs of the host that can; returns how many."""
    with world.lock:
        vms = sorted((v for v in world.vms.values() if v.host == host.id and v.power_state == "poweredOn"
                      and livepatch.fsr_blocker(v) is None), key=lambda v: v.name)
    start = time.time()
    done = 0
    for vm in vms:
        sleep_phase(world, scaled(world, "fsr_per_vm"))
        with world.lock:
            if vm.host == host.id and vm.power_state == "poweredOn":
                world.counters.fsrs += 1
                done += 1
    stall = faults.take_host_stall(world, host.id, "fsr")
    sleep_phase(world, stall)
    if vms or stall:
        world.record_phase(host, "fsr", start, time.time())
    return done


def _live_patch_steps(world: World, target: Target, commit: Commit, host: Host,
                      lp: livepatch.Assessment, notes: dict[str, Any]) -> None:
    """Partial maintenance mode, install, hostd restart, FSR, exit: no evacuation, no reboot (seed 004: "The ESXi
    host enters a special state called partial maintenance mode ... A new revision of the target patch components
    is mounted ... patched ... Virtual machines undergo a fast-suspend-resume (FSR) to consume the patched
    revision"). A host already in maintenance mode runs no VM and stays in it. A failure leaves partial
    maintenance mode at once (the VMs keep running on the previous revision) and leaves the host staged."""
    in_mm = host.in_maintenance
    if not in_mm:
        enter_partial_maintenance(world, host.id)
    try:
        with world.lock:
            installed = host.installed == commit.image
        fsrs = 0
        if not installed:
            _install(world, target, commit, host)
            with world.lock:
                host.installed = commit.image.copy()          # the new revision is live: no reboot
                host.staged = None
                host.staged_commit = None
                if lp.needs_fsr:     # the VMs that cannot FSR stay on the previous vmx revision
                    host.live_patch_pending_vms |= {i.vm.id for i in livepatch.incompatible_vms(world, host)}
            if lp.restarts_hostd:
                _hostd_restart(world, host)
            if lp.needs_fsr:
                fsrs = _fast_suspend_resume(world, host)
    except BaseException:
        exit_partial_maintenance(world, host.id, quick=True)
        raise
    exit_partial_maintenance(world, host.id)
    with world.lock:
        world.counters.live_patched_hosts += 1
        pending = livepatch.pending_vms(world, host)
    parts = ["partial maintenance mode" if not in_mm else "in maintenance mode",
             f"{fsrs} VM(s) fast-suspend-resumed" if lp.needs_fsr else "no VM needed a fast-suspend-resume"]
    if lp.restarts_hostd:
        parts.append("hostd restarted")
    notes["info"].append(note("info", livepatch.NOTE + "HostLivePatched",
                              f"Host {host.name} was live patched to commit {commit.id} ({', '.join(parts)}; "
                              "no VM migrated, no reboot).", [host.name, str(fsrs)]))
    for vm in pending:
        rule = livepatch.fsr_blocker(vm)
        code = rule.code if rule else "NOT_FAST_SUSPEND_RESUMED"
        notes["warnings"].append(note(
            "warnings", livepatch.NOTE + "VmPending." + code,
            f"VM '{vm.name}' ({vm.id}) was not fast-suspend-resumed ({code}): host {host.name} stays non-compliant "
            f"until it is; {livepatch.vm_fix(vm)}.", [vm.name, vm.id, code, host.name]))


def _remediate_host(world: World, target: Target, commit: Commit, host: Host,
                    policies: dict[str, Any], task: Task,
                    scope: list[Host] | None = None) -> tuple[str, dict[str, Any], float]:
    """Enter maintenance, install, reboot, exit, or live patch; with the failure_action retries; `scope` is the
    set of hosts of the remediation (for the live patch rules). (status, notes, start)."""
    start = time.time()
    notes = new_notes()
    fa = policies.get("failure_action") or {"action": "FAIL"}
    attempts = 1 + (int(fa.get("retry_count") or 0) if fa.get("action") == "RETRY" else 0)
    delay = float(fa.get("retry_delay") or 0) * world.time_scale
    power_action = policies.get("pre_remediation_power_action", "DO_NOT_CHANGE_VMS_POWER_STATE")
    restored: list[tuple[str, str]] = []      # (vm id, original power state) changed by the policy
    with world.lock:
        # A host that someone else put in maintenance mode before the remediation is not evacuated again and
        # stays in maintenance mode afterwards: vCenter takes a host out of maintenance mode only when asked
        # ("A host enters or leaves maintenance mode only as the result of a user request", vSphere Resource
        # Management, maintenance mode), and parallel remediation takes exactly such hosts ("hosts that have
        # been manually prepared in maintenance mode", vLCM feature spotlight: parallel remediation), whose
        # owner takes them out again. A host vLCM itself left in maintenance mode after a failure is vLCM's
        # and is taken out once it is remediated.
        keep_in_maintenance = host.in_maintenance and not host.maintenance_by_vlcm
    for attempt in range(1, attempts + 1):
        try:
            with world.lock:
                if host.connection_state != "connected":
                    raise OpError("HostNotConnected", f"Host {host.name} is not connected.")
                lp = livepatch.assess(world, target, host, commit.image, policies, with_vms=False, scope=scope)
            if lp.eligible:
                _live_patch_steps(world, target, commit, host, lp, notes)
                with world.lock:
                    rescan_hosts(world, target, [host])
                return "OK", notes, start
            if lp.refused:
                # checked before any change; a host that became ineligible since is not rebooted behind the
                # user's back
                raise OpError("InvalidState", f"live patch is enforced and host {host.name} cannot be live "
                                              f"patched: {lp.reason_text()}")
            if lp.in_play and attempt == 1:
                notes["warnings"].append(note(
                    "warnings", livepatch.NOTE + "Fallback",
                    f"Host {host.name} is remediated in maintenance mode with a reboot instead of a live patch: "
                    f"{lp.reason_text()}.", [host.name] + [r.code for r in lp.reasons]))
            with world.lock:
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
                        note_state(world, {host.id})
            if not host.in_maintenance:
                enter_maintenance(world, host.id, bool(policies.get("evacuate_offline_vms")), None, by_vlcm=True)
            with world.lock:
                installed = host.installed == commit.image
            if not installed:
                _install(world, target, commit, host)
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
            if keep_in_maintenance:
                notes["info"].append(note("info", "com.vmware.vcIntegrity.lifecycle.HostKeptInMaintenanceMode",
                                           f"Host {host.name} was in maintenance mode before the remediation and "
                                           "stays in maintenance mode.", [host.name]))
            else:
                exit_maintenance(world, host.id)
            with world.lock:
                for vm_id, state in restored:
                    vm = world.vms[vm_id]
                    if vm.power_state != state and not world.hosts[vm.host].in_maintenance:
                        vm.power_state = state
                note_state(world, {host.id})
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


# vSphere supports 96 hosts per cluster; the binding: "If None, number of hosts that can be remediated in
# parallel would be set to maximum number of hosts supported per cluster".
MAX_HOSTS_PER_CLUSTER = 96


def _schedule(world: World, target: Target, todo: list[Host],
              policies: dict[str, Any]) -> list[tuple[list[Host], bool]]:
    """The order of remediation: [(hosts remediated together, parallel?)].

    Default: one host at a time. With `parallel_remediation_action.enabled` (the bindings, vSphere API 8.0.0.1
    and later: "Enable parallel remediation for hosts in maintenance mode within a cluster"; the vLCM "feature
    spotlight: parallel remediation" on core.vmware.com: parallel remediation "will only remediate hosts that
    have been manually prepared in maintenance mode", "will not automatically place any hosts into maintenance
    mode", with a manual maximum "it will do so in groups defined by the value entered", and a host that fails
    does not stop the remediation of the others) the hosts in maintenance mode when remediation starts go
    first, `max_hosts` at a time. The other hosts are then remediated one at a time, as without the policy:
    the spotlight (written for 7.0 U2) says they are skipped; the issue describes 8.0 U3 as remediating them
    sequentially, which we model (we found no 8.0 U3 text to settle it). A caller that applies only to hosts
    it put in maintenance mode, as the rolling role does, sees the same either way.
    """
    pra = policies.get("parallel_remediation_action") or {}
    if target.kind != "cluster" or not pra.get("enabled"):
        return [([h], False) for h in todo]
    limit = max(1, min(int(pra.get("max_hosts") or MAX_HOSTS_PER_CLUSTER), MAX_HOSTS_PER_CLUSTER))
    with world.lock:
        ready = [h for h in todo if h.in_maintenance]
    rest = [h for h in todo if h not in ready]
    return [(ready[i:i + limit], True) for i in range(0, len(ready), limit)] + [([h], False) for h in rest]


def _refuse(world: World, target: Target, commit: Commit, hosts: list[Host], start: float, reason: str,
            nid: str = "com.vmware.vcIntegrity.lifecycle.ParallelRemediationNotSupported",
            args: list[str] | None = None) -> None:
    """Fail the apply before any change (its pre-check refused it); the report names the reason."""
    args = args or [target.name]
    with world.lock:
        notes = new_notes()
        notes["errors"].append(note("errors", nid, reason, args))
        statuses = {}
        for h in hosts:
            skipped = new_notes()
            skipped["info"].append(note("info", "com.vmware.vcIntegrity.lifecycle.HostSkipped",
                                         f"Host {h.name} was not remediated: {reason}", [h.name]))
            statuses[h.id] = host_status("SKIPPED", start, time.time(), skipped)
        target.obj.last_apply_result = {
            "status": host_status("ERROR", start, time.time()), "commit": commit.id,
            "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in hosts},
            "host_status": statuses, "successful_hosts": [], "failed_hosts": [],
            "skipped_hosts": [h.id for h in hosts], "notifications": notes}
    raise TaskFailed(vapi_error("ERROR", reason, nid, args))


def _apply(world: World, target: Target, commit: Commit, hosts: list[Host], task: Task) -> dict[str, Any]:
    start = time.time()
    cluster: Cluster | None = target.obj if target.kind == "cluster" else None  # type: ignore[assignment]
    with world.lock:
        policies = effective_policies(world, target)
        refusal = parallel_refusal(cluster, policies) if cluster is not None else None
        todo = [h for h in hosts if h.installed != commit.image]
        refused = livepatch.enforce_refusal(world, target, todo, commit.image, policies) if refusal is None else []
        # disable_hac: vLCM turns HA admission control off for the remediation and back on afterwards
        # ("you can temporarily deactivate ... HA admission control ... When the update finishes, vSphere
        # Lifecycle Manager restarts these features", vSphere Lifecycle Manager docs, cluster settings)
        hac_off = (cluster is not None and refusal is None and not refused and bool(policies.get("disable_hac"))
                   and cluster.ha_enabled and cluster.admission_control)
        if hac_off:
            cluster.admission_control = False  # type: ignore[union-attr]
    if refusal:
        _refuse(world, target, commit, hosts, start, refusal)
    if refused:
        # 9.1 ENFORCE_LIVE_PATCH: "Disallow remediation if there is a host that cannot perform Live Patch"; 8.0 U3
        # enforce_quick_patch likewise refuses in the pre-check: nothing is staged, nothing enters maintenance mode
        _refuse(world, target, commit, hosts, start, livepatch.refusal_text(target, refused),
                livepatch.NOTE + "Enforced", [target.name] + [h.name for h, _ in refused])
    try:
        return _apply_hosts(world, target, commit, hosts, task, start)
    finally:
        if hac_off:
            with world.lock:
                cluster.admission_control = True  # type: ignore[union-attr]


def _apply_hosts(world: World, target: Target, commit: Commit, hosts: list[Host], task: Task,
                 start: float) -> dict[str, Any]:
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
            if comp.get("status") == "NON_COMPLIANT" and h.installed == commit.image and h.live_patch_pending_vms:
                notes = new_notes()
                names = ", ".join(f"'{v.name}'" for v in livepatch.pending_vms(world, h))
                notes["warnings"].append(note(
                    "warnings", livepatch.NOTE + "HostPendingVms",
                    f"Host {h.name} already runs the desired image; VM(s) {names} still run the revision from "
                    "before the live patch: migrate them with vMotion or power cycle them, then scan again.",
                    [h.name]))
                statuses[h.id] = host_status("SKIPPED", start, time.time(), notes)
                continue
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
    done = 0
    failed_before = False
    for group, parallel in _schedule(world, target, todo, policies):
        if failed_before and not parallel:
            # sequential remediation stops at the first failed host (the hosts after it stay as they are)
            for h in group:
                notes = new_notes()
                notes["info"].append(note("info", "com.vmware.vcIntegrity.lifecycle.HostSkipped",
                                           f"Host {h.name} was not remediated because remediation of another host "
                                           "failed.", [h.name]))
                statuses[h.id] = host_status("SKIPPED", time.time(), time.time(), notes)
            continue
        outcome: dict[str, tuple[str, dict[str, Any], float, float]] = {}

        def run(h: Any, out: dict[str, tuple[str, dict[str, Any], float, float]]) -> None:
            st, notes, hstart = _remediate_host(world, target, commit, h, policies, task, hosts)
            out[h.id] = (st, notes, hstart, time.time())

        threads = [threading.Thread(target=run, args=(h, outcome), daemon=True) for h in group]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for h in group:
            st, notes, hstart, hend = outcome[h.id]
            statuses[h.id] = host_status(st, hstart, hend, notes)
            failed_before = failed_before or st == "ERROR"
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
                "notifications": _method_summary(world, hosts, statuses)}
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


def _live_patch_impact(world: World, h: Host, lp: livepatch.Assessment) -> list[dict[str, Any]]:
    """ApplyImpact.Impact items of a host that will be live patched."""
    items = [{"message": message("com.vmware.vcIntegrity.lifecycle.impact.PartialMaintenanceMode",
                                 f"Host {h.name} will enter partial maintenance mode (live patch): no VM is "
                                 "migrated, no reboot.", [h.name])}]
    if lp.restarts_hostd:
        items.append({"message": message(livepatch.NOTE + "impact.HostdRestart",
                                         f"hostd restarts on host {h.name}: the host shows as not responding in "
                                         "vCenter Server for a moment; its VMs are not affected.", [h.name])})
    if lp.needs_fsr:
        n = sum(1 for v in world.vms.values() if v.host == h.id and v.power_state == "poweredOn"
                and livepatch.fsr_blocker(v) is None)
        items.append({"message": message(livepatch.NOTE + "impact.FastSuspendResume",
                                         f"{n} powered-on VM(s) will be fast-suspend-resumed.", [str(n)])})
    for issue in lp.incompatible_vms:
        items.append({"message": message(
            livepatch.NOTE + "impact.VmIncompatible",
            f"{issue.message}: host {h.name} stays non-compliant after remediation until the VM is moved to the "
            f"patched revision; {livepatch.vm_fix(issue.vm)}.", [issue.vm.name, issue.code])})
    return items


def _method_summary(world: World, hosts: list[Host], statuses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The cluster-level notification that says which hosts were live patched and which were remediated with a
    reboot instead (and why), when live patch was in play."""
    notes = new_notes()
    live, fallback = [], []
    for h in hosts:
        for n in statuses[h.id]["notifications"]["info"]:
            if n["id"] == livepatch.NOTE + "HostLivePatched":
                live.append(h.name)
        for n in statuses[h.id]["notifications"]["warnings"]:
            if n["id"] == livepatch.NOTE + "Fallback":
                fallback.append(f"{h.name} ({', '.join(n['message']['args'][1:])})")
    if live or fallback:
        text = ("Live patched: " + (", ".join(live) or "none") + ". Remediated with maintenance mode and a reboot "
                "instead: " + (", ".join(fallback) or "none") + ".")
        notes["info"].append(note("info", livepatch.NOTE + "Summary", text,
                                  [",".join(live), ",".join(h.split(" ")[0] for h in fallback)]))
    return notes


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
        refused = {h.id for h, _ in livepatch.enforce_refusal(
            world, target, [h for h in target.hosts(world) if h.installed != commit.image], commit.image, policies)}
        for h in target.hosts(world):
            comp = compute_host_compliance(world, target, h, commit)
            items: list[dict[str, Any]] = []
            lp = livepatch.assess(world, target, h, commit.image, policies) if comp["impact"] != "NO_IMPACT" else None
            if h.id in refused and lp is not None:
                items.append({"message": message(
                    livepatch.NOTE + "impact.Refused",
                    f"Remediation will be refused: live patch is enforced and host {h.name} cannot be live patched: "
                    f"{lp.reason_text()}.", [h.name] + [r.code for r in lp.reasons])})
            elif lp is not None and lp.in_play and not lp.eligible:
                items.append({"message": message(
                    livepatch.NOTE + "impact.Fallback",
                    f"Host {h.name} will be remediated in maintenance mode with a reboot instead of a live patch: "
                    f"{lp.reason_text()}.", [h.name] + [r.code for r in lp.reasons])})
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
            if comp["impact"] == "PARTIAL_MAINTENANCE_MODE_REQUIRED" and lp is not None:
                items += _live_patch_impact(world, h, lp)
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
