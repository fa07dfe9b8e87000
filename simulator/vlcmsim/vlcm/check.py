"""Remediation pre-check (`check`): per-host and cluster checks, the last-check-result report,
and `host_blockers`, the reasons a host cannot enter maintenance mode (also used by apply)."""

from __future__ import annotations

import time
from typing import Any

from ..core.clock import iso, scaled, sleep_phase
from ..core.errors import VapiError, message
from ..core.hosts import evacuation
from ..core.tasks import set_progress
from ..model import Cluster, Commit, Host, Task, World
from . import livepatch
from .compliance import compute_host_compliance
from .policies import effective_policies
from .targets import Target, busy_check, check_commit, select_hosts, start_exclusive

# --------------------------------------------------------------------------- check

_CHECKS = {
    "connection": ("com.vmware.vcIntegrity.lifecycle.HostConnectionCheck", "Host connection",
                   "The host is connected to vCenter Server."),
    "evacuation": ("com.vmware.vcIntegrity.lifecycle.MaintenanceModeCheck", "Maintenance mode",
                   "The powered-on virtual machines on the host can be evacuated so the host can enter "
                   "maintenance mode."),
    "drs": ("com.vmware.vcIntegrity.lifecycle.DrsCheck", "DRS and VM power state",
            "DRS is enabled in fully automated mode or the remediation policy changes the power state of VMs."),
    "compat": ("com.vmware.vcIntegrity.lifecycle.ImageCompatibilityCheck", "Image compatibility",
               "The desired image can be applied to the host."),
    "hac": ("com.vmware.vcIntegrity.lifecycle.HaAdmissionControlCheck", "HA admission control",
            "vSphere HA admission control leaves room to remediate hosts."),
    "parallel": ("com.vmware.vcIntegrity.lifecycle.ParallelRemediationCheck", "Parallel remediation",
                 "Parallel remediation is supported on the cluster."),
    "livepatch": ("com.vmware.vcIntegrity.lifecycle.LivePatchCheck", "Live patch",
                  "The host meets the live patch prerequisites (ESXi and vCenter Server 8.0 U3 or later, DRS fully "
                  "automated, no TPM before 9.1, no DPU, an image that only changes the base image to a live patch "
                  "of the installed version); VMs that cannot fast-suspend-resume are listed."),
}


def parallel_refusal(cluster: Cluster, policies: dict[str, Any]) -> str | None:
    """Why the cluster's parallel remediation policy cannot be honoured, or None (vLCM: "Performing parallel
    remediation is not supported for vSAN clusters", vSphere Lifecycle Manager feature spotlight: parallel
    remediation, core.vmware.com; "vSphere Lifecycle Manager remediates hosts that are part of a vSAN cluster
    sequentially", vSphere Lifecycle Manager docs, vSAN clusters)."""
    if cluster.vsan and (policies.get("parallel_remediation_action") or {}).get("enabled"):
        return (f"Parallel remediation is not supported on vSAN cluster {cluster.name}: vSphere Lifecycle Manager "
                "remediates the hosts of a vSAN cluster one at a time.")
    return None


def _check_status(key: str, status: str, problems: list[tuple[str, str | None]], cluster_level: bool,
                  host_target: bool = False) -> dict[str, Any]:
    cid, name, desc = _CHECKS[key]
    out: dict[str, Any] = {
        "check": {"check": cid, "name": message(cid + ".name", name), "description": message(cid + ".desc", desc)},
        "status": status,
        "check_issues": [{"description": message(cid + ".issue", p),
                          **({"resolution": message(cid + ".resolution", r)} if r else {})}
                         for p, r in problems],
    }
    if not host_target:
        out["issues"] = [message(cid + ".issue", p) for p, _ in problems]
    return out


