"""vLCM image operations for clusters and standalone hosts: scan, stage, check, apply, reports,
policies, software/depot queries.

Results are built as dicts shaped like the official binding structures (snake_case field
names, UPPER_CASE enums, RFC 3339 datetimes), so `rest.py` returns them as they are:
`HostCompliance`, `ClusterCompliance`, `Software.StageResult`, `Software.CheckResult`,
`Software.ApplyResult`, `reports.*`. Everything here runs under `world.lock` for state and
sleeps outside it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from . import faults
from .engine import (
    OpError,
    TaskFailed,
    VapiError,
    enter_maintenance,
    exit_maintenance,
    iso,
    message,
    plan_evacuation,
    scaled,
    set_progress,
    sleep_phase,
    start_task,
    vapi_error,
    vm_can_vmotion,
)
from .model import Cluster, Commit, Host, Image, Task, World

CLUSTER_SERVICE = "com.vmware.esx.settings.clusters.software"
HOST_SERVICE = "com.vmware.esx.settings.hosts.software"
IMPACT_ORDER = ["NO_IMPACT", "PARTIAL_MAINTENANCE_MODE_REQUIRED", "MAINTENANCE_MODE_REQUIRED",
                "REBOOT_REQUIRED", "UNKNOWN"]


# --------------------------------------------------------------------------- targets


@dataclass
class Target:
    """A cluster or a standalone host managed with a single image."""

    kind: str                    # "cluster" | "host"
    obj: Cluster | Host

    @property
    def id(self) -> str:
        return self.obj.id

    @property
    def name(self) -> str:
        return self.obj.name

    @property
    def service(self) -> str:
        return CLUSTER_SERVICE if self.kind == "cluster" else HOST_SERVICE

    @property
    def vim_type(self) -> str:
        return "ClusterComputeResource" if self.kind == "cluster" else "HostSystem"

    def hosts(self, world: World) -> list[Host]:
        if self.kind == "host":
            return [self.obj]  # type: ignore[list-item]
        return sorted((h for h in world.hosts.values() if h.cluster == self.id), key=lambda h: h.name)


def resolve(world: World, kind: str, obj_id: str, operation: bool = False) -> Target:
    """The cluster/standalone host `obj_id`, or VapiError NOT_FOUND / UNSUPPORTED naming it.

    `operation`: stage/check/apply, whose binding documents INVALID_ARGUMENT (not NOT_FOUND)
    for a cluster that is not managed with a single software specification.
    """
    with world.lock:
        if kind == "cluster":
            cl = world.clusters.get(obj_id)
            if cl is None:
                raise VapiError("NOT_FOUND", f"Cluster {obj_id} not found.",
                                "com.vmware.vcIntegrity.lifecycle.EntityNotFound", [obj_id])
            if not cl.image_managed:
                raise VapiError("INVALID_ARGUMENT" if operation else "NOT_FOUND",
                                f"Cluster {cl.name} ({obj_id}) is not managed with a single image.",
                                "com.vmware.vcIntegrity.lifecycle.ClusterNotImageManaged", [obj_id])
            return Target("cluster", cl)
        host = world.hosts.get(obj_id)
        if host is None:
            raise VapiError("NOT_FOUND", f"Host {obj_id} not found.",
                            "com.vmware.vcIntegrity.lifecycle.EntityNotFound", [obj_id])
        if host.cluster is not None:
            cname = world.clusters[host.cluster].name
            raise VapiError("UNSUPPORTED", f"Host {host.name} ({obj_id}) is part of cluster {cname}; "
                                           "manage its image through the cluster.",
                            "com.vmware.vcIntegrity.lifecycle.HostInCluster", [obj_id, cname])
        if host.desired_commit is None:
            raise VapiError("NOT_FOUND", f"Host {host.name} ({obj_id}) is not managed with a single image.",
                            "com.vmware.vcIntegrity.lifecycle.HostNotImageManaged", [obj_id])
        return Target("host", host)


def desired_commit(world: World, target: Target) -> Commit:
    commit_id = target.obj.desired_commit
    if commit_id is None or commit_id not in target.obj.commits:
        raise VapiError("NOT_FOUND", f"No desired image is set for {target.name}.")
    return target.obj.commits[commit_id]


def _check_commit(world: World, target: Target, commit_id: str | None) -> Commit:
    current = desired_commit(world, target)
    if commit_id is None or commit_id == current.id:
        return current
    if commit_id not in target.obj.commits:
        raise VapiError("INVALID_ARGUMENT", f"Commit {commit_id} does not exist for {target.name}.",
                        "com.vmware.vcIntegrity.lifecycle.InvalidCommit", [commit_id])
    # an older commit: vLCM uses the latest desired state (the commit is a minimum)
    return current


def _busy_check(world: World, target: Target) -> None:
    """Caller holds the lock."""
    cluster_id = target.id if target.kind == "cluster" else None
    if target.obj.busy or (cluster_id and faults.cluster_blocked(world, cluster_id)):
        what = target.obj.busy or "another operation"
        raise VapiError("NOT_ALLOWED_IN_CURRENT_STATE",
                        f"{target.name} is busy: {what} is in progress on it. Retry when it completes.",
                        "com.vmware.vcIntegrity.lifecycle.EntityBusy", [target.id])


def _select_hosts(world: World, target: Target, hosts: Any) -> list[Host]:
    members = target.hosts(world)
    if hosts is None:
        return members
    if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
        raise VapiError("INVALID_ARGUMENT", "spec.hosts must be a list of host ids.")
    by_id = {h.id: h for h in members}
    unknown = [h for h in hosts if h not in by_id]
    if unknown:
        raise VapiError("INVALID_ARGUMENT", f"Host(s) {', '.join(unknown)} are not part of {target.name}.",
                        "com.vmware.vcIntegrity.lifecycle.HostsNotInCluster", unknown)
    return [by_id[h] for h in sorted(set(hosts), key=lambda i: by_id[i].name)]


# --------------------------------------------------------------------------- depot and images


def _version_key(v: str) -> tuple:
    out: list[tuple[int, Any]] = []
    for part in v.replace("-", ".").split("."):
        out.append((0, int(part)) if part.isdigit() else (1, part))
    return tuple(out)


def base_image_info(world: World, version: str) -> dict[str, Any]:
    for bi in world.depot.base_images:
        if bi.version == version:
            return {"version": version, "details": {"display_name": bi.display_name,
                                                    "display_version": bi.display_version,
                                                    "release_date": iso(bi.release_date)}}
    return {"version": version}


def add_on_info(world: World, add_on: tuple[str, str] | None) -> dict[str, Any] | None:
    if add_on is None:
        return None
    name, version = add_on
    for ao in world.depot.add_ons:
        if ao.name == name and ao.version == version:
            return {"name": name, "version": version,
                    "details": {"display_name": ao.display_name, "vendor": ao.vendor,
                                "display_version": ao.display_version or version}}
    return {"name": name, "version": version}


def component_info(world: World, name: str, version: str | None) -> dict[str, Any]:
    for comp in world.depot.components:
        if comp.name == name and (version is None or comp.version == version):
            return {"version": version, "details": {"display_name": comp.display_name, "vendor": comp.vendor,
                                                    "display_version": comp.display_version or version}}
    return {"version": version, "details": {"display_name": name, "vendor": "VMware, Inc.",
                                            "display_version": version}}


def effective_components(world: World, image: Image) -> dict[str, tuple[str, str]]:
    """name -> (version, source) of every component an image puts on a host."""
    out: dict[str, tuple[str, str]] = {}
    for bi in world.depot.base_images:
        if bi.version == image.base_image:
            out.update({n: (v, "BASE_IMAGE") for n, v in bi.components.items()})
    if image.add_on:
        for ao in world.depot.add_ons:
            if (ao.name, ao.version) == image.add_on:
                out.update({n: (v, "ADD_ON") for n, v in ao.components.items()})
    for mgr, (pkg, ver) in image.hardware_support.items():
        for fw in world.depot.firmware:
            if fw.get("manager") == mgr and fw.get("pkg") == pkg and fw.get("version") == ver:
                out.update({n: (v, "HARDWARE_SUPPORT_PACKAGE") for n, v in fw.get("components", {}).items()})
    out.update({n: (v, "USER") for n, v in image.components.items()})
    return out


def software_info(world: World, image: Image) -> dict[str, Any]:
    """com.vmware.esx.settings.software_info of an image."""
    info: dict[str, Any] = {
        "base_image": base_image_info(world, image.base_image),
        "components": {n: component_info(world, n, v) for n, v in sorted(image.components.items())},
        "solutions": {},
    }
    ao = add_on_info(world, image.add_on)
    if ao:
        info["add_on"] = ao
    if image.hardware_support:
        info["hardware_support"] = {"packages": {m: {"pkg": p, "version": v}
                                                 for m, (p, v) in image.hardware_support.items()}}
    return info


def _firmware_modules(world: World, mgr: str, pkg: str, version: str) -> list[dict[str, Any]]:
    for fw in world.depot.firmware:
        if fw.get("manager") == mgr and fw.get("pkg") == pkg and fw.get("version") == version:
            return list(fw.get("modules", []))
    return []


def stageable_part(image: Image, host: Host) -> Image:
    """What staging can put on this host: everything but firmware if the vendor cannot stage it."""
    staged = image.copy()
    if not host.firmware_stageable:
        staged.hardware_support = {}
    return staged


def is_fully_staged(host: Host, commit: Commit) -> bool:
    return host.staged_commit == commit.id and host.staged == commit.image


def is_software_staged(host: Host, commit: Commit) -> bool:
    return host.staged_commit == commit.id and host.staged == stageable_part(commit.image, host)


# --------------------------------------------------------------------------- compliance


def _notes() -> dict[str, list[dict[str, Any]]]:
    return {"info": [], "warnings": [], "errors": []}


def _note(kind: str, nid: str, text: str, args: list[str] | None = None,
          resolution: str | None = None) -> dict[str, Any]:
    n: dict[str, Any] = {"type": {"info": "INFO", "warnings": "WARNING", "errors": "ERROR"}[kind],
                         "id": nid, "time": iso(time.time()), "message": message(nid, text, args)}
    if resolution:
        n["resolution"] = message(nid + ".resolution", resolution)
    return n


def _status_of(cur: Any, tgt: Any, incompatible: bool = False) -> str:
    if cur == tgt:
        return "COMPLIANT"
    return "INCOMPATIBLE" if incompatible else "NON_COMPLIANT"


def _live_patchable(world: World, host: Host, desired: Image, policies: dict[str, Any]) -> bool:
    inst = host.installed
    if inst is None or inst.base_image == desired.base_image:
        return False
    if inst.add_on != desired.add_on or inst.hardware_support != desired.hardware_support:
        return False
    enabled = bool(policies.get("enforce_quick_patch"))
    lp = (policies.get("software_policy_spec") or {}).get("live_patch_action") or {}
    if lp.get("live_patch_mode") in ("AUTO_LIVE_PATCH", "ENFORCE_LIVE_PATCH"):
        enabled = True
    if not enabled:
        return False
    for bi in world.depot.base_images:
        if bi.version == desired.base_image:
            return inst.base_image in bi.quick_patch_compatible_versions
    return False


def compute_host_compliance(world: World, target: Target, host: Host, commit: Commit) -> dict[str, Any]:
    """com.vmware.esx.settings.host_compliance of one host against a commit (caller holds lock)."""
    desired = commit.image
    inst = host.installed or Image(base_image="")
    now = iso(time.time())
    notes = _notes()
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
    downgrade = _version_key(inst.base_image) > _version_key(desired.base_image)
    bi_status = _status_of(inst.base_image, desired.base_image, incompatible=downgrade)
    base = {"status": bi_status, "current": base_image_info(world, inst.base_image),
            "target": base_image_info(world, desired.base_image), "notifications": _notes()}
    if stage_of(bi_status):
        base["stage_status"] = stage_of(bi_status)
    if downgrade:
        base["notifications"]["errors"].append(_note(
            "errors", "com.vmware.vcIntegrity.lifecycle.BaseImageDowngrade",
            f"Downgrading the base image from {inst.base_image} to {desired.base_image} is not supported.",
            [inst.base_image, desired.base_image]))
        notes["errors"].append(base["notifications"]["errors"][-1])
    # add-on
    ao_status = _status_of(inst.add_on, desired.add_on)
    add_on: dict[str, Any] = {"status": ao_status, "notifications": _notes()}
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
        entry: dict[str, Any] = {"status": _status_of(cur and cur[0], tgt and tgt[0]), "notifications": _notes()}
        if cur:
            entry["current"] = component_info(world, name, cur[0])
            entry["current_source"] = cur[1]
        if tgt:
            entry["target"] = component_info(world, name, tgt[0])
            entry["target_source"] = tgt[1]
        if stage_of(entry["status"]):
            entry["stage_status"] = stage_of(entry["status"])
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
        pkg: dict[str, Any] = {"status": status, "notifications": _notes(), "hardware_modules": {}}
        if cur:
            pkg["current"] = {"pkg": cur[0], "version": cur[1]}
        if tgt:
            pkg["target"] = {"pkg": tgt[0], "version": tgt[1]}
            cur_mods = {m["id"]: m for m in (_firmware_modules(world, mgr, *cur) if cur else [])}
            for mod in _firmware_modules(world, mgr, *tgt):
                cm = cur_mods.get(mod["id"])
                mstatus = _status_of(cm and cm["version"], mod["version"])
                mentry: dict[str, Any] = {"status": mstatus, "notifications": _notes(),
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
            n = _note("warnings", "com.vmware.vcIntegrity.lifecycle.FirmwareStagingNotSupported",
                      f"The hardware support manager {mgr} does not support firmware staging on host "
                      f"{host.name}. The firmware will be installed during remediation.", [mgr, host.name])
            pkg["notifications"]["warnings"].append(n)
            notes["warnings"].append(n)
        hsp[mgr] = pkg

    statuses = [base["status"], add_on["status"]] + [c["status"] for c in comps.values()] + \
               [p["status"] for p in hsp.values()]
    if host.connection_state != "connected":
        status = "UNAVAILABLE"
        notes["errors"].append(_note("errors", "com.vmware.vcIntegrity.lifecycle.HostNotConnected",
                                     f"Host {host.name} is {host.connection_state}; its compliance is unknown.",
                                     [host.name], "Reconnect the host to vCenter Server and scan again."))
    elif "INCOMPATIBLE" in statuses:
        status = "INCOMPATIBLE"
    elif "NON_COMPLIANT" in statuses:
        status = "NON_COMPLIANT"
    else:
        status = "COMPLIANT"

    if status == "COMPLIANT":
        impact = "NO_IMPACT"
    elif status in ("UNAVAILABLE", "INCOMPATIBLE"):
        impact = "UNKNOWN"
    elif base["status"] != "COMPLIANT" or fw_changes:
        policies = effective_policies(world, target)
        if base["status"] != "COMPLIANT" and _live_patchable(world, host, desired, policies):
            impact = "PARTIAL_MAINTENANCE_MODE_REQUIRED"
        else:
            impact = "REBOOT_REQUIRED"
    else:
        impact = "MAINTENANCE_MODE_REQUIRED"

    result: dict[str, Any] = {
        "impact": impact, "status": status, "notifications": notes, "scan_time": now,
        "commit": commit.id, "base_image": base, "add_on": add_on, "components": comps,
        "solutions": {}, "hardware_support": hsp,
        "host_hardware_details": {"host_uuid": host.uuid, "vendor": host.vendor, "model": host.model,
                                  "family": host.model.split()[0], "oem_strings": []},
    }
    if removed:
        result["removed_components"] = removed
    if status == "NON_COMPLIANT":
        result["stage_status"] = "STAGED" if staged_full else "NOT_STAGED"
    elif status == "UNAVAILABLE":
        result["stage_status"] = "UNKNOWN"
    return result


def _rescan_hosts(world: World, target: Target, hosts: list[Host]) -> None:
    """Recompute stored compliance of hosts (vLCM rescans after stage/apply). Caller holds lock."""
    commit = desired_commit(world, target)
    for h in hosts:
        h.compliance = compute_host_compliance(world, target, h, commit)
        world.counters.host_scans += 1


def _aggregate(world: World, target: Target, commit: Commit) -> dict[str, Any]:
    """ClusterCompliance from the stored host results (caller holds lock)."""
    hosts = [h for h in target.hosts(world) if h.compliance is not None]
    groups: dict[str, list[str]] = {"COMPLIANT": [], "NON_COMPLIANT": [], "INCOMPATIBLE": [], "UNAVAILABLE": []}
    notes = _notes()
    for h in hosts:
        groups[h.compliance["status"]].append(h.id)  # type: ignore[index]
        for kind in ("warnings", "errors"):
            notes[kind].extend(h.compliance["notifications"][kind])  # type: ignore[index]
    if groups["INCOMPATIBLE"]:
        status = "INCOMPATIBLE"
    elif groups["NON_COMPLIANT"]:
        status = "NON_COMPLIANT"
    elif groups["UNAVAILABLE"]:
        status = "UNAVAILABLE"
    else:
        status = "COMPLIANT"
    impacts = [h.compliance["impact"] for h in hosts]  # type: ignore[index]
    known = [i for i in impacts if i != "UNKNOWN"]
    impact = max(known, key=IMPACT_ORDER.index) if known else ("UNKNOWN" if impacts else "NO_IMPACT")
    out: dict[str, Any] = {
        "impact": impact, "status": status, "notifications": notes,
        "scan_time": max((h.compliance["scan_time"] for h in hosts), default=iso(time.time())),  # type: ignore[index]
        "commit": commit.id,
        "compliant_hosts": groups["COMPLIANT"], "non_compliant_hosts": groups["NON_COMPLIANT"],
        "incompatible_hosts": groups["INCOMPATIBLE"], "unavailable_hosts": groups["UNAVAILABLE"],
        "hosts": {h.id: h.compliance for h in hosts},
        "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in hosts},
    }
    if status == "NON_COMPLIANT":
        staged = all(world.hosts[hid].compliance.get("stage_status") == "STAGED"  # type: ignore[union-attr]
                     for hid in groups["NON_COMPLIANT"])
        out["stage_status"] = "STAGED" if staged else "NOT_STAGED"
    return out


def scan(world: World, target: Target, task: Task | None = None, hosts: list[Host] | None = None) -> None:
    """Blocking compliance scan of a target's hosts (all in parallel: one `scan` duration)."""
    set_progress(world, task, 5, f"Scanning {target.name}")
    sleep_phase(world, scaled(world, "scan"))
    with world.lock:
        todo = hosts if hosts is not None else target.hosts(world)
        _rescan_hosts(world, target, todo)
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
        _busy_check(world, target)      # scans do not hold the target: many may run at once
    return start_task(world, f"{target.service}.scan", target.id, "rest", user, fn, service=target.service,
                      description=f"Check compliance of {target.name}", target_type=target.vim_type)


