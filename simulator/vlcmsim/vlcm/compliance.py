"""Compliance: per-host HostCompliance against the desired commit, the cluster aggregate, scans."""

from __future__ import annotations

import time
from typing import Any

from ..core.clock import iso, scaled, sleep_phase
from ..core.errors import VapiError, message
from ..core.tasks import set_progress, start_task
from ..model import Commit, Host, Image, Task, World
from . import livepatch
from .images import (
    add_on_info,
    base_image_info,
    component_info,
    effective_components,
    firmware_modules,
    is_fully_staged,
    is_software_staged,
    new_notes,
    note,
    version_key,
)
from .policies import effective_policies
from .targets import Target, busy_check, desired_commit

IMPACT_ORDER = ["NO_IMPACT", "PARTIAL_MAINTENANCE_MODE_REQUIRED", "MAINTENANCE_MODE_REQUIRED",
                "REBOOT_REQUIRED", "UNKNOWN"]


def _status_of(cur: Any, tgt: Any, incompatible: bool = False) -> str:
    if cur == tgt:
        return "COMPLIANT"
    return "INCOMPATIBLE" if incompatible else "NON_COMPLIANT"


def compute_host_compliance(world: World, target: Target, host: Host, commit: Commit) -> dict[str, Any]:
    """com.vmware.esx.settings.host_compliance of one host against a commit (caller holds lock)."""
    desired = commit.image
    inst = host.installed or Image(base_image="")
    now = iso(time.time())
    notes = new_notes()
    staged_full = is_fully_staged(host, commit)
    staged_sw = is_software_staged(host, commit) or staged_full

    def stage_of(status: str, fw: bool = False) -> str | None:
        if status == "COMPLIANT":
            return None
        if host.connection_state != "connected":
            return "UNKNOWN"
        if fw:
            return "STAGED" if staged_full else "NOT_STAGED"
        return "STAGED" if staged_sw else "NOT_STAGED"

    # base image
    downgrade = version_key(inst.base_image) > version_key(desired.base_image)
    bi_status = _status_of(inst.base_image, desired.base_image, incompatible=downgrade)
    base = {"status": bi_status, "current": base_image_info(world, inst.base_image),
            "target": base_image_info(world, desired.base_image), "notifications": new_notes()}
    if stage_of(bi_status):
        base["stage_status"] = stage_of(bi_status)
    if downgrade:
        base["notifications"]["errors"].append(note(
            "errors", "com.vmware.vcIntegrity.lifecycle.BaseImageDowngrade",
            f"Downgrading the base image from {inst.base_image} to {desired.base_image} is not supported.",
            [inst.base_image, desired.base_image]))
        notes["errors"].append(base["notifications"]["errors"][-1])
    # add-on
    ao_status = _status_of(inst.add_on, desired.add_on)
    add_on: dict[str, Any] = {"status": ao_status, "notifications": new_notes()}
    if inst.add_on:
        add_on["current"] = add_on_info(world, inst.add_on)
    if desired.add_on:
        add_on["target"] = add_on_info(world, desired.add_on)
    if stage_of(ao_status):
        add_on["stage_status"] = stage_of(ao_status)
    # components (effective)
    cur_c = effective_components(world, inst) if host.installed else {}
    tgt_c = effective_components(world, desired)
    comps: dict[str, Any] = {}
    removed: dict[str, Any] = {}
    for name in sorted(set(cur_c) | set(tgt_c)):
        cur, tgt = cur_c.get(name), tgt_c.get(name)
        entry: dict[str, Any] = {"status": _status_of(cur and cur[0], tgt and tgt[0]), "notifications": new_notes()}
        if cur:
            entry["current"] = component_info(world, name, cur[0])
            entry["current_source"] = cur[1]
        if tgt:
            entry["target"] = component_info(world, name, tgt[0])
            entry["target_source"] = tgt[1]
        if stage_of(entry["status"]):
            entry["stage_status"] = stage_of(entry["status"])
        if tgt is None and name in desired.removed_components:
            # removed by the user (SoftwareSpec.removed_components): installed means it is still to be removed
            entry["status"] = "NON_COMPLIANT" if cur else "COMPLIANT"
            entry["target_source"] = "USER_REMOVED"
            if stage_of(entry["status"]):
                entry["stage_status"] = stage_of(entry["status"])
            removed[name] = entry
            continue
        if tgt is None:
            entry["status"] = "COMPLIANT"      # component not in the image: vLCM leaves it (no removal)
            entry.pop("stage_status", None)
            removed[name] = entry
            continue
        comps[name] = entry
    # hardware support
    hsp: dict[str, Any] = {}
    fw_changes = False
    for mgr in sorted(set(inst.hardware_support) | set(desired.hardware_support)):
        cur, tgt = inst.hardware_support.get(mgr), desired.hardware_support.get(mgr)
        status = _status_of(cur, tgt)
        fw_changes = fw_changes or status != "COMPLIANT"
        pkg: dict[str, Any] = {"status": status, "notifications": new_notes(), "hardware_modules": {}}
        if cur:
            pkg["current"] = {"pkg": cur[0], "version": cur[1]}
        if tgt:
            pkg["target"] = {"pkg": tgt[0], "version": tgt[1]}
            cur_mods = {m["id"]: m for m in (firmware_modules(world, mgr, *cur) if cur else [])}
            for mod in firmware_modules(world, mgr, *tgt):
                cm = cur_mods.get(mod["id"])
                mstatus = _status_of(cm and cm["version"], mod["version"])
                mentry: dict[str, Any] = {"status": mstatus, "notifications": new_notes(),
                                          "details": {"component_class": mod.get("class", "OTHER"),
                                                      "description": mod.get("description", mod["id"])},
                                          "target": {"version": mod["version"]}}
                if cm:
                    mentry["current"] = {"version": cm["version"]}
                if stage_of(mstatus, fw=True):
                    mentry["stage_status"] = stage_of(mstatus, fw=True)
                pkg["hardware_modules"][mod["id"]] = mentry
        if stage_of(status, fw=True):
            pkg["stage_status"] = stage_of(status, fw=True)
        if status != "COMPLIANT" and not host.firmware_stageable and host.connection_state == "connected":
            n = note("warnings", "com.vmware.vcIntegrity.lifecycle.FirmwareStagingNotSupported",
                      f"The hardware support manager {mgr} does not support firmware staging on host "
                      f"{host.name}. The firmware will be installed during remediation.", [mgr, host.name])
            pkg["notifications"]["warnings"].append(n)
            notes["warnings"].append(n)
        hsp[mgr] = pkg

    statuses = [base["status"], add_on["status"]] + [c["status"] for c in comps.values()] + \
               [p["status"] for p in hsp.values()] + [c["status"] for c in removed.values()]
    pending = livepatch.pending_vms(world, host)
    if host.connection_state != "connected":
        status = "UNAVAILABLE"
        notes["errors"].append(note("errors", "com.vmware.vcIntegrity.lifecycle.HostNotConnected",
                                     f"Host {host.name} is {host.connection_state}; its compliance is unknown.",
                                     [host.name], "Reconnect the host to vCenter Server and scan again."))
    elif "INCOMPATIBLE" in statuses:
        status = "INCOMPATIBLE"
    elif "NON_COMPLIANT" in statuses or pending:
        status = "NON_COMPLIANT"
    else:
        status = "COMPLIANT"

    extra: dict[str, Any] = {}
    if status == "COMPLIANT":
        impact = "NO_IMPACT"
    elif status in ("UNAVAILABLE", "INCOMPATIBLE"):
        impact = "UNKNOWN"
    elif "NON_COMPLIANT" not in statuses:
        # live patched, but VMs that could not fast-suspend-resume still run the previous revision (seed 004: "any
        # hosts running VMs that do not support FSR will continue to report being out of compliance. The VMs must
        # be manually migrated using vMotion or power cycled"): nothing left for a remediation to do
        impact = "NO_IMPACT"
        extra = _pending_details(host, pending, notes)
    else:
        lp = livepatch.assess(world, target, host, desired, effective_policies(world, target))
        if base["status"] != "COMPLIANT" or fw_changes:
            impact = "PARTIAL_MAINTENANCE_MODE_REQUIRED" if lp.eligible else "REBOOT_REQUIRED"
        else:
            impact = "MAINTENANCE_MODE_REQUIRED"
        if lp.eligible:
            extra = _live_patch_details(host, lp, notes)
        elif lp.in_play:
            # the scan reports why a host cannot live patch (Broadcom KB 404826, ESX 9.x: "During the compliance
            # scan, the following error may be reported: VMkernel Live Patch is incompatible ..."): errors under
            # ENFORCE (remediation will be refused), warnings under AUTO (the host falls back to a reboot)
            kind = "errors" if lp.mode == livepatch.ENFORCE else "warnings"
            for r in lp.reasons:
                notes[kind].append(note(kind, livepatch.NOTE + "Ineligible." + r.code,
                                        f"Host {host.name} cannot be live patched: {r.message}.",
                                        [host.name, r.code], r.resolution))

    result: dict[str, Any] = {
        "impact": impact, "status": status, "notifications": notes, "scan_time": now,
        "commit": commit.id, "base_image": base, "add_on": add_on, "components": comps,
        "solutions": {}, "hardware_support": hsp,
        "host_hardware_details": {"host_uuid": host.uuid, "vendor": host.vendor, "model": host.model,
                                  "family": host.model.split()[0], "oem_strings": []},
        **extra,
    }
    if removed:
        result["removed_components"] = removed
    if status == "NON_COMPLIANT":
        # a live-patched host waiting for its VMs has nothing left to stage
        result["stage_status"] = "STAGED" if staged_full or "NON_COMPLIANT" not in statuses else "NOT_STAGED"
    elif status == "UNAVAILABLE":
        result["stage_status"] = "UNKNOWN"
    return result