def host_blockers(world: World, target: Target, host: Host, policies: dict[str, Any],
                  exclude: set[str] | None = None) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """(errors, warnings) that would stop `host` from entering maintenance mode. Caller holds lock."""
    errors: list[tuple[str, str | None]] = []
    warnings: list[tuple[str, str | None]] = []
    if host.in_maintenance:
        return errors, warnings
    power_action = policies.get("pre_remediation_power_action", "DO_NOT_CHANGE_VMS_POWER_STATE")
    changes_power = power_action != "DO_NOT_CHANGE_VMS_POWER_STATE"
    running = [v for v in world.vms.values() if v.host == host.id and v.power_state == "poweredOn"]
    if not running:
        return errors, warnings
    cl = world.clusters.get(host.cluster) if host.cluster else None
    drs_auto = cl is not None and cl.drs_enabled and cl.drs_behavior == "fullyAutomated"
    names = ", ".join(v.name for v in running)
    if not drs_auto:
        why = ("the host is standalone" if cl is None else
               f"DRS is {'not enabled' if not cl.drs_enabled else 'in ' + cl.drs_behavior + ' mode'} "
               f"on cluster {cl.name}")
        if changes_power:
            warnings.append((f"Powered-on VMs {names} on host {host.name} will be "
                             f"{'powered off' if power_action == 'POWER_OFF_VMS' else 'suspended'} before "
                             f"remediation ({why}).", None))
        else:
            errors.append((f"Powered-on VMs {names} on host {host.name} cannot be evacuated: {why} and the "
                           "remediation policy does not change the power state of VMs "
                           "(pre_remediation_power_action DO_NOT_CHANGE_VMS_POWER_STATE).",
                           "Enable DRS in fully automated mode, set pre_remediation_power_action to "
                           "POWER_OFF_VMS or SUSPEND_VMS, or migrate or power off the VMs."))
        return errors, warnings
    if cl is not None and cl.vsan:
        other = next((h for h in world.hosts.values() if h.cluster == cl.id and h.id != host.id
                      and h.id not in (exclude or ()) and (h.in_maintenance or h.entering_maintenance)), None)
        if other is not None:
            state = "in" if other.in_maintenance else "entering"
            errors.append((f"Host {host.name} cannot enter maintenance mode: vSAN cluster {cl.name} allows one host "
                           f"in maintenance mode at a time and host {other.name} is {state} maintenance mode.",
                           f"Take host {other.name} out of maintenance mode first."))
    # vLCM turns HA admission control off for the remediation when the policy says disable_hac
    ev = evacuation(world, host.id, include_powered_off=bool(policies.get("evacuate_offline_vms")),
                    exclude_hosts=exclude, ignore_admission_control=bool(policies.get("disable_hac")))
    action = "powered off" if power_action == "POWER_OFF_VMS" else "suspended"
    for p in ev.unmovable:
        if changes_power:
            warnings.append((p + f"; it will be {action} before remediation.", None))
        else:
            errors.append((f"Host {host.name} cannot enter maintenance mode: {p}.",
                           "Power off or migrate the VM, or set pre_remediation_power_action to POWER_OFF_VMS "
                           "or SUSPEND_VMS."))
    if ev.no_room:   # the power action policy only handles VMs that cannot be migrated
        errors.append((f"Host {host.name} cannot enter maintenance mode: {ev.waiting[0]}.",
                       "Add capacity to the cluster, or power off or migrate some of the VMs."))
    if ev.ha:
        errors.append((f"Host {host.name} cannot enter maintenance mode: {ev.ha}.",
                       "Set disable_hac in the remediation policy, add capacity, or power off some of the VMs."))
    return errors, warnings


def _live_patch_check(h: Host, lp: livepatch.Assessment, refused: bool, host_target: bool) -> dict[str, Any]:
    """The live patch check of a host: ERROR when ENFORCE refuses the remediation because of it, WARNING when AUTO
    falls back to a reboot or VMs will not fast-suspend-resume, OK otherwise."""
    if lp.eligible:
        problems: list[tuple[str, str | None]] = [
            (f"{i.message}: host {h.name} stays non-compliant after the live patch until the VM is moved to the "
             "patched revision.", livepatch.vm_fix(i.vm).capitalize() + ".") for i in lp.incompatible_vms]
        return _check_status("livepatch", "WARNING" if problems else "OK", problems, False, host_target)
    if refused:
        return _check_status("livepatch", "ERROR", [
            (f"Live patch is enforced and host {h.name} cannot be live patched: {r.message}.", r.resolution)
            for r in lp.reasons], False, host_target)
    return _check_status("livepatch", "WARNING", [
        (f"Host {h.name} will be remediated with a reboot instead of a live patch: {r.message}.", r.resolution)
        for r in lp.reasons], False, host_target)