def _unknown(host: Host, commit: Commit) -> bool:
    return host.compliance is None or host.compliance.get("commit") != commit.id


# --------------------------------------------------------------------------- staging


def _host_status(status: str, start: float, end: float, notes: dict[str, Any] | None = None,
                 progress: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "start_time": iso(start), "end_time": iso(end),
                           "notifications": notes or _notes()}
    if progress and status not in ("SKIPPED", "TIMED_OUT"):     # binding union: no progress for those
        out["progress"] = {"total": 100, "completed": 100 if status != "RUNNING" else 0,
                           "message": message("com.vmware.vcIntegrity.lifecycle.Progress", status)}
    return out


def _stage_hosts(world: World, target: Target, commit: Commit, hosts: list[Host],
                 task: Task | None, base_progress: int, span: int) -> dict[str, dict[str, Any]]:
    """Download the image to `hosts` in parallel (one thread per host). Returns host id -> status."""
    results: dict[str, dict[str, Any]] = {}
    done = [0]

    def one(host: Host) -> None:
        start = time.time()
        notes = _notes()
        with world.lock:
            connected = host.connection_state == "connected"
        if not connected:
            notes["errors"].append(_note("errors", "com.vmware.vcIntegrity.lifecycle.HostNotConnected",
                                         f"Host {host.name} is not connected.", [host.name]))
            status = "ERROR"
        else:
            sleep_phase(world, scaled(world, "download"))
            if faults.take_host_fail(world, host.id, "download"):
                notes["errors"].append(_note("errors", "com.vmware.vcIntegrity.lifecycle.StageFailed",
                                             f"Staging the image on host {host.name} failed: the download of "
                                             "the depot content did not complete.", [host.name]))
                status = "ERROR"
            else:
                with world.lock:
                    host.staged = stageable_part(commit.image, host)
                    host.staged_commit = commit.id
                    world.counters.downloads += 1
                    if commit.image.hardware_support and not host.firmware_stageable:
                        notes["warnings"].append(_note(
                            "warnings", "com.vmware.vcIntegrity.lifecycle.FirmwareStagingNotSupported",
                            f"Firmware staging is not supported on host {host.name}; the software was staged "
                            "and the firmware will be installed during remediation.", [host.name]))
                status = "OK"
        with world.lock:
            results[host.id] = _host_status(status, start, time.time(), notes)
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
        commit = _check_commit(world, target, spec.get("commit"))
        hosts = _select_hosts(world, target, spec.get("hosts")) if target.kind == "cluster" else target.hosts(world)
        _busy_check(world, target)
        target.obj.busy = "stage"

    def fn(task: Task) -> dict[str, Any]:
        try:
            return _stage(world, target, commit, hosts, task)
        finally:
            with world.lock:
                target.obj.busy = None

    return start_task(world, f"{target.service}.stage", target.id, "rest", user, fn, service=target.service,
                      description=f"Stage the desired image to {target.name}", target_type=target.vim_type)


