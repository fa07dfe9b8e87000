"""Targets of vLCM operations: an image-managed cluster or standalone host; desired commits, the busy
rule (one vLCM operation per target at a time) and host selection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core import faults
from ..core.clock import iso
from ..core.errors import VapiError
from ..core.tasks import start_task
from ..model import Cluster, Commit, Host, Task, World

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



def commit_info(world: World, target: Target, commit_id: str) -> dict[str, Any]:
    with world.lock:
        c = target.obj.commits.get(commit_id)
        if c is None:
            raise VapiError("NOT_FOUND", f"Commit {commit_id} not found for {target.name}.",
                            "com.vmware.vcIntegrity.lifecycle.CommitNotFound", [commit_id])
        return {"author": c.author, "commit_time": iso(c.created), "description": c.description,
                "apply_status": "APPLIED" if c.applied else "NOT_APPLIED"}