def _live_patch_details(host: Host, lp: livepatch.Assessment, notes: dict[str, Any]) -> dict[str, Any]:
    """impact_details / remediation_details of a host that a remediation will live patch, and a warning per VM
    that will not fast-suspend-resume (seed 004: "The vSphere Lifecycle Manager compliance scan will report
    virtual machines that are incompatible with FSR and the reason why. Having incompatible VMs on the host does
    not block live patch")."""
    actions = [f"Enter partial maintenance mode ({livepatch.PARTIAL_MM_NAME}); no virtual machine is migrated.",
               "Mount and patch a new revision of " + ", ".join(lp.targets) + "."]
    if lp.restarts_hostd:
        actions.append("Restart hostd: the host shows as not responding in vCenter Server for a moment.")
    if lp.needs_fsr:
        actions.append("Fast-suspend-resume the powered-on virtual machines onto the patched revision.")
    for issue in lp.incompatible_vms:
        notes["warnings"].append(note(
            "warnings", livepatch.NOTE + "VmIncompatible." + issue.code,
            f"{issue.message}: host {host.name} will stay non-compliant after the live patch until the VM is moved "
            f"to the patched revision; {livepatch.vm_fix(issue.vm)}.",
            [issue.vm.name, issue.vm.id, issue.code, host.name]))
        actions.append(f"After remediation, VM '{issue.vm.name}' ({issue.code}): {livepatch.vm_fix(issue.vm)}.")
    actions.append(f"Exit partial maintenance mode; host {host.name} is not rebooted.")
    # ImpactDetails (vSphere API 8.0.3.0): the partial maintenance mode flavour (a vim.host.PartialMaintenanceModeId)
    # and the upgrade actions before exiting it; solution_impacts is required (no solution here); no
    # memory_reservation ("If None, there is no elevated memory usage during and after the remediation")
    return {"impact_details": {"partial_maintenance_mode_name": livepatch.PARTIAL_MM_NAME,
                               "partial_maintenance_mode_upgrade_actions": lp.upgrade_actions(),
                               "solution_impacts": {}},
            # RemediationDetails: "for now, set only when Quick Patch is supported and the Quick Patch remediation
            # policy is enforced"
            "remediation_details": {"remediation_actions": [
                {"action": message(livepatch.NOTE + f"Action{i}", text)} for i, text in enumerate(actions)]}}