def _stage(world: World, target: Target, commit: Commit, hosts: list[Host], task: Task) -> dict[str, Any]:
    start = time.time()
    with world.lock:   # hosts of unknown compliance trigger a compliance check (of the whole target) first
        unknown = [h for h in target.hosts(world) if _unknown(h, commit)]
    if unknown:
        scan(world, target, task, unknown)
    with world.lock:
        skipped = [h for h in hosts if h.compliance["status"] != "NON_COMPLIANT" or  # type: ignore[index]
                   is_software_staged(h, commit) or is_fully_staged(h, commit)]
        to_stage = [h for h in hosts if h not in skipped]
    statuses = _stage_hosts(world, target, commit, to_stage, task, 20, 75)
    now = time.time()
    for h in skipped:
        notes = _notes()
        comp = h.compliance or {}
        why = ("is already staged" if comp.get("status") == "NON_COMPLIANT" else
               f"is {str(comp.get('status', 'UNKNOWN')).lower().replace('_', '-')}")
        notes["info"].append(_note("info", "com.vmware.vcIntegrity.lifecycle.StageSkipped",
                                   f"Host {h.name} {why}; nothing to stage.", [h.name]))
        statuses[h.id] = _host_status("SKIPPED", start, now, notes)
    with world.lock:
        _rescan_hosts(world, target, [h for h in hosts if h.connection_state == "connected"])
        failed = [h.id for h in hosts if statuses[h.id]["status"] == "ERROR"]
        ok = [h.id for h in hosts if statuses[h.id]["status"] == "OK"]
        skip = [h.id for h in hosts if statuses[h.id]["status"] == "SKIPPED"]
        overall = _host_status("ERROR" if failed else "OK", start, time.time())
        if target.kind == "cluster":
            result: dict[str, Any] = {
                "status": overall, "commit": commit.id,
                "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in hosts},
                "host_status": statuses, "successful_hosts": ok, "failed_hosts": failed,
                "skipped_hosts": skip, "notifications": _notes()}
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


