# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What stage, check and apply did, as module results: per-host rows, summaries, failure messages.

Pure functions over the binding structures (``Software.StageResult`` / ``ApplyResult`` host statuses,
``CheckResult``, ``ApplyImpact``) and the host states read from compliance (``_remediation.HostState``);
unit tested, no I/O. Knows nothing of Ansible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._remediation import HostState
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def seconds_between(start: Any, end: Any) -> float | None:
    a, b = parse_time(start), parse_time(end)
    if a is None or b is None:
        return None
    return round(max(0.0, (b - a).total_seconds()), 3)


def per_host_status(target: Target, result: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``host_status`` of a cluster stage/apply result, or the standalone host's ``status`` under its id."""
    if not result:
        return {}
    if target.kind == "cluster":
        return {k: dict(v or {}) for k, v in (result.get("host_status") or {}).items()}
    status = result.get("status")
    return {target.id: dict(status)} if isinstance(status, Mapping) else {}


def host_outcomes(target: Target, result: Mapping[str, Any] | None,
                  names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per host of a stage/apply result: name, id, status (OK/ERROR/SKIPPED/...), seconds, messages."""
    rows = []
    for host_id, status in per_host_status(target, result).items():
        notes = vlcm.notification_texts(status.get("notifications"))
        rows.append({
            "id": host_id, "name": names.get(host_id, host_id), "status": status.get("status"),
            "start_time": status.get("start_time"), "end_time": status.get("end_time"),
            "seconds": seconds_between(status.get("start_time"), status.get("end_time")),
            "errors": notes["errors"], "warnings": notes["warnings"], "info": notes["info"],
            "firmware_not_staged": vlcm.has_notification(status.get("notifications"), vlcm.FIRMWARE_STAGING_NOT_SUPPORTED),
        })
    rows.sort(key=lambda r: r["name"])
    return rows


def names_of(result: Mapping[str, Any] | None, target: Target) -> dict[str, str]:
    if not result:
        return {}
    info = result.get("host_info") or {}
    if target.kind == "host":
        return {target.id: (info.get("name") if isinstance(info, Mapping) else None) or target.name}
    return {k: (v or {}).get("name") or k for k, v in info.items()}


def check_summary(target: Target, result: Mapping[str, Any] | None,
                  names: Mapping[str, str]) -> dict[str, Any]:
    """``check_result`` -> status and readable errors / warnings, each naming its host or the cluster."""
    if not result:
        return {"status": None, "errors": [], "warnings": []}
    entities = result.get("entity_results")
    if entities is None and isinstance(result.get("entity_result"), Mapping):
        entities = [result["entity_result"]]
    errors: list[str] = []
    warnings: list[str] = []
    for entity in entities or []:
        if entity.get("host"):
            where = f"host {names.get(entity['host'], entity['host'])}"
        elif entity.get("cluster"):
            where = f"{target.label}" if entity["cluster"] == target.id else f"cluster {entity['cluster']}"
        else:
            where = target.label
        for check_status in entity.get("check_statuses") or []:
            status = check_status.get("status")
            if status not in ("ERROR", "WARNING", "RETRY"):
                continue
            check_name = ((check_status.get("check") or {}).get("name") or {}).get("default_message") or \
                (check_status.get("check") or {}).get("check") or "check"
            texts = []
            for issue in check_status.get("check_issues") or []:
                text = (issue.get("description") or {}).get("default_message")
                fix = (issue.get("resolution") or {}).get("default_message")
                if text:
                    texts.append(f"{text} ({fix})" if fix else text)
            if not texts:
                texts = [m.get("default_message") for m in check_status.get("issues") or [] if m.get("default_message")]
            line = f"{where}: {check_name}: " + ("; ".join(texts) if texts else status)
            (errors if status == "ERROR" else warnings).append(line)
    return {"status": result.get("status"), "errors": errors, "warnings": warnings}


def impact_summary(target: Target, impact: Mapping[str, Any], names: Mapping[str, str],
                   only: Iterable[str] | None = None) -> dict[str, Any]:
    """``apply-impact`` -> {"cluster": [messages], "hosts": {host name: [messages]}} (selected hosts only)."""
    def texts(items: Any) -> list[str]:
        return [((i or {}).get("message") or {}).get("default_message") for i in items or []
                if ((i or {}).get("message") or {}).get("default_message")]

    if target.kind == "host":
        return {"cluster": [], "hosts": {target.name: texts(impact.get("impact"))}}
    wanted = set(only) if only is not None else None
    hosts = {names.get(h, h): texts(items) for h, items in (impact.get("host_impact") or {}).items()
             if wanted is None or h in wanted}
    return {"cluster": texts(impact.get("impact")), "hosts": dict(sorted(hosts.items()))}


# ----------------------------------------------------------------------------- module result pieces
def by_name(names: Mapping[str, str], ids: Iterable[str]) -> list[str]:
    """Host names of ``ids``, sorted."""
    return sorted(names.get(h, h) for h in ids)


def skipped_rows(reasons: Mapping[str, str], names: Mapping[str, str]) -> list[dict[str, str]]:
    """``{host id: reason}`` -> ``[{"name", "reason"}]`` sorted by name (the ``skipped_hosts`` value)."""
    return [{"name": names.get(h, h), "reason": r} for h, r in sorted(reasons.items(), key=lambda kv: names.get(kv[0], kv[0]))]


def versions_diff(states: Mapping[str, HostState], ids: Iterable[str], names: Mapping[str, str]) -> dict[str, Any]:
    """``--diff`` of a remediation: base image and add-on versions per host, before and after."""
    ids = list(ids)
    return {"before": {names[h]: states[h].versions() for h in ids},
            "after": {names[h]: states[h].target_versions() for h in ids}}


def apply_rows(target: Target, apply_result: Mapping[str, Any] | None, names: Mapping[str, str],
               before: Mapping[str, HostState], after: Mapping[str, HostState]) -> list[dict[str, Any]]:
    """One row per host of an apply result, with its versions before/after and its compliance after.

    ``maintenance_seconds`` is the host's vLCM apply status window (start to end: entering maintenance
    mode, evacuation included, to leaving it); 0 for hosts vLCM skipped.
    """
    rows = host_outcomes(target, apply_result, {**names, **names_of(apply_result, target)})
    for row in rows:
        was, now = before.get(row["id"]), after.get(row["id"])
        row["before"] = was.versions() if was else None
        row["after"] = now.versions() if now else None
        row["status_after"] = now.status if now else None
        row["stage_status_after"] = now.stage_status if now else None
        row["staged_after"] = now.staged if now else None
        seconds = row.pop("seconds")
        row["maintenance_seconds"] = seconds if row["status"] in ("OK", "ERROR") else 0.0
    return rows


def apply_fields(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The result keys an apply sets: hosts, successful_hosts, failed_hosts, maintenance_host_seconds and the
    hosts vLCM skipped (``skipped_by_vlcm``, to add to ``skipped_hosts``)."""
    skipped = []
    for row in rows:
        if row["status"] not in ("OK", "ERROR"):
            reason = "; ".join(row["errors"] + row["info"] + row["warnings"]) or f"vLCM status {row['status']}"
            skipped.append({"name": row["name"], "reason": reason})
    return {
        "hosts": list(rows),
        "successful_hosts": [r["name"] for r in rows if r["status"] == "OK"],
        "failed_hosts": [r["name"] for r in rows if r["status"] == "ERROR"],
        "skipped_by_vlcm": skipped,
        "maintenance_host_seconds": round(sum(r["maintenance_seconds"] or 0 for r in rows), 3),
    }


def stage_split(requested: Iterable[str], names: Mapping[str, str],
                after: Mapping[str, HostState]) -> tuple[list[str], list[str]]:
    """After a failed stage task (vCenter returns no per-host result then): (staged, not staged) host names,
    judged by the compliance report vLCM refreshed after staging."""
    staged, failed = [], []
    for host_id in requested:
        state = after.get(host_id)
        (staged if state is not None and state.staged else failed).append(names.get(host_id, host_id))
    return sorted(staged), sorted(failed)


def vm_names(vms: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(f"'{v['name']}' ({str(v.get('power_state', '')).lower().replace('_', ' ')})" for v in vms)


def failure_message(target: Target, rows: Sequence[Mapping[str, Any]], task_messages: Sequence[str],
                    maintenance: Mapping[str, bool] | None, staged: Mapping[str, bool], *,
                    maintenance_error: str | None = None, vms_not_restored: Sequence[Mapping[str, Any]] = ()) -> str:
    """One readable sentence per failed host: why, whether vLCM left it in maintenance mode, whether it stays
    staged; then the VMs the remediation left powered off or suspended, and what to do next.

    ``maintenance`` None means the maintenance state could not be read (``maintenance_error`` says why).
    """
    failed = [r for r in rows if r.get("status") == "ERROR"]
    vms = (f" VMs powered off or suspended by the remediation and not restored: {vm_names(vms_not_restored)}; "
           "power them on once their host is healthy.") if vms_not_restored else ""
    if not failed:
        detail = "; ".join(task_messages) or "vCenter gave no reason"
        return f"remediation of {target.label} failed: {detail}.{vms}"
    parts = []
    for row in failed:
        reason = (row.get("errors") or task_messages or ["no reason given"])[-1]
        text = f"host '{row['name']}': {reason}"
        in_mm = maintenance.get(row["id"]) if maintenance is not None else None
        if maintenance is None:
            text += (" -- whether vLCM left this host in maintenance mode could not be read"
                     + (f" ({maintenance_error})" if maintenance_error else "") + "; check it in the vSphere Client")
        elif in_mm is True:
            text += " -- vLCM left this host in maintenance mode (exit it in the vSphere Client, or re-run to resume)"
        elif in_mm is False:
            text += " -- the host is not in maintenance mode"
        if staged.get(row["id"]):
            text += "; the image stays staged on it, so a re-run resumes without downloading it again"
        parts.append(text)
    done = [r["name"] for r in rows if r.get("status") == "OK"]
    tail = f" Remediated before the failure: {', '.join(done)}." if done else ""
    return (f"remediation of {target.label} failed on {len(failed)} host(s): " + " | ".join(parts) + "." + tail + vms
            + " Fix the cause, then re-run: compliant hosts are skipped and staged hosts are not staged again.")
