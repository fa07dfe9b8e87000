# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vLCM operations as functions over the REST client, plus pure shaping of their results.

Paths and fields are the ones of the official bindings (``com.vmware.esx.settings``):
``/api/esx/settings/clusters/{cluster}/software`` (scan, stage, check, apply, compliance,
policies) and ``/api/esx/settings/hosts/{host}/software`` for standalone hosts.
Knows nothing of Ansible. New operations (stage/check/apply, drafts, export) follow the
pattern of :func:`run_software_task`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    ConnectionFailure,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._image import software_to_spec
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target
from ansible_collections.vsphere.lifecycle.plugins.module_utils._tasks import PollPolicy, wait_for_task

FIRMWARE_STAGING_NOT_SUPPORTED = "FirmwareStagingNotSupported"   # the notification id vLCM uses
COMPLIANCE_STATUSES = ("COMPLIANT", "NON_COMPLIANT", "INCOMPATIBLE", "UNAVAILABLE")
# cluster_compliance host id sets, in the order of COMPLIANCE_STATUSES
CLUSTER_HOST_SETS = {
    "COMPLIANT": "compliant_hosts",
    "NON_COMPLIANT": "non_compliant_hosts",
    "INCOMPATIBLE": "incompatible_hosts",
    "UNAVAILABLE": "unavailable_hosts",
}