# --------------------------------------------------------------------------- policies

_BUILTIN_CLUSTER = {
    "failure_action": {"action": "RETRY", "retry_delay": 300, "retry_count": 3},
    "pre_remediation_power_action": "DO_NOT_CHANGE_VMS_POWER_STATE",
    "enable_quick_boot": False, "disable_dpm": True, "disable_hac": False, "evacuate_offline_vms": False,
    "enforce_hcl_validation": False, "parallel_remediation_action": {"enabled": False},
    "enforce_quick_patch": False,
}
_POWER_ACTIONS = {"POWER_OFF_VMS", "SUSPEND_VMS", "DO_NOT_CHANGE_VMS_POWER_STATE", "SUSPEND_VMS_TO_MEMORY"}
_CLUSTER_FIELDS = {"failure_action", "pre_remediation_power_action", "enable_quick_boot", "disable_dpm",
                   "disable_hac", "evacuate_offline_vms", "enforce_hcl_validation",
                   "parallel_remediation_action", "enforce_quick_patch", "software_policy_spec",
                   "config_manager_policy_spec"}
_HOST_FIELDS = {"failure_action", "pre_remediation_power_action", "enable_quick_boot", "software_policy_spec"}
_ONLY_91 = {"software_policy_spec"}
_LIVE_PATCH_MODES = {"DISABLE_LIVE_PATCH", "AUTO_LIVE_PATCH", "ENFORCE_LIVE_PATCH"}