def _check(world: World, target: Target, commit: Commit, hosts: list[Host], task: Task) -> dict[str, Any]:
    start = time.time()
    set_progress(world, task, 10, f"Running pre-checks on {target.name}")
    sleep_phase(world, scaled(world, "check"))
    with world.lock:
        policies = effective_policies(world, target)
        entity_results = []
        worst = "OK"
        rank = {"OK": 0, "WARNING": 1, "ERROR": 2}
        refused = {h.id for h, _ in livepatch.enforce_refusal(
            world, target, [h for h in hosts if h.installed != commit.image], commit.image, policies)}
        for h in hosts:
            statuses = []
            conn_ok = h.connection_state == "connected"
            statuses.append(_check_status(
                "connection", "OK" if conn_ok else "ERROR",
                [] if conn_ok else [(f"Host {h.name} is {h.connection_state}.",
                                     "Reconnect the host to vCenter Server.")], False, target.kind == "host"))
            comp = compute_host_compliance(world, target, h, commit)
            compat = comp["status"] != "INCOMPATIBLE"
            statuses.append(_check_status(
                "compat", "OK" if compat else "ERROR",
                [] if compat else [(n["message"]["default_message"], None) for n in comp["notifications"]["errors"]],
                False, target.kind == "host"))
            lp = None
            if conn_ok and comp["status"] == "NON_COMPLIANT" and comp["impact"] != "NO_IMPACT":
                lp = livepatch.assess(world, target, h, commit.image, policies, scope=hosts)
                if lp.in_play:
                    statuses.append(_live_patch_check(h, lp, h.id in refused, target.kind == "host"))
            # a live-patched host is not evacuated; a host ENFORCE refuses is not remediated at all
            if lp is not None and not lp.eligible and h.id not in refused:
                errs, warns = host_blockers(world, target, h, policies)
                drs_errs = [e for e in errs if "DRS" in e[0] or "standalone" in e[0]]
                evac_errs = [e for e in errs if e not in drs_errs]
                drs_warn = [w for w in warns if "DRS" in w[0] or "standalone" in w[0]]
                evac_warn = [w for w in warns if w not in drs_warn]
                statuses.append(_check_status("drs", "ERROR" if drs_errs else "WARNING" if drs_warn else "OK",
                                              drs_errs + drs_warn, False, target.kind == "host"))
                statuses.append(_check_status("evacuation",
                                              "ERROR" if evac_errs else "WARNING" if evac_warn else "OK",
                                              evac_errs + evac_warn, False, target.kind == "host"))
            status = max((s["status"] for s in statuses), key=rank.__getitem__, default="OK")
            worst = max(worst, status, key=rank.__getitem__)
            entity_results.append({"type": "HOST", "host": h.id, "status": status, "check_statuses": statuses})
        if target.kind == "cluster":
            cl: Cluster = target.obj  # type: ignore[assignment]
            hac_issue = cl.ha_enabled and cl.admission_control and not policies.get("disable_hac") \
                and len(target.hosts(world)) <= 2
            cl_status = "WARNING" if hac_issue else "OK"
            cluster_entity = {"type": "CLUSTER", "cluster": cl.id, "status": cl_status, "check_statuses": [
                _check_status("hac", cl_status, [(
                    f"vSphere HA admission control on cluster {cl.name} may prevent hosts from entering "
                    "maintenance mode.", "Set disable_hac in the remediation policy.")] if hac_issue else [], True)]}
            if (policies.get("parallel_remediation_action") or {}).get("enabled"):
                refusal = parallel_refusal(cl, policies)
                cluster_entity["check_statuses"].append(_check_status(
                    "parallel", "ERROR" if refusal else "OK", [(refusal, "Disable parallel remediation in the "
                                                                "cluster's remediation policy.")] if refusal else [],
                    True))
                if refusal:
                    cl_status = cluster_entity["status"] = "ERROR"
            worst = max(worst, cl_status, key=rank.__getitem__)
            result: dict[str, Any] = {
                "status": worst, "start_time": iso(start), "end_time": iso(time.time()), "commit": commit.id,
                "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in hosts},
                "entity_results": [cluster_entity] + entity_results}
        else:
            h = hosts[0]
            result = {"status": worst, "start_time": iso(start), "end_time": iso(time.time()),
                      "commit": commit.id, "host_info": {"name": h.name, "is_vsan_witness": False},
                      "entity_result": entity_results[0]}
        target.obj.last_check_result = result
        return result


def start_check(world: World, target: Target, spec: dict[str, Any], user: str) -> Task:
    with world.lock:
        commit = check_commit(world, target, spec.get("commit"))
        hosts = select_hosts(world, target, spec.get("hosts")) if target.kind == "cluster" else target.hosts(world)
        busy_check(world, target)
        return start_exclusive(world, target, "check", user, f"Remediation pre-check of {target.name}",
                               lambda task: _check(world, target, commit, hosts, task))


def _report_check(result: dict[str, Any], kind: str) -> dict[str, Any]:
    """Software.CheckResult -> reports.LastCheckResult.CheckResult (status RETRY does not exist there)."""
    def fix(s: str) -> str:
        return "WARNING" if s == "RETRY" else s
    out = dict(result)
    out["status"] = fix(result["status"])
    ents = result.get("entity_results") if kind == "cluster" else [result["entity_result"]]
    fixed = []
    for e in ents or []:
        e2 = dict(e, status=fix(e["status"]))
        e2["check_statuses"] = [dict(cs, status=fix(cs["status"]),
                                     check={k: v for k, v in cs["check"].items() if k != "originator"})
                                for cs in e["check_statuses"]]
        fixed.append(e2)
    if kind == "cluster":
        out["entity_results"] = fixed
    else:
        out["entity_result"] = fixed[0]
    return out


def last_check_result(world: World, target: Target) -> dict[str, Any]:
    with world.lock:
        res = target.obj.last_check_result
        if res is None:
            raise VapiError("NOT_FOUND", f"No remediation pre-check has run on {target.name}.")
        return _report_check(res, target.kind)