def _pending_details(host: Host, pending: list[Any], notes: dict[str, Any]) -> dict[str, Any]:
    """A live-patched host whose VMs could not fast-suspend-resume: one warning per VM naming it and the reason,
    the compliance status details and the actions left (RemediationDetails)."""
    actions = []
    for vm in pending:
        rule = livepatch.fsr_blocker(vm)
        code, text = (rule.code, rule.text) if rule else ("NOT_FAST_SUSPEND_RESUMED", "was not fast-suspend-resumed")
        fix = livepatch.vm_fix(vm)
        notes["warnings"].append(note(
            "warnings", livepatch.NOTE + "VmPending." + code,
            f"VM '{vm.name}' ({vm.id}) still runs the revision of host {host.name} from before the live patch: it "
            f"{text} and could not be fast-suspend-resumed; {fix}.", [vm.name, vm.id, code, host.name]))
        actions.append({"action": message(livepatch.NOTE + "PendingAction", f"VM '{vm.name}' ({code}): {fix}.",
                                          [vm.name, code])})
    names = ", ".join(f"'{v.name}'" for v in pending)
    details = note("warnings", livepatch.NOTE + "HostPendingVms",
                   f"Host {host.name} runs the desired image, but {len(pending)} VM(s) ({names}) still run the "
                   "revision from before the live patch: the host is non-compliant until each is migrated with "
                   "vMotion or power cycled and the host is scanned again.", [host.name, str(len(pending))])
    return {"compliance_status_details": details, "remediation_details": {"remediation_actions": actions}}


def rescan_hosts(world: World, target: Target, hosts: list[Host]) -> None:
    """Recompute stored compliance of hosts (vLCM rescans after stage/apply). Caller holds lock."""
    commit = desired_commit(world, target)
    for h in hosts:
        h.compliance = compute_host_compliance(world, target, h, commit)
        world.counters.host_scans += 1