def _bad(field: str, why: str) -> VapiError:
    return VapiError("INVALID_ARGUMENT", f"Invalid value for field '{field}': {why}.",
                     "com.vmware.vapi.std.errors.invalid_argument", [field])


def _bool(spec: dict[str, Any], key: str, prefix: str) -> None:
    if key in spec and spec[key] is not None and not isinstance(spec[key], bool):
        raise _bad(prefix + key, "expected a boolean")


def _int(spec: dict[str, Any], key: str, prefix: str, minimum: int) -> None:
    v = spec.get(key)
    if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < minimum):
        raise _bad(prefix + key, f"expected an integer >= {minimum}")


def validate_policy_spec(world: World, spec: Any, kind: str) -> dict[str, Any]:
    """Validate a ConfiguredPolicySpec (cluster, host or global defaults); returns the set fields."""
    if not isinstance(spec, dict):
        raise VapiError("INVALID_ARGUMENT", "The policy spec must be a JSON object.")
    allowed = _HOST_FIELDS if kind == "host" else _CLUSTER_FIELDS
    for key in spec:
        if key not in allowed:
            raise _bad(key, "unknown field of ConfiguredPolicySpec")
        if key in _ONLY_91 and spec[key] is not None and not world.is_91:
            raise VapiError("INVALID_ARGUMENT",
                            f"Field '{key}' is not supported by this vCenter Server ({world.vcenter_version}); "
                            "it requires vCenter Server 9.1 or later.",
                            "com.vmware.vapi.std.errors.invalid_argument", [key])
    out = {k: v for k, v in spec.items() if v is not None}
    fa = out.get("failure_action")
    if fa is not None:
        if not isinstance(fa, dict) or fa.get("action") not in ("FAIL", "RETRY"):
            raise _bad("failure_action.action", "expected FAIL or RETRY")
        _int(fa, "retry_delay", "failure_action.", 0)
        _int(fa, "retry_count", "failure_action.", 0)
        extra = set(fa) - {"action", "retry_delay", "retry_count"}
        if extra:
            raise _bad("failure_action." + sorted(extra)[0], "unknown field")
        for key in ("retry_delay", "retry_count"):     # the binding's union on `action`
            if fa["action"] == "RETRY" and fa.get(key) is None:
                raise _bad(f"failure_action.{key}", "required when action is RETRY")
            if fa["action"] == "FAIL" and fa.get(key) is not None:
                raise _bad(f"failure_action.{key}", "not allowed when action is FAIL")
    pa = out.get("pre_remediation_power_action")
    if pa is not None and pa not in _POWER_ACTIONS:
        raise _bad("pre_remediation_power_action", f"expected one of {sorted(_POWER_ACTIONS)}")
    for key in ("enable_quick_boot", "disable_dpm", "disable_hac", "evacuate_offline_vms",
                "enforce_hcl_validation", "enforce_quick_patch"):
        _bool(out, key, "")
    pra = out.get("parallel_remediation_action")
    if pra is not None:
        if not isinstance(pra, dict) or not isinstance(pra.get("enabled"), bool):
            raise _bad("parallel_remediation_action.enabled", "expected a boolean")
        _int(pra, "max_hosts", "parallel_remediation_action.", 1)
    sps = out.get("software_policy_spec")
    if sps is not None:
        if not isinstance(sps, dict):
            raise _bad("software_policy_spec", "expected an object")
        lpa = sps.get("live_patch_action")
        if lpa is not None and (not isinstance(lpa, dict) or lpa.get("live_patch_mode") not in _LIVE_PATCH_MODES):
            raise _bad("software_policy_spec.live_patch_action.live_patch_mode",
                       f"expected one of {sorted(_LIVE_PATCH_MODES)}")
    cmp_ = out.get("config_manager_policy_spec")
    if cmp_ is not None and not isinstance(cmp_, dict):
        raise _bad("config_manager_policy_spec", "expected an object")
    return out