# ----------------------------------------------------------------------------- operations
def run_software_task(
    client: Client,
    target: Target,
    action: str,
    *,
    spec: Mapping[str, Any] | None = None,
    timeout: float,
    what: str | None = None,
    poll: PollPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
    retry_on_reset: bool = False,
    on_started: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``POST {target}/software?action=<action>&vmw-task=true`` and wait for the task; returns the task info.

    A reset connection is retried only when ``retry_on_reset`` (safe for a scan). Otherwise the request may
    or may not have reached vCenter: the running ``action`` task of the target, if there is one, is the one
    it started and is waited for; if there is none, nothing was started and the error says so.
    429/502/503/504 answers are always retried. ``on_started(task_id)`` is called once the task exists (from
    then on, something may change in vCenter even if the wait fails).

    In the ``/api`` form the body is the ``spec`` structure itself (e.g. ``stage_spec``
    ``{"commit": ..., "hosts": [...]}``); None sends no body.
    """
    try:
        task_id = client.post(
            f"{target.base}/software",
            params={"action": action, "vmw-task": "true"},
            json=dict(spec) if spec is not None else None,
            retry_on_reset=retry_on_reset,
        )
    except ConnectionFailure as exc:
        if retry_on_reset:
            raise
        task_id = _task_started_anyway(client, target, action, exc)
    if not isinstance(task_id, str) or not task_id:
        raise ApiError(f"{action} of {target.label}: vCenter returned no task id", method="POST",
                       path=f"{target.base}/software?action={action}")
    if on_started is not None:
        on_started(task_id)
    kwargs: dict[str, Any] = {}
    if sleep is not None:
        kwargs["sleep"] = sleep
    info = wait_for_task(client, task_id, description=what or f"{action} of {target.label}", timeout=timeout,
                         poll=poll, **kwargs)
    info.setdefault("_task_id", task_id)
    return info


def service(target: Target) -> str:
    """The vAPI service of a target's software operations (``cis.task.info.service``)."""
    return f"com.vmware.esx.settings.{'clusters' if target.kind == 'cluster' else 'hosts'}.software"


def running_task(client: Client, target: Target, action: str) -> str | None:
    """Id of a PENDING or RUNNING ``action`` task of ``target`` (``GET /api/cis/tasks`` filtered by service and
    status), or None."""
    params = [("services", service(target)), ("status", "PENDING"), ("status", "RUNNING")]
    for task_id, info in (client.get("/api/cis/tasks", params=params) or {}).items():
        task_target = (info or {}).get("target") or {}
        if (info or {}).get("operation") == action and task_target.get("id") == target.id:
            return str(task_id)
    return None


def _task_started_anyway(client: Client, target: Target, action: str, exc: ConnectionFailure) -> str:
    """After a connection failure on the POST that starts a task: the task it started, or a clear error."""
    try:
        task_id = running_task(client, target, action)
    except VsphereError:
        raise ConnectionFailure(f"{exc.message}. The {action} request may have reached vCenter: check the recent "
                                f"tasks of {target.label} in the vSphere Client before running it again") from None
    if task_id is None:
        raise ConnectionFailure(f"{exc.message}. The {action} request started no task on {target.label} (none is "
                                "running in vCenter), so it changed nothing; run it again once vCenter is reachable"
                                ) from None
    return task_id


def scan(client: Client, target: Target, *, timeout: float, **kwargs: Any) -> dict[str, Any]:
    """Compliance scan (a task): checks every host against the desired image; changes nothing on hosts."""
    kwargs.setdefault("retry_on_reset", True)  # a repeated scan is harmless
    return run_software_task(client, target, "scan", timeout=timeout, what=f"compliance scan of {target.label}", **kwargs)


def get_compliance(client: Client, target: Target) -> dict[str, Any]:
    """The last compliance report: ``cluster_compliance`` for a cluster, ``host_compliance`` for a host."""
    return client.get(f"{target.base}/software/compliance") or {}


def get_software(client: Client, target: Target) -> dict[str, Any]:
    """The desired image (``software_info``)."""
    return client.get(f"{target.base}/software") or {}


def get_policies(client: Client, target: Target) -> dict[str, Any]:
    """Apply policies in effect (``.../policies/apply/effective``: configured values merged over the defaults).

    Clusters: ``clusters.policies.apply.effective``; standalone hosts:
    ``hosts.policies.apply.effective`` (vSphere API 8.0.0.1).
    """
    return client.get(f"{target.base}/policies/apply/effective") or {}


def get_configured_policies(client: Client, target: Target) -> dict[str, Any]:
    return client.get(f"{target.base}/policies/apply") or {}


def is_image_managed(client: Client, cluster_id: str) -> bool:
    """Whether vLCM manages the cluster with a single image.

    ``GET /api/esx/settings/clusters/{cluster}/enablement/software`` (``enablement.software.info``:
    ``{"enabled": bool}``).
    """
    info = client.get(f"/api/esx/settings/clusters/{cluster_id}/enablement/software") or {}
    return bool(info.get("enabled"))


# ----------------------------------------------------------------------------- shaping (pure)
def notification_texts(notifications: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """``notifications`` {info, warnings, errors} -> the same keys with plain message strings."""
    out: dict[str, list[str]] = {"errors": [], "warnings": [], "info": []}
    for key in out:
        for item in (notifications or {}).get(key) or []:
            message = item.get("message") if isinstance(item, Mapping) else None
            text = message.get("default_message") if isinstance(message, Mapping) else None
            if text:
                resolution = item.get("resolution")
                fix = resolution.get("default_message") if isinstance(resolution, Mapping) else None
                out[key].append(f"{text} ({fix})" if fix else text)
    return out


def has_notification(notifications: Any, marker: str) -> bool:
    """Whether any notification's id contains ``marker``."""
    for key in ("warnings", "errors", "info"):
        for item in (notifications or {}).get(key) or []:
            if isinstance(item, Mapping) and marker in str(item.get("id") or ""):
                return True
    return False


def _version(info: Any) -> str | None:
    return info.get("version") if isinstance(info, Mapping) else None


def _display_version(info: Any) -> str | None:
    if not isinstance(info, Mapping):
        return None
    details = info.get("details")
    if isinstance(details, Mapping):
        return details.get("display_version") or info.get("version")
    return info.get("version")


def _base_image_drift(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not item:
        return None
    return {
        "status": item.get("status"),
        "stage_status": item.get("stage_status"),
        "current": _version(item.get("current")),
        "target": _version(item.get("target")),
        "current_display": _display_version(item.get("current")),
        "target_display": _display_version(item.get("target")),
    }


def _add_on_drift(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not item:
        return None
    current, target = item.get("current"), item.get("target")
    return {
        "status": item.get("status"),
        "stage_status": item.get("stage_status"),
        "name": (target or current or {}).get("name"),
        "current": _version(current),
        "target": _version(target),
    }


def _component_name(comp_id: str, item: Mapping[str, Any]) -> str:
    for side in ("target", "current"):
        details = (item.get(side) or {}).get("details")
        if isinstance(details, Mapping) and details.get("display_name"):
            return str(details["display_name"])
    return comp_id


def component_drift(components: Mapping[str, Any] | None, *, include_compliant: bool = False) -> list[dict[str, Any]]:
    """Per component: id, name, status, current vs target version and their sources; drifted only by default."""
    rows: list[dict[str, Any]] = []
    for comp_id in sorted(components or {}):
        item = (components or {})[comp_id] or {}
        status = item.get("status")
        if status == "COMPLIANT" and not include_compliant:
            continue
        rows.append({
            "id": comp_id,
            "name": _component_name(comp_id, item),
            "status": status,
            "stage_status": item.get("stage_status"),
            "current": _version(item.get("current")),
            "target": _version(item.get("target")),
            "current_source": item.get("current_source"),
            "target_source": item.get("target_source"),
        })
    return rows


def hardware_support_drift(packages: Mapping[str, Any] | None, *, include_compliant: bool = False) -> list[dict[str, Any]]:
    """Per hardware support manager: package current vs target and its firmware modules that drift."""
    rows: list[dict[str, Any]] = []
    for manager in sorted(packages or {}):
        item = (packages or {})[manager] or {}
        status = item.get("status")
        if status == "COMPLIANT" and not include_compliant:
            continue
        current, target = item.get("current") or {}, item.get("target") or {}
        modules = []
        for module_id in sorted(item.get("hardware_modules") or {}):
            mod = item["hardware_modules"][module_id] or {}
            if mod.get("status") == "COMPLIANT" and not include_compliant:
                continue
            modules.append({"id": module_id, "status": mod.get("status"), "stage_status": mod.get("stage_status"),
                            "current": _version(mod.get("current")), "target": _version(mod.get("target"))})
        rows.append({
            "manager": manager,
            "status": status,
            "stage_status": item.get("stage_status"),
            "package": target.get("pkg") or current.get("pkg"),
            "current": current.get("version"),
            "target": target.get("version"),
            "modules": modules,
        })
    return rows


def host_report(host_id: str, name: str, compliance: Mapping[str, Any], *, include_compliant: bool = False) -> dict[str, Any]:
    """One ``host_compliance`` -> the per-host summary the modules return."""
    impact_details = compliance.get("impact_details") or {}
    return {
        "id": host_id,
        "name": name,
        "status": compliance.get("status"),
        "impact": compliance.get("impact"),
        "stage_status": compliance.get("stage_status"),
        "scan_time": compliance.get("scan_time"),
        "commit": compliance.get("commit"),
        "base_image": _base_image_drift(compliance.get("base_image")),
        "add_on": _add_on_drift(compliance.get("add_on")),
        "components": component_drift(compliance.get("components"), include_compliant=include_compliant),
        "removed_components": component_drift(compliance.get("removed_components"), include_compliant=include_compliant),
        "hardware_support": hardware_support_drift(compliance.get("hardware_support"), include_compliant=include_compliant),
        "partial_maintenance_mode": impact_details.get("partial_maintenance_mode_name") if isinstance(impact_details, Mapping) else None,
        "notifications": notification_texts(compliance.get("notifications")),
    }


def count_statuses(statuses: Iterable[str | None]) -> dict[str, int]:
    counts = {s.lower(): 0 for s in COMPLIANCE_STATUSES}
    total = 0
    for status in statuses:
        total += 1
        key = (status or "UNAVAILABLE").lower()
        counts[key] = counts.get(key, 0) + 1
    counts["total"] = total
    return counts


def cluster_report(cluster_compliance: Mapping[str, Any], *, only_hosts: Iterable[str] | None = None,
                   include_compliant: bool = False) -> dict[str, Any]:
    """``cluster_compliance`` -> overall status, counts and per-host summaries (optionally a subset of hosts)."""
    hosts = cluster_compliance.get("hosts") or {}
    host_info = cluster_compliance.get("host_info") or {}
    # a host listed in the id sets but missing from `hosts` (e.g. unavailable) still gets a row
    all_ids: list[str] = list(hosts)
    for set_name in CLUSTER_HOST_SETS.values():
        for host_id in cluster_compliance.get(set_name) or []:
            if host_id not in all_ids:
                all_ids.append(host_id)
    selected = list(dict.fromkeys(only_hosts)) if only_hosts is not None else all_ids
    rows = []
    for host_id in selected:
        name = (host_info.get(host_id) or {}).get("name") or host_id
        if host_id in hosts:
            rows.append(host_report(host_id, name, hosts[host_id] or {}, include_compliant=include_compliant))
        else:
            status = next((s for s, key in CLUSTER_HOST_SETS.items() if host_id in (cluster_compliance.get(key) or [])),
                          "UNAVAILABLE")
            rows.append({"id": host_id, "name": name, "status": status, "impact": None, "stage_status": None,
                         "scan_time": None, "commit": None, "base_image": None, "add_on": None, "components": [],
                         "removed_components": [], "hardware_support": [], "partial_maintenance_mode": None,
                         "notifications": {"errors": [], "warnings": [], "info": []}})
    rows.sort(key=lambda r: r["name"])
    by_status: dict[str, list[str]] = {key: [] for key in CLUSTER_HOST_SETS.values()}
    for row in rows:
        by_status[CLUSTER_HOST_SETS.get(row["status"] or "UNAVAILABLE", "unavailable_hosts")].append(row["name"])
    if only_hosts is None:
        status, impact = cluster_compliance.get("status"), cluster_compliance.get("impact")
    else:
        status, impact = overall_status([r["status"] for r in rows]), overall_impact([r["impact"] for r in rows])
    return {
        "status": status,
        "impact": impact,
        "stage_status": cluster_compliance.get("stage_status"),
        "scan_time": cluster_compliance.get("scan_time"),
        "commit": cluster_compliance.get("commit"),
        "counts": count_statuses(r["status"] for r in rows),
        **by_status,
        "notifications": notification_texts(cluster_compliance.get("notifications")),
        "hosts": rows,
    }


def standalone_report(host_id: str, name: str, host_compliance: Mapping[str, Any], *,
                      include_compliant: bool = False) -> dict[str, Any]:
    """A standalone host's ``host_compliance`` in the same shape as :func:`cluster_report` (one host row)."""
    host = host_report(host_id, name, host_compliance, include_compliant=include_compliant)
    report: dict[str, Any] = {
        "status": host["status"],
        "impact": host["impact"],
        "stage_status": host["stage_status"],
        "scan_time": host["scan_time"],
        "commit": host["commit"],
        "counts": count_statuses([host["status"]]),
    }
    for status, key in CLUSTER_HOST_SETS.items():
        report[key] = [host["name"]] if host["status"] == status else []
    report["notifications"] = host["notifications"]
    report["hosts"] = [host]
    return report


_STATUS_RANK = {"COMPLIANT": 0, "NON_COMPLIANT": 1, "UNAVAILABLE": 2, "INCOMPATIBLE": 3}
_IMPACT_RANK = {"NO_IMPACT": 0, "PARTIAL_MAINTENANCE_MODE_REQUIRED": 1, "MAINTENANCE_MODE_REQUIRED": 2,
                "REBOOT_REQUIRED": 3, "UNKNOWN": 4}


def overall_status(statuses: Iterable[str | None]) -> str | None:
    """The worst of several host statuses (INCOMPATIBLE > UNAVAILABLE > NON_COMPLIANT > COMPLIANT)."""
    values = [s or "UNAVAILABLE" for s in statuses]
    return max(values, key=lambda s: _STATUS_RANK.get(s, 2)) if values else None


def overall_impact(impacts: Iterable[str | None]) -> str | None:
    values = [i for i in impacts if i]
    return max(values, key=lambda i: _IMPACT_RANK.get(i, 4)) if values else None


def image_summary(software: Mapping[str, Any]) -> dict[str, Any]:
    """``software_info`` -> base image, add-on, components, hardware support, solutions, removed components."""
    base = software.get("base_image") or {}
    base_details = base.get("details") or {}
    add_on = software.get("add_on")
    add_on_out = None
    if isinstance(add_on, Mapping):
        details = add_on.get("details") or {}
        add_on_out = {"name": add_on.get("name"), "version": add_on.get("version"),
                      "display_name": details.get("display_name"), "display_version": details.get("display_version"),
                      "vendor": details.get("vendor")}

    def components(src: Any) -> dict[str, dict[str, Any]]:
        out = {}
        for comp_id in sorted(src or {}):
            info = src[comp_id] or {}
            details = info.get("details") or {}
            out[comp_id] = {"version": info.get("version"), "display_name": details.get("display_name"),
                            "display_version": details.get("display_version"), "vendor": details.get("vendor")}
        return out

    hardware = software.get("hardware_support")
    hardware_out = None
    if isinstance(hardware, Mapping):
        hardware_out = {mgr: {"pkg": (pkg or {}).get("pkg"), "version": (pkg or {}).get("version")}
                        for mgr, pkg in sorted((hardware.get("packages") or {}).items())}
    solutions = {sol_id: {"version": (info or {}).get("version"),
                          "components": [c.get("component") for c in (info or {}).get("components") or []]}
                 for sol_id, info in sorted((software.get("solutions") or {}).items())}
    return {
        "base_image": {"version": base.get("version"), "display_name": base_details.get("display_name"),
                       "display_version": base_details.get("display_version"),
                       "release_date": base_details.get("release_date")},
        "add_on": add_on_out,
        "components": components(software.get("components")),
        "hardware_support": hardware_out,
        "solutions": solutions,
        "removed_components": components(software.get("removed_components")),
    }


# ----------------------------------------------------------------------------- stale compliance reports
# A compliance report carries the commit it was computed against (host_compliance.commit, cluster_compliance.commit),
# but the API has no read of the current desired commit id (clusters.software.Commits has only get(commit); Software.get
# returns software_info without one). What the report was computed against is therefore compared by content: each
# host result's targets (base image, add-on, user components, user-removed components, hardware support packages)
# against the desired image now (GET {target}/software). A commit that changed the image changes one of them.
def report_mismatches(host_compliance: Mapping[str, Any], desired: Mapping[str, Any]) -> list[str]:
    """Why one ``host_compliance`` was not computed against ``desired`` (a spec from ``_image.software_to_spec``);
    empty when it was, or when the result carries no targets to judge by (an unavailable host)."""
    base = host_compliance.get("base_image")
    if not isinstance(base, Mapping) or not isinstance(base.get("target"), Mapping):
        return []
    out: list[str] = []
    want_base = (desired.get("base_image") or {}).get("version")
    if base["target"].get("version") != want_base:
        out.append(f"base image: the report targets {base['target'].get('version')}, the desired image has {want_base}")
    add_on = host_compliance.get("add_on") if isinstance(host_compliance.get("add_on"), Mapping) else {}
    got = add_on.get("target") if isinstance(add_on.get("target"), Mapping) else None
    got_pair = (got.get("name"), got.get("version")) if got else None
    want = desired.get("add_on")
    want_pair = (want.get("name"), want.get("version")) if isinstance(want, Mapping) else None
    if got_pair != want_pair:
        out.append(f"add-on: the report targets {_pair(got_pair)}, the desired image has {_pair(want_pair)}")
    comps = host_compliance.get("components") if isinstance(host_compliance.get("components"), Mapping) else {}
    wanted = desired.get("components") or {}
    for name, version in sorted(wanted.items()):
        entry = comps.get(name) if isinstance(comps.get(name), Mapping) else {}
        target = entry.get("target") if isinstance(entry.get("target"), Mapping) else None
        if target is None:
            out.append(f"component {name}: not in the report, the desired image has {version or 'it'}")
        elif version is not None and target.get("version") != version:
            out.append(f"component {name}: the report targets {target.get('version')}, the desired image has {version}")
    for name, entry in sorted(comps.items()):
        if isinstance(entry, Mapping) and entry.get("target_source") == "USER" and name not in wanted:
            out.append(f"component {name}: the report targets it as added by the user, the desired image has not")
    removed = host_compliance.get("removed_components")
    reported = {n for n, e in (removed.items() if isinstance(removed, Mapping) else [])
                if isinstance(e, Mapping) and e.get("target_source") == "USER_REMOVED"}
    want_removed = set(desired.get("removed_components") or [])
    if reported != want_removed:
        out.append(f"removed components: the report has {sorted(reported)}, the desired image {sorted(want_removed)}")
    hsp = host_compliance.get("hardware_support") if isinstance(host_compliance.get("hardware_support"), Mapping) else {}
    got_hsp = {m: ((p.get("target") or {}).get("pkg"), (p.get("target") or {}).get("version") or "")
               for m, p in hsp.items() if isinstance(p, Mapping) and isinstance(p.get("target"), Mapping)}
    want_hsp = {m: (p.get("pkg"), p.get("version") or "")
                for m, p in ((desired.get("hardware_support") or {}).get("packages") or {}).items()}
    if got_hsp != want_hsp:
        out.append(f"hardware support: the report targets {_packages(got_hsp)}, the desired image has "
                   f"{_packages(want_hsp)}")
    return out


def _pair(pair: tuple[Any, Any] | None) -> str:
    return f"{pair[0]} {pair[1]}" if pair else "none"


def _packages(packages: Mapping[str, tuple[Any, Any]]) -> str:
    return ", ".join(f"{m}: {p} {v}".rstrip() for m, (p, v) in sorted(packages.items())) or "none"


def stale_hosts(target: Target, compliance: Mapping[str, Any] | None, desired: Mapping[str, Any],
                hosts: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """{host name: reasons} for the selected hosts (id, name) whose result in ``compliance`` (cluster_compliance
    or, for a standalone host, host_compliance) was computed against another desired image than ``desired``."""
    if not compliance:
        return {}
    by_host = {pair[0]: compliance for pair in hosts} if target.kind == "host" else (compliance.get("hosts") or {})
    out = {}
    for host_id, name in hosts:
        result = by_host.get(host_id)
        reasons = report_mismatches(result, desired) if isinstance(result, Mapping) else []
        if reasons:
            out[name] = reasons
    return out


def stale_report(client: Client, target: Target, compliance: Mapping[str, Any] | None,
                 hosts: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """:func:`stale_hosts` against the desired image now (one ``GET {target}/software``); {} without a report."""
    if not compliance:
        return {}
    return stale_hosts(target, compliance, software_to_spec(get_software(client, target)), list(hosts))
