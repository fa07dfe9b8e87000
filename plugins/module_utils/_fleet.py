# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vLCM facts of every cluster and standalone host of a vCenter, for the inventory plugin.

REST (paths and fields of the official bindings), the inventory lists through ``_inventory.Inventory``:
datacenters, per datacenter its clusters and standalone hosts (one list per datacenter keeps every answer
under vCenter's 1000-item list limit), per cluster its hosts; and per cluster ``.../enablement/software``, ``.../software/compliance`` (the last
report; a scan only when asked) and ``.../software`` (the desired image). SOAP: one PropertyCollector pass
over ``ClusterComputeResource.configurationEx`` for DRS behaviour, HA admission control and vSAN, which
REST does not have (``cluster.summary`` only says whether DRS and HA are enabled).

A 403 (or ``UNAUTHORIZED``) on one object is a warning and that fact is left unset, as netbox's inventory
plugin does; a missing compliance report is status ``UNKNOWN``. Knows nothing of Ansible; the facts hold no
secret (they are what the inventory cache stores).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _capacity as capacity
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError, VsphereError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._inventory import Inventory
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

Warn = Callable[[str], None]
_MISSING = object()


def forbidden(exc: ApiError) -> bool:
    return exc.status == 403 or exc.error_type == "UNAUTHORIZED"