def report_commit(results: dict[str, dict[str, Any]]) -> str | None:
    """The commit a set of stored host results was computed against (ClusterCompliance.commit: "the commit on
    which the scan is run to generate this result"). Hosts rescanned after a newer commit (stage/apply rescan
    only their hosts) make a mixed report: it names the oldest commit, so it never looks more current than the
    least current host result it carries."""
    commits = {r.get("commit") for r in results.values() if r.get("commit") is not None}
    if not commits:
        return None
    return min(commits, key=lambda c: (0, int(c)) if str(c).isdigit() else (1, str(c)))


def aggregate(world: World, target: Target, results: dict[str, dict[str, Any]],
              commit_id: str | None) -> dict[str, Any]:
    """ClusterCompliance from per-host results (caller holds lock); `commit_id` None for a draft scan."""
    hosts = [h for h in target.hosts(world) if h.id in results]
    groups: dict[str, list[str]] = {"COMPLIANT": [], "NON_COMPLIANT": [], "INCOMPATIBLE": [], "UNAVAILABLE": []}
    notes = new_notes()
    for h in hosts:
        groups[results[h.id]["status"]].append(h.id)
        for kind in ("warnings", "errors"):
            notes[kind].extend(results[h.id]["notifications"][kind])
    if groups["INCOMPATIBLE"]:
        status = "INCOMPATIBLE"
    elif groups["NON_COMPLIANT"]:
        status = "NON_COMPLIANT"
    elif groups["UNAVAILABLE"]:
        status = "UNAVAILABLE"
    else:
        status = "COMPLIANT"
    impacts = [results[h.id]["impact"] for h in hosts]
    known = [i for i in impacts if i != "UNKNOWN"]
    impact = max(known, key=IMPACT_ORDER.index) if known else ("UNKNOWN" if impacts else "NO_IMPACT")
    out: dict[str, Any] = {
        "impact": impact, "status": status, "notifications": notes,
        "scan_time": max((results[h.id]["scan_time"] for h in hosts), default=iso(time.time())),
        "compliant_hosts": groups["COMPLIANT"], "non_compliant_hosts": groups["NON_COMPLIANT"],
        "incompatible_hosts": groups["INCOMPATIBLE"], "unavailable_hosts": groups["UNAVAILABLE"],
        "hosts": {h.id: results[h.id] for h in hosts},
        "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in hosts},
    }
    if commit_id is not None:
        out["commit"] = commit_id
    if status == "NON_COMPLIANT":
        staged = all(results[hid].get("stage_status") == "STAGED" for hid in groups["NON_COMPLIANT"])
        out["stage_status"] = "STAGED" if staged else "NOT_STAGED"
    return out


def _aggregate(world: World, target: Target, commit: Commit) -> dict[str, Any]:
    """ClusterCompliance from the stored host results (caller holds lock). Its `commit` is the one the results
    were computed against, which after a draft commit is older than `commit` (the desired one) until a scan."""
    results = {h.id: h.compliance for h in target.hosts(world) if h.compliance is not None}
    return aggregate(world, target, results, report_commit(results) or commit.id)


def scan(world: World, target: Target, task: Task | None = None, hosts: list[Host] | None = None) -> None:
    """Blocking compliance scan of a target's hosts (all in parallel: one `scan` duration)."""
    set_progress(world, task, 5, f"Scanning {target.name}")
    sleep_phase(world, scaled(world, "scan"))
    with world.lock:
        todo = hosts if hosts is not None else target.hosts(world)
        rescan_hosts(world, target, todo)
        if target.kind == "cluster":
            target.obj.last_scan = time.time()  # type: ignore[union-attr]


def cluster_compliance(world: World, target: Target) -> dict[str, Any]:
    """GET .../compliance: the last scan result (NOT_FOUND before any scan)."""
    with world.lock:
        commit = desired_commit(world, target)
        if target.kind == "host":
            comp = target.obj.compliance  # type: ignore[union-attr]
            if comp is None:
                raise VapiError("NOT_FOUND", f"No compliance result is available for host {target.name}; "
                                             "run a scan first.")
            return comp
        if all(h.compliance is None for h in target.hosts(world)):
            raise VapiError("NOT_FOUND", f"No compliance result is available for cluster {target.name}; "
                                         "run a scan first.")
        return _aggregate(world, target, commit)


def host_compliance_report(world: World, target: Target) -> dict[str, Any]:
    return cluster_compliance(world, target)


def start_scan(world: World, target: Target, user: str) -> Task:
    def fn(task: Task) -> dict[str, Any]:
        scan(world, target, task)
        return cluster_compliance(world, target)
    with world.lock:
        desired_commit(world, target)
        busy_check(world, target)      # scans do not hold the target: many may run at once
    return start_task(world, f"{target.service}.scan", target.id, "rest", user, fn, service=target.service,
                      description=f"Check compliance of {target.name}", target_type=target.vim_type)


def compliance_unknown(host: Host, commit: Commit) -> bool:
    return host.compliance is None or host.compliance.get("commit") != commit.id