_BUILTIN_HOST = {
    "failure_action": {"action": "RETRY", "retry_delay": 300, "retry_count": 3},
    "pre_remediation_power_action": "DO_NOT_CHANGE_VMS_POWER_STATE",
    "enable_quick_boot": False,
}


def _globals(world: World, kind: str) -> dict[str, Any]:
    return world.global_host_policies if kind == "host" else world.global_policies


def get_policies(world: World, target: Target | None, defaults_kind: str = "cluster") -> dict[str, Any]:
    """The configured policy spec of a target, or of the cluster/host defaults (target None)."""
    with world.lock:
        src = _globals(world, defaults_kind) if target is None else target.obj.policies
        return dict(src)


def set_policies(world: World, target: Target | None, spec: Any, defaults_kind: str = "cluster") -> None:
    kind = defaults_kind if target is None else target.kind
    clean = validate_policy_spec(world, spec, kind)
    with world.lock:
        if target is None and defaults_kind == "host":
            world.global_host_policies = clean
        elif target is None:
            world.global_policies = clean
        else:
            target.obj.policies = clean


def effective_policies(world: World, target: Target | None, defaults_kind: str = "cluster") -> dict[str, Any]:
    """Built-in defaults <- the global defaults (clusters or hosts) <- the target's configured policies."""
    kind = defaults_kind if target is None else target.kind
    with world.lock:
        builtin = _BUILTIN_HOST if kind == "host" else _BUILTIN_CLUSTER
        eff: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in builtin.items()}
        if world.is_91 and kind == "cluster":
            eff["software_policy_spec"] = {"live_patch_action": {"live_patch_mode": "DISABLE_LIVE_PATCH"}}
        layers = [_globals(world, kind)] + ([target.obj.policies] if target is not None else [])
        for layer in layers:
            for k, v in layer.items():
                eff[k] = dict(v) if isinstance(v, dict) else v
        return eff


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
}


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
    _plan, problems = plan_evacuation(world, host.id, include_powered_off=bool(policies.get("evacuate_offline_vms")),
                                      exclude_hosts=exclude)
    pinned = [v for v in running if vm_can_vmotion(v)]
    for p in problems:
        if changes_power and "cannot be migrated" in p:
            warnings.append((p + f"; it will be {'powered off' if power_action == 'POWER_OFF_VMS' else 'suspended'}"
                                 " before remediation.", None))
        else:
            errors.append((f"Host {host.name} cannot enter maintenance mode: {p}.",
                           "Power off or migrate the VMs, add capacity to the cluster, or set "
                           "pre_remediation_power_action to POWER_OFF_VMS." if pinned or "room" in p else None))
    return errors, warnings