def _guarded(warn: Warn, what: str, default: Any, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``, or ``default`` with a warning when vCenter answers 403 (the user may not read it)."""
    try:
        return call(*args, **kwargs)
    except ApiError as exc:
        if forbidden(exc):
            warn(f"vCenter refused to show {what} (HTTP 403{' ' + exc.error_type if exc.error_type else ''}): "
                 "it is left out; give the user read privileges on it to include it")
            return default
        raise


def desired_versions(software: dict[str, Any] | None) -> dict[str, Any]:
    """Base image (version and display version) and add-on of a ``software_info``."""
    software = software or {}
    base = software.get("base_image") or {}
    add_on = software.get("add_on") or None
    details = base.get("details") or {}
    return {
        "base_image": base.get("version"),
        "base_image_display": details.get("display_version") or base.get("version"),
        "add_on": {"name": add_on.get("name"), "version": add_on.get("version")} if add_on else None,
    }


def _compliance(client: Client, target: Target, warn: Warn, scan: bool, scan_timeout: float) -> dict[str, Any] | None:
    if scan:
        _guarded(warn, f"a compliance scan of {target.label}", None, vlcm.scan, client, target, timeout=scan_timeout)
    try:
        return _guarded(warn, f"the compliance of {target.label}", None, vlcm.get_compliance, client, target)
    except ApiError as exc:
        if exc.error_type == "NOT_FOUND" or exc.status == 404:
            return None
        raise


def _image_managed(client: Client, target: Target, warn: Warn) -> bool | None:
    """``GET {target}/enablement/software`` (``enablement.software.info`` ``enabled``); None when refused."""
    info = _guarded(warn, f"the image management of {target.label}", _MISSING, client.get,
                    f"{target.base}/enablement/software")
    return None if info is _MISSING else bool((info or {}).get("enabled"))


def cluster_compliance_facts(report: dict[str, Any] | None, names: dict[str, str]) -> dict[str, Any]:
    """Status, counts and per-host status of a ``cluster_compliance`` (status UNKNOWN without a report)."""
    if not report:
        return {"status": "UNKNOWN", "scan_time": None, "counts": None, "hosts": {}, "non_compliant_hosts": []}
    hosts = {h: (v or {}).get("status") for h, v in (report.get("hosts") or {}).items()}
    for status, key in vlcm.CLUSTER_HOST_SETS.items():
        for host_id in report.get(key) or []:
            hosts.setdefault(host_id, status)
    counts = {status.lower(): len(report.get(key) or []) for status, key in vlcm.CLUSTER_HOST_SETS.items()}
    return {
        "status": report.get("status") or "UNKNOWN",
        "scan_time": report.get("scan_time"),
        "counts": counts,
        "hosts": {names.get(h, h): s for h, s in sorted(hosts.items())},
        "non_compliant_hosts": sorted(names.get(h, h) for h in report.get("non_compliant_hosts") or []),
    }


def cluster_settings(soap: Any, warn: Warn) -> dict[str, dict[str, Any]]:
    """Cluster id -> DRS behaviour, HA admission control and vSAN, from one PropertyCollector pass."""
    if soap is None:
        return {}
    try:
        rows = soap.retrieve("ClusterComputeResource", ["configurationEx"])
    except VsphereError as exc:
        warn(f"DRS, HA and vSAN settings are left out: {exc.message}")
        return {}
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        config_ex = row.get("configurationEx")
        drs = capacity.drs_settings(config_ex)
        ha = capacity.ha_settings(config_ex)
        out[row["moid"]] = {
            "drs_enabled": drs["enabled"],
            "drs_behavior": drs["behavior"] if drs["enabled"] else None,
            "ha_enabled": ha["enabled"],
            "ha_admission_control": ha["admission_control"],
            "ha_admission_control_policy": ha["policy"],
            "vsan": capacity.vsan_enabled(config_ex),
        }
    return out


def gather(client: Client, *, soap: Any = None, warn: Warn, datacenters: Sequence[str] | None = None,
           image_managed_only: bool = True, scan: bool = False, scan_timeout: float = 1800) -> dict[str, Any]:
    """``{"clusters": [...], "standalone_hosts": [...]}`` with the vLCM facts of each (see the module docstring)."""
    inventory = Inventory(client)       # the REST inventory lists (vcenter/datacenter, cluster, host)
    dcs = _guarded(warn, "the datacenters", None, inventory.list_datacenters) or []
    if datacenters is not None:
        wanted = set(datacenters)
        missing = wanted - {d.name for d in dcs}
        if missing:
            warn(f"datacenter(s) {', '.join(sorted(missing))} not found; datacenters there: "
                 f"{', '.join(sorted(d.name for d in dcs)) or '(none)'}")
        dcs = [d for d in dcs if d.name in wanted]
    settings = cluster_settings(soap, warn)
    clusters: list[dict[str, Any]] = []
    standalone: list[dict[str, Any]] = []
    for dc in sorted(dcs, key=lambda d: d.name):
        dc_name = dc.name
        summaries = _guarded(warn, f"the clusters of datacenter '{dc_name}'", None, inventory.list_cluster_summaries,
                             datacenter_id=dc.id) or []
        for summary in sorted(summaries, key=lambda c: c["name"]):
            target = Target("cluster", summary["cluster"], summary["name"])
            managed = _image_managed(client, target, warn)
            if image_managed_only and not managed:
                continue
            members = _guarded(warn, f"the hosts of {target.label}", None, inventory.list_hosts,
                               cluster_id=target.id) or []
            names = {h.id: h.name for h in members}
            facts: dict[str, Any] = {
                "id": target.id, "name": target.name, "datacenter": dc_name, "image_managed": managed,
                "host_count": len(members), "hosts": sorted(names.values()),
                "drs_enabled": summary.get("drs_enabled"), "ha_enabled": summary.get("ha_enabled"),
                "drs_behavior": None, "ha_admission_control": None, "ha_admission_control_policy": None,
                "vsan": None,
            }
            facts.update(settings.get(target.id, {}))
            if managed:
                facts["compliance"] = cluster_compliance_facts(_compliance(client, target, warn, scan, scan_timeout),
                                                               names)
                facts["desired"] = desired_versions(_guarded(warn, f"the desired image of {target.label}", None,
                                                             vlcm.get_software, client, target))
            else:
                facts["compliance"] = cluster_compliance_facts(None, names)
                facts["desired"] = desired_versions(None)
            clusters.append(facts)
        hosts = _guarded(warn, f"the standalone hosts of datacenter '{dc_name}'", None, inventory.list_hosts,
                         datacenter_id=dc.id, standalone=True) or []
        for target in sorted(hosts, key=lambda h: h.name):
            managed = _image_managed(client, target, warn)
            if image_managed_only and not managed:
                continue
            facts = {"id": target.id, "name": target.name, "datacenter": dc_name, "image_managed": managed}
            report = _compliance(client, target, warn, scan, scan_timeout) if managed else None
            facts["compliance"] = {"status": (report or {}).get("status") or "UNKNOWN",
                                   "scan_time": (report or {}).get("scan_time")}
            facts["desired"] = desired_versions(_guarded(warn, f"the desired image of {target.label}", None,
                                                         vlcm.get_software, client, target) if managed else None)
            standalone.append(facts)
    return {"clusters": clusters, "standalone_hosts": standalone}
