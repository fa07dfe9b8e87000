# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compliance of many clusters and standalone hosts in one run: one REST session, scans concurrently.

The fleet report (role ``compliance_report``) used to start one ``compliance`` module per cluster: a Python
start-up, a login, two name look-ups and a logout each. Here the clusters are listed once per datacenter and
every cluster is checked by a worker thread of a pool (``parallel`` at a time) sharing one logged-in
:class:`RestClient`: per cluster the image-management check, the scan task (``POST ...?action=scan``, then
``GET /api/cis/tasks/{task}`` until it ends) and ``GET .../software/compliance``. vCenter runs the scans in
parallel; a cluster that cannot be checked becomes an entry with status ``ERROR`` (or ``NOT_SCANNED``) and its
reason, and the others go on.

Also pure shaping: live-patch readiness and VMs that cannot fast-suspend-resume, read from a host's
``host_compliance`` (``impact``, ``impact_details``, notification ids), and the fleet counts. Knows nothing of
Ansible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    NotFoundError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._inventory import Inventory, format_names
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import (
    Client,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

MAX_PARALLEL = 64
# notification ids of live patch (vLCM: com.vmware.vcIntegrity.lifecycle.LivePatch.<what>)
LIVE_PATCH_MARK = ".LivePatch."
INELIGIBLE_MARK = ".LivePatch.Ineligible."
VM_MARKS = (".LivePatch.VmIncompatible.", ".LivePatch.VmPending.")
STATUSES = ("COMPLIANT", "NON_COMPLIANT", "INCOMPATIBLE", "UNAVAILABLE", "NOT_SCANNED", "ERROR")

Warn = Callable[[str], None]


# ----------------------------------------------------------------------------- shaping (pure)
def _notes(compliance: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    out = []
    for key in ("errors", "warnings", "info"):
        for item in (compliance.get("notifications") or {}).get(key) or []:
            if isinstance(item, Mapping):
                out.append((str(item.get("id") or ""), item))
    return out


def _text(item: Mapping[str, Any]) -> str:
    message = item.get("message")
    return str(message.get("default_message") or "") if isinstance(message, Mapping) else ""


def live_patch(compliance: Mapping[str, Any]) -> dict[str, Any] | None:
    """Live-patch readiness of one host (None when vCenter says nothing about it: rendered "n/a").

    ``ready`` is true when the remediation would use partial maintenance mode (``impact``
    PARTIAL_MAINTENANCE_MODE_REQUIRED or ``impact_details.partial_maintenance_mode_name``), false when the scan
    names reasons it cannot (``...LivePatch.Ineligible.*`` notifications), with those reasons.
    """
    details = compliance.get("impact_details")
    mode = details.get("partial_maintenance_mode_name") if isinstance(details, Mapping) else None
    reasons = [_text(item) for nid, item in _notes(compliance) if INELIGIBLE_MARK in nid]
    if compliance.get("impact") == "PARTIAL_MAINTENANCE_MODE_REQUIRED" or mode:
        return {"ready": True, "partial_maintenance_mode": mode, "reasons": []}
    if reasons:
        return {"ready": False, "partial_maintenance_mode": None, "reasons": reasons}
    return None


def incompatible_vms(compliance: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """VMs the scan names as unable to fast-suspend-resume (before or after a live patch), or None when the scan
    reports nothing about live patch for this host."""
    vms = []
    for nid, item in _notes(compliance):
        mark = next((m for m in VM_MARKS if m in nid), None)
        if mark is None:
            continue
        message = item.get("message")
        args = (message.get("args") or []) if isinstance(message, Mapping) else []
        vms.append({"name": str(args[0]) if args else None, "reason": nid.split(mark, 1)[1],
                    "pending": "VmPending" in mark, "message": _text(item)})
    if vms:
        return vms
    if any(LIVE_PATCH_MARK in nid for nid, _item in _notes(compliance)) or live_patch(compliance):
        return []
    return None


def add_live_patch(rows: list[dict[str, Any]], raw_hosts: Mapping[str, Any]) -> None:
    """``live_patch`` and ``incompatible_vms`` on each host row (from its raw ``host_compliance``)."""
    for row in rows:
        raw = raw_hosts.get(row["id"]) or {}
        row["live_patch"] = live_patch(raw)
        row["incompatible_vms"] = incompatible_vms(raw)


def fleet_counts(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Targets per status and hosts per status over every entry (an entry that could not be checked has no
    hosts: counted under targets only)."""
    targets = {s.lower(): 0 for s in STATUSES}
    hosts = {s.lower(): 0 for s in vlcm.COMPLIANCE_STATUSES}
    for entry in entries:
        key = str(entry.get("status") or "UNAVAILABLE").lower()
        targets[key] = targets.get(key, 0) + 1
        for host in entry.get("hosts") or []:
            hkey = str(host.get("status") or "UNAVAILABLE").lower()
            hosts[hkey] = hosts.get(hkey, 0) + 1
    targets["total"] = sum(targets.values())
    hosts["total"] = sum(hosts.values())
    return {"targets": targets, "hosts": hosts}


def failed_entry(target: dict[str, Any], exc: VsphereError, *, refresh: bool) -> dict[str, Any]:
    """An entry for a target that could not be checked: NOT_SCANNED (no report yet and no scan asked) or ERROR."""
    if not refresh and isinstance(exc, ApiError) and exc.error_type == "NOT_FOUND":
        return {"target": target, "status": "NOT_SCANNED",
                "error": "vCenter has no compliance report for it yet (never scanned): set vlcm_refresh=true "
                         "(module option refresh) to scan it"}
    return {"target": target, "status": "ERROR", "error": exc.message}


# ----------------------------------------------------------------------------- operations
class FleetCheck:
    """Check the compliance of clusters and standalone hosts with one client, ``parallel`` at a time."""

    def __init__(self, client: Client, *, refresh: bool, wait_timeout: float, include_compliant: bool,
                 parallel: int, warn: Warn) -> None:
        self.client = client
        self.inventory = Inventory(client)
        self.refresh = refresh
        self.wait_timeout = wait_timeout
        self.include_compliant = include_compliant
        self.parallel = max(1, min(MAX_PARALLEL, parallel))
        self.warn = warn

    # -- discovery (main thread: the first call logs in, before any worker runs)
    def clusters(self, names: Sequence[str] | None, datacenter: str | None) -> list[tuple[Target, str]]:
        """(cluster, datacenter name) of every cluster of the datacenter(s), or of those named (an unknown name
        fails, listing the clusters there); sorted by datacenter and name."""
        dcs = [self.inventory.datacenter(datacenter)] if datacenter is not None else self.inventory.list_datacenters()
        found: list[tuple[Target, str]] = []
        for dc in dcs:
            for summary in self.inventory.list_cluster_summaries(datacenter_id=dc.id):
                found.append((Target("cluster", summary["cluster"], summary["name"]), dc.name))
        if names is not None:
            missing = [n for n in dict.fromkeys(names) if n not in {c.name for c, _dc in found}]
            if missing:
                scope = f" in datacenter '{datacenter}'" if datacenter is not None else ""
                raise NotFoundError(f"cluster(s) {', '.join(repr(n) for n in missing)} not found{scope}; clusters "
                                    f"there: {format_names([c.name for c, _dc in found])}", kind="cluster",
                                    name=missing, existing=sorted({c.name for c, _dc in found}))
            wanted = set(names)
            found = [(c, dc) for c, dc in found if c.name in wanted]
        return sorted(found, key=lambda x: (x[1], x[0].name))

    # -- one target (a worker)
    def check_cluster(self, cluster: Target, datacenter: str) -> dict[str, Any] | None:
        """The report of one cluster, an ERROR / NOT_SCANNED entry, or None when vLCM does not manage it with an
        image (left out)."""
        target = {**cluster.as_result(), "datacenter": datacenter}
        try:
            if not vlcm.is_image_managed(self.client, cluster.id):
                return None
            return {"target": target, **self._report(cluster)}
        except VsphereError as exc:
            return failed_entry(target, exc, refresh=self.refresh)

    def check_host(self, name: str, datacenter: str | None) -> dict[str, Any]:
        target: dict[str, Any] = {"type": "host", "id": None, "name": name}
        try:
            host = self.inventory.host(name, datacenter=datacenter, standalone=True)
            target = host.as_result()
            return {"target": target, **self._report(host)}
        except VsphereError as exc:
            return failed_entry(target, exc, refresh=self.refresh)

    def _report(self, target: Target) -> dict[str, Any]:
        scan_task = None
        if self.refresh:
            scan_task = vlcm.scan(self.client, target, timeout=self.wait_timeout).get("_task_id")
        compliance = vlcm.get_compliance(self.client, target)
        if target.kind == "cluster":
            report = vlcm.cluster_report(compliance, include_compliant=self.include_compliant)
            add_live_patch(report["hosts"], compliance.get("hosts") or {})
        else:
            report = vlcm.standalone_report(target.id, target.name, compliance,
                                            include_compliant=self.include_compliant)
            add_live_patch(report["hosts"], {target.id: compliance})
        return {"refreshed": self.refresh, "scan_task": scan_task, **report}

    # -- everything
    def run(self, clusters: Sequence[tuple[Target, str]], hosts: Sequence[str],
            datacenter: str | None) -> dict[str, Any]:
        jobs: list[Callable[[], dict[str, Any] | None]] = []
        jobs += [lambda c=c, dc=dc: self.check_cluster(c, dc) for c, dc in clusters]
        jobs += [lambda h=h: self.check_host(h, datacenter) for h in hosts]
        if self.parallel == 1 or len(jobs) <= 1:
            results = [job() for job in jobs]
        else:
            with ThreadPoolExecutor(max_workers=min(self.parallel, len(jobs)),
                                    thread_name_prefix="vlcm-compliance") as pool:
                results = list(pool.map(lambda job: job(), jobs))
        cluster_entries = [r for r in results[:len(clusters)] if r is not None]
        skipped = [clusters[i][0].name for i in range(len(clusters)) if results[i] is None]
        host_entries = [r for r in results[len(clusters):] if r is not None]
        return {"clusters": cluster_entries, "standalone_hosts": host_entries, "not_image_managed": skipped,
                "counts": fleet_counts(cluster_entries + host_entries)}