def _check(world: World, target: Target, commit: Commit, hosts: list[Host], task: Task) -> dict[str, Any]:
    start = time.time()
    set_progress(world, task, 10, f"Running pre-checks on {target.name}")
    sleep_phase(world, scaled(world, "check"))
    with world.lock:
        policies = effective_policies(world, target)
        entity_results = []
        worst = "OK"
        rank = {"OK": 0, "WARNING": 1, "ERROR": 2}
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
            if conn_ok and comp["status"] == "NON_COMPLIANT" and comp["impact"] != "NO_IMPACT":
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
        commit = _check_commit(world, target, spec.get("commit"))
        hosts = _select_hosts(world, target, spec.get("hosts")) if target.kind == "cluster" else target.hosts(world)
        _busy_check(world, target)
        target.obj.busy = "check"

    def fn(task: Task) -> dict[str, Any]:
        try:
            return _check(world, target, commit, hosts, task)
        finally:
            with world.lock:
                target.obj.busy = None

    return start_task(world, f"{target.service}.check", target.id, "rest", user, fn, service=target.service,
                      description=f"Remediation pre-check of {target.name}", target_type=target.vim_type)


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


# --------------------------------------------------------------------------- apply


def _phase(world: World, host: Host, phase: str, duration: str) -> None:
    sleep_phase(world, scaled(world, duration))
    if faults.take_host_fail(world, host.id, phase):
        raise OpError("SystemError", f"Host {host.name} failed during {phase.replace('_', ' ')} (injected fault).")


