# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names -> ids for datacenters, clusters and hosts, through the REST inventory.

``GET /api/vcenter/datacenter|cluster|host`` with the binding's filter parameters
(``names``, ``datacenters``, ``clusters``, ``standalone``). An unknown name fails with the
list of what exists; a name found in two datacenters asks for ``datacenter``.
Knows nothing of Ansible.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    AmbiguousNameError,
    NotFoundError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import (
    Target,
    check_host_list,
    require_name,
)

MAX_LISTED = 20


def format_names(names: Sequence[str], limit: int = MAX_LISTED) -> str:
    """'a, b, c' sorted, truncated with a count; '(none)' when empty."""
    ordered = sorted(set(names))
    if not ordered:
        return "(none)"
    shown = ", ".join(ordered[:limit])
    if len(ordered) > limit:
        shown += f", ... ({len(ordered) - limit} more)"
    return shown


def pick_one(kind: str, name: str, matches: Sequence[Target], *, scope: str, existing: Sequence[str] | None,
             ambiguity_hint: str | None = None) -> Target:
    """The single match, or a NotFoundError listing ``existing``, or an AmbiguousNameError."""
    if len(matches) == 1:
        return matches[0]
    if not matches:
        listed = format_names(existing or [])
        raise NotFoundError(
            f"{kind} '{name}' not found{scope}; {kind}s there: {listed}",
            kind=kind,
            name=name,
            existing=sorted(set(existing or [])),
        )
    ids = ", ".join(m.id for m in matches)
    hint = ambiguity_hint or "narrow the search"
    raise AmbiguousNameError(f"{kind} name '{name}' matches {len(matches)} objects{scope} ({ids}); {hint}",
                             kind=kind, name=name)


class Inventory:
    """Resolve names with as few calls as possible; results are cached per run."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._cache: dict[tuple[Any, ...], Target] = {}

    # -- raw lists (binding field names: datacenter/cluster/host + name)
    def list_datacenters(self, names: Sequence[str] | None = None) -> list[Target]:
        params = [("names", n) for n in names or []]
        return [Target("datacenter", d["datacenter"], d["name"]) for d in self._client.get("/api/vcenter/datacenter", params=params) or []]

    def list_clusters(self, *, names: Sequence[str] | None = None, datacenter_id: str | None = None) -> list[Target]:
        params = [("names", n) for n in names or []]
        if datacenter_id:
            params.append(("datacenters", datacenter_id))
        return [Target("cluster", c["cluster"], c["name"]) for c in self._client.get("/api/vcenter/cluster", params=params) or []]

    def list_cluster_summaries(self, *, datacenter_id: str | None = None) -> list[dict[str, Any]]:
        params = [("datacenters", datacenter_id)] if datacenter_id else []
        return list(self._client.get("/api/vcenter/cluster", params=params) or [])

    def list_hosts(self, *, names: Sequence[str] | None = None, cluster_id: str | None = None,
                   datacenter_id: str | None = None, standalone: bool | None = None) -> list[Target]:
        params: list[tuple[str, str]] = [("names", n) for n in names or []]
        if cluster_id:
            params.append(("clusters", cluster_id))
        if datacenter_id:
            params.append(("datacenters", datacenter_id))
        if standalone is not None:
            params.append(("standalone", "true" if standalone else "false"))
        return [Target("host", h["host"], h["name"]) for h in self._client.get("/api/vcenter/host", params=params) or []]

    # -- resolution (a name is required: an empty or null one would drop the ``names`` filter and match everything)
    def datacenter(self, name: str) -> Target:
        require_name("datacenter", name, "a datacenter")
        key = ("datacenter", name)
        if key not in self._cache:
            matches = [d for d in self.list_datacenters([name]) if d.name == name]   # exact match only
            existing = None if matches else [d.name for d in self.list_datacenters()]
            self._cache[key] = pick_one("datacenter", name, matches, scope="", existing=existing)
        return self._cache[key]

    def cluster(self, name: str, datacenter: str | None = None) -> Target:
        require_name("cluster", name, "a cluster")
        key = ("cluster", name, datacenter)
        if key in self._cache:
            return self._cache[key]
        dc = self.datacenter(datacenter) if datacenter is not None else None
        scope = f" in datacenter '{dc.name}'" if dc else ""
        matches = [c for c in self.list_clusters(names=[name], datacenter_id=dc.id if dc else None) if c.name == name]
        existing = None if matches else [c.name for c in self.list_clusters(datacenter_id=dc.id if dc else None)]
        hint = None
        if len(matches) > 1 and not dc:
            hint = f"set datacenter to one of: {format_names(self._datacenters_holding('cluster', name))}"
        ref = pick_one("cluster", name, matches, scope=scope, existing=existing, ambiguity_hint=hint)
        self._cache[key] = ref
        return ref

    def host(self, name: str, *, cluster: Target | None = None, datacenter: str | None = None,
             standalone: bool | None = None) -> Target:
        """A host by name, within ``cluster`` when given, else anywhere (``standalone`` narrows)."""
        require_name("host", name, "a host")
        key = ("host", name, cluster.id if cluster else None, datacenter, standalone)
        if key in self._cache:
            return self._cache[key]
        dc = self.datacenter(datacenter) if datacenter is not None and not cluster else None
        if cluster:
            scope = f" in cluster '{cluster.name}'"
        elif standalone:
            scope = " among standalone hosts" + (f" of datacenter '{dc.name}'" if dc else "")
        else:
            scope = f" in datacenter '{dc.name}'" if dc else ""
        query = {"cluster_id": cluster.id if cluster else None, "datacenter_id": dc.id if dc else None,
                 "standalone": standalone if not cluster else None}
        matches = [h for h in self.list_hosts(names=[name], **query) if h.name == name]
        if not matches and standalone and not cluster and self.list_hosts(names=[name], standalone=False):
            raise NotFoundError(
                f"host '{name}' is not a standalone host (it is in a cluster): target its cluster with "
                f"cluster and hosts: ['{name}'] instead",
                kind="host",
                name=name,
            )
        existing = None if matches else [h.name for h in self.list_hosts(**query)]
        hint = None
        if len(matches) > 1 and not dc and not cluster:
            hint = f"set datacenter to one of: {format_names(self._datacenters_holding('host', name))}"
        ref = pick_one("host", name, matches, scope=scope, existing=existing, ambiguity_hint=hint)
        self._cache[key] = ref
        return ref

    def hosts_in_cluster(self, names: Sequence[str], cluster: Target) -> list[Target]:
        """Several hosts of one cluster with one list call; unknown names fail together."""
        check_host_list(names)
        members = self.list_hosts(cluster_id=cluster.id)
        by_name: dict[str, list[Target]] = {}
        for ref in members:
            by_name.setdefault(ref.name, []).append(ref)
        missing = [n for n in names if n not in by_name]
        if missing:
            raise NotFoundError(
                f"host(s) {', '.join(repr(n) for n in missing)} not found in cluster '{cluster.name}'; "
                f"hosts there: {format_names([m.name for m in members])}",
                kind="host",
                name=missing,
                existing=sorted({m.name for m in members}),
            )
        return [by_name[n][0] for n in dict.fromkeys(names)]

    def _datacenters_holding(self, kind: str, name: str) -> list[str]:
        holders: list[str] = []
        for dc in self.list_datacenters():
            if kind == "cluster":
                found = self.list_clusters(names=[name], datacenter_id=dc.id)
            else:
                found = self.list_hosts(names=[name], datacenter_id=dc.id)
            if found:
                holders.append(dc.name)
        return holders
