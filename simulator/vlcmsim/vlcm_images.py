"""Targets of vLCM operations (an image-managed cluster or standalone host), depot and image
helpers, notifications. Results are dicts shaped like the official binding structures
(snake_case fields, UPPER_CASE enums, RFC 3339 datetimes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import faults
from .engine import (
    VapiError,
    iso,
    message,
    start_task,
)
from .model import Cluster, Commit, Host, Image, Task, World

CLUSTER_SERVICE = "com.vmware.esx.settings.clusters.software"
HOST_SERVICE = "com.vmware.esx.settings.hosts.software"


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


def check_commit(world: World, target: Target, commit_id: str | None) -> Commit:
    current = desired_commit(world, target)
    if commit_id is None or commit_id == current.id:
        return current
    if commit_id not in target.obj.commits:
        raise VapiError("INVALID_ARGUMENT", f"Commit {commit_id} does not exist for {target.name}.",
                        "com.vmware.vcIntegrity.lifecycle.InvalidCommit", [commit_id])
    # an older commit: vLCM uses the latest desired state (the commit is a minimum)
    return current


def busy_check(world: World, target: Target) -> None:
    """Caller holds the lock."""
    cluster_id = target.id if target.kind == "cluster" else None
    if target.obj.busy or (cluster_id and faults.cluster_blocked(world, cluster_id)):
        what = target.obj.busy or "another operation"
        raise VapiError("NOT_ALLOWED_IN_CURRENT_STATE",
                        f"{target.name} is busy: {what} is in progress on it. Retry when it completes.",
                        "com.vmware.vcIntegrity.lifecycle.EntityBusy", [target.id])


def start_exclusive(world: World, target: Target, operation: str, user: str, description: str,
                    body: Callable[[Task], dict[str, Any]]) -> Task:
    """Run `body(task)` as the vLCM task `operation`, holding `target` busy until it ends.

    The caller holds world.lock and has passed `busy_check`, so claiming the target is atomic with the check.
    """
    target.obj.busy = operation

    def fn(task: Task) -> dict[str, Any]:
        try:
            return body(task)
        finally:
            with world.lock:
                target.obj.busy = None

    return start_task(world, f"{target.service}.{operation}", target.id, "rest", user, fn, service=target.service,
                      description=description, target_type=target.vim_type)


def select_hosts(world: World, target: Target, hosts: Any) -> list[Host]:
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


def version_key(v: str) -> tuple:
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


def firmware_modules(world: World, mgr: str, pkg: str, version: str) -> list[dict[str, Any]]:
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


# --------------------------------------------------------------------------- notifications


def new_notes() -> dict[str, list[dict[str, Any]]]:
    return {"info": [], "warnings": [], "errors": []}


def note(kind: str, nid: str, text: str, args: list[str] | None = None,
          resolution: str | None = None) -> dict[str, Any]:
    n: dict[str, Any] = {"type": {"info": "INFO", "warnings": "WARNING", "errors": "ERROR"}[kind],
                         "id": nid, "time": iso(time.time()), "message": message(nid, text, args)}
    if resolution:
        n["resolution"] = message(nid + ".resolution", resolution)
    return n


def commit_info(world: World, target: Target, commit_id: str) -> dict[str, Any]:
    with world.lock:
        c = target.obj.commits.get(commit_id)
        if c is None:
            raise VapiError("NOT_FOUND", f"Commit {commit_id} not found for {target.name}.",
                            "com.vmware.vcIntegrity.lifecycle.CommitNotFound", [commit_id])
        return {"author": c.author, "commit_time": iso(c.created), "description": c.description,
                "apply_status": "APPLIED" if c.applied else "NOT_APPLIED"}