def _remediate_host(world: World, target: Target, commit: Commit, host: Host,
                    policies: dict[str, Any], task: Task) -> tuple[str, dict[str, Any], float]:
    """Enter maintenance, install, reboot, exit; with the failure_action retries. (status, notes, start)."""
    start = time.time()
    notes = _notes()
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
                                    (not drs_auto or vm_can_vmotion(vm)):
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
                    _stage_hosts(world, target, commit, [host], None, 0, 0)
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
                _rescan_hosts(world, target, [host])
            notes["info"].append(_note("info", "com.vmware.vcIntegrity.lifecycle.HostRemediated",
                                       f"Host {host.name} was remediated to commit {commit.id}.", [host.name]))
            return "OK", notes, start
        except OpError as exc:
            retriable = attempt < attempts
            n = _note("errors" if not retriable else "warnings",
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
                _rescan_hosts(world, target, [host])
            return "ERROR", notes, start
    raise AssertionError("unreachable")


def start_apply(world: World, target: Target, spec: dict[str, Any], user: str) -> Task:
    if spec.get("accept_eula") is not True:
        raise VapiError("INVALID_ARGUMENT", "The end user license agreement must be accepted: set "
                                            "spec.accept_eula to true.",
                        "com.vmware.vcIntegrity.lifecycle.EulaNotAccepted", ["accept_eula"])
    with world.lock:
        commit = _check_commit(world, target, spec.get("commit"))
        hosts = _select_hosts(world, target, spec.get("hosts")) if target.kind == "cluster" else target.hosts(world)
        _busy_check(world, target)
        if all(h.installed == commit.image and h.connection_state == "connected" for h in hosts):
            raise VapiError("ALREADY_IN_DESIRED_STATE",
                            f"{target.name} is already compliant with the desired image (commit {commit.id}).",
                            "com.vmware.vcIntegrity.lifecycle.AlreadyInDesiredState", [target.name])
        target.obj.busy = "apply"

    def fn(task: Task) -> dict[str, Any]:
        try:
            return _apply(world, target, commit, hosts, task)
        finally:
            with world.lock:
                target.obj.busy = None

    return start_task(world, f"{target.service}.apply", target.id, "rest", user, fn, service=target.service,
                      description=f"Remediate {target.name}", target_type=target.vim_type)


def _apply(world: World, target: Target, commit: Commit, hosts: list[Host], task: Task) -> dict[str, Any]:
    start = time.time()
    with world.lock:
        unknown = [h for h in target.hosts(world) if _unknown(h, commit)]
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
            notes = _notes()
            if comp.get("status") == "COMPLIANT":
                notes["info"].append(_note("info", "com.vmware.vcIntegrity.lifecycle.HostCompliant",
                                           f"Host {h.name} is already compliant.", [h.name]))
                statuses[h.id] = _host_status("SKIPPED", start, time.time(), notes)
            else:
                reason = "; ".join(n["message"]["default_message"] for n in comp.get("notifications", {})
                                   .get("errors", [])) or f"host {h.name} is {comp.get('status')}"
                notes["errors"].append(_note("errors", "com.vmware.vcIntegrity.lifecycle.HostNotRemediable",
                                             f"Host {h.name} cannot be remediated: {reason}", [h.name]))
                statuses[h.id] = _host_status("ERROR", start, time.time(), notes)
        to_stage = [h for h in todo if not (is_software_staged(h, commit) or is_fully_staged(h, commit))]
    set_progress(world, task, 10, f"Staging {len(to_stage)} host(s)")
    staged = _stage_hosts(world, target, commit, to_stage, task, 10, 20) if to_stage else {}
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
                notes = _notes()
                notes["info"].append(_note("info", "com.vmware.vcIntegrity.lifecycle.HostSkipped",
                                           f"Host {h.name} was not remediated because remediation of another host "
                                           "failed.", [h.name]))
                statuses[h.id] = _host_status("SKIPPED", time.time(), time.time(), notes)
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
            statuses[h.id] = _host_status(st, hstart, time.time(), notes)
            if st == "ERROR":
                stop = True
        done += len(group)
        set_progress(world, task, 30 + 68 * done // max(1, len(todo)), f"Remediated {done} of {len(todo)} hosts")
    with world.lock:
        failed = [h.id for h in hosts if statuses[h.id]["status"] == "ERROR"]
        ok = [h.id for h in hosts if statuses[h.id]["status"] == "OK"]
        skipped = [h.id for h in hosts if statuses[h.id]["status"] == "SKIPPED"]
        overall = _host_status("ERROR" if failed else "OK", start, time.time())
        if not failed and all(h.installed == commit.image for h in target.hosts(world)):
            commit.applied = True
        if target.kind == "cluster":
            result: dict[str, Any] = {
                "status": overall, "commit": commit.id,
                "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in hosts},
                "host_status": statuses, "successful_hosts": ok, "failed_hosts": failed, "skipped_hosts": skipped,
                "notifications": _notes()}
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


def commit_info(world: World, target: Target, commit_id: str) -> dict[str, Any]:
    with world.lock:
        c = target.obj.commits.get(commit_id)
        if c is None:
            raise VapiError("NOT_FOUND", f"Commit {commit_id} not found for {target.name}.",
                            "com.vmware.vcIntegrity.lifecycle.CommitNotFound", [commit_id])
        return {"author": c.author, "commit_time": iso(c.created), "description": c.description,
                "apply_status": "APPLIED" if c.applied else "NOT_APPLIED"}


__all__ = ["Target", "resolve", "scan", "start_scan", "start_stage", "start_check", "start_apply",
           "cluster_compliance", "last_check_result", "last_apply_result", "apply_impact", "get_policies",
           "set_policies", "effective_policies", "software_info", "desired_commit", "commit_info",
           "TaskFailed"]
