# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Staging, remediation pre-check and remediation (vLCM ``stage`` / ``check`` / ``apply``). Knows nothing of Ansible.

Built on :mod:`._vlcm` (targets, the task runner, compliance reads). Paths and fields are the
ones of the official bindings:

- ``POST {target}/software?action=stage|check|apply&vmw-task=true`` with ``stage_spec``
  ``{commit?, hosts?}``, ``check_spec`` ``{commit?, hosts?}``, ``apply_spec``
  ``{commit?, hosts?, accept_eula?}`` (standalone hosts: no ``hosts``);
- ``GET {target}/software/reports/last-apply-result`` (``LastApplyResult.ApplyResult``) and
  ``GET {target}/software/reports/apply-impact`` (``ApplyImpact.ClusterImpact``/``HostImpact``).

The functions here return plain data; the pure ones (``plan_*``, ``*_summary``) are unit tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError, VsphereError

FIRMWARE_STAGING_NOT_SUPPORTED = "FirmwareStagingNotSupported"


# ----------------------------------------------------------------------------- host state from compliance
@dataclass
class HostState:
    """What the last compliance report says about one host."""

    id: str
    name: str
    status: str | None = None          # COMPLIANT | NON_COMPLIANT | INCOMPATIBLE | UNAVAILABLE | None (not in report)
    stage_status: str | None = None    # STAGED | NOT_STAGED | UNKNOWN | None
    impact: str | None = None
    software_staged: bool = False      # base image, add-on and components all staged (firmware aside)
    firmware_not_staged: list[str] = field(default_factory=list)   # hardware support managers not staged
    firmware_unstageable: bool = False  # vCenter says the hardware support manager cannot stage firmware here
    base_current: str | None = None
    base_target: str | None = None
    base_current_display: str | None = None
    base_target_display: str | None = None
    add_on_current: str | None = None
    add_on_target: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.status in ("COMPLIANT", "NON_COMPLIANT", "INCOMPATIBLE")

    @property
    def staged(self) -> bool:
        """Nothing left to download: fully staged, or all software staged and the firmware cannot be staged."""
        return self.stage_status == "STAGED" or (self.software_staged and bool(self.firmware_not_staged))

    def versions(self) -> dict[str, Any]:
        """Image versions of the host (``current``) and of the desired image (``target``)."""
        return {"base_image": self.base_current, "base_image_display": self.base_current_display,
                "add_on": self.add_on_current}

    def target_versions(self) -> dict[str, Any]:
        return {"base_image": self.base_target, "base_image_display": self.base_target_display,
                "add_on": self.add_on_target}


def _stage_statuses(compliance: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(software part stage statuses, hardware support managers whose firmware is not staged)."""
    software: list[str] = []
    for key in ("base_image", "add_on"):
        part = compliance.get(key)
        if isinstance(part, Mapping) and part.get("stage_status"):
            software.append(str(part["stage_status"]))
    for part in (compliance.get("components") or {}).values():
        if isinstance(part, Mapping) and part.get("stage_status"):
            software.append(str(part["stage_status"]))
    firmware = [mgr for mgr, pkg in sorted((compliance.get("hardware_support") or {}).items())
                if isinstance(pkg, Mapping) and pkg.get("stage_status") == "NOT_STAGED"]
    return software, firmware


def host_state(host_id: str, name: str, compliance: Mapping[str, Any] | None) -> HostState:
    """One ``host_compliance`` (or None when the host is not in the report) -> :class:`HostState`."""
    if not compliance:
        return HostState(host_id, name)
    software, firmware = _stage_statuses(compliance)
    notes = vlcm.notification_texts(compliance.get("notifications"))
    base = compliance.get("base_image") or {}
    add_on = compliance.get("add_on") or {}

    def version(part: Any, side: str, display: bool = False) -> str | None:
        info = part.get(side) if isinstance(part, Mapping) else None
        if not isinstance(info, Mapping):
            return None
        details = info.get("details")
        if display and isinstance(details, Mapping) and details.get("display_version"):
            return str(details["display_version"])
        return info.get("version")

    return HostState(
        id=host_id, name=name, status=compliance.get("status"), stage_status=compliance.get("stage_status"),
        impact=compliance.get("impact"),
        software_staged=bool(software) and all(s == "STAGED" for s in software),
        firmware_not_staged=firmware,
        base_current=version(base, "current"), base_target=version(base, "target"),
        base_current_display=version(base, "current", True), base_target_display=version(base, "target", True),
        add_on_current=version(add_on, "current"), add_on_target=version(add_on, "target"),
        errors=notes["errors"], warnings=notes["warnings"],
        firmware_unstageable=_has_note(compliance.get("notifications"), FIRMWARE_STAGING_NOT_SUPPORTED),
    )


def _has_note(notifications: Any, marker: str) -> bool:
    for key in ("warnings", "errors", "info"):
        for item in (notifications or {}).get(key) or []:
            if isinstance(item, Mapping) and marker in str(item.get("id") or ""):
                return True
    return False


def host_states(target: vlcm.Target, compliance: Mapping[str, Any] | None,
                hosts: Sequence[tuple[str, str]]) -> dict[str, HostState]:
    """Per selected host (id, name): its state in ``compliance`` (cluster_compliance or host_compliance)."""
    if target.kind == "host":
        host_id, name = hosts[0]
        return {host_id: host_state(host_id, name, compliance)}
    by_host = (compliance or {}).get("hosts") or {}
    return {host_id: host_state(host_id, name, by_host.get(host_id)) for host_id, name in hosts}


def needs_scan(states: Mapping[str, HostState]) -> list[str]:
    """Names of the hosts whose compliance is unknown (no report, not in it, UNAVAILABLE, stage status UNKNOWN)."""
    return [s.name for s in states.values()
            if not s.known or (s.status == "NON_COMPLIANT" and s.stage_status == "UNKNOWN")]


def read_compliance(client: Any, target: vlcm.Target) -> dict[str, Any] | None:
    """The last compliance report, or None when vCenter has none yet (NOT_FOUND)."""
    try:
        return vlcm.get_compliance(client, target)
    except ApiError as exc:
        if exc.error_type == "NOT_FOUND" or exc.status == 404:
            return None
        raise


def current_states(client: Any, target: vlcm.Target, hosts: Sequence[tuple[str, str]], *, refresh: bool,
                   timeout: float) -> tuple[dict[str, Any] | None, dict[str, HostState], list[str]]:
    """(compliance, host states, names scanned): scans first when asked or when a selected host's compliance is unknown."""
    compliance = None if refresh else read_compliance(client, target)
    states = host_states(target, compliance, hosts)
    unknown = [name for _id, name in hosts] if refresh else needs_scan(states)
    if unknown:
        vlcm.scan(client, target, timeout=timeout)
        compliance = read_compliance(client, target)
        states = host_states(target, compliance, hosts)
    return compliance, states, unknown


# ----------------------------------------------------------------------------- planning (pure)
def skip_reason(state: HostState) -> str | None:
    """Why a host needs no staging, or None when it should be staged."""
    if state.status == "COMPLIANT":
        return "compliant with the desired image"
    if state.status == "INCOMPATIBLE":
        why = "; ".join(state.errors)
        return "incompatible with the desired image" + (f": {why}" if why else "")
    if state.status != "NON_COMPLIANT":
        return f"compliance is {(state.status or 'unknown').lower()}" + (f": {'; '.join(state.errors)}" if state.errors else "")
    if state.stage_status == "STAGED":
        return "already staged"
    if state.staged:
        return "software already staged; the firmware cannot be staged (" + ", ".join(state.firmware_not_staged) + \
            ") and is installed during remediation"
    return None


def plan_stage(states: Mapping[str, HostState]) -> tuple[list[str], dict[str, str]]:
    """(host ids to stage, {host id: reason} for the others)."""
    to_stage: list[str] = []
    skipped: dict[str, str] = {}
    for host_id, state in states.items():
        reason = skip_reason(state)
        if reason is None:
            to_stage.append(host_id)
        else:
            skipped[host_id] = reason
    return to_stage, skipped


def plan_remediation(states: Mapping[str, HostState]) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """(host ids to remediate, {id: reason} compliant/skipped, {id: reason} that cannot be remediated)."""
    todo: list[str] = []
    skipped: dict[str, str] = {}
    blocked: dict[str, str] = {}
    for host_id, state in states.items():
        if state.status == "NON_COMPLIANT":
            todo.append(host_id)
        elif state.status == "COMPLIANT":
            skipped[host_id] = "compliant with the desired image"
        else:
            blocked[host_id] = skip_reason(state) or "unknown compliance"
    return todo, skipped, blocked


# ----------------------------------------------------------------------------- operations
def _spec(target: vlcm.Target, hosts: Iterable[str] | None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if target.kind == "cluster" and hosts is not None:
        spec["hosts"] = sorted(hosts)
    return spec


def stage(client: Any, target: vlcm.Target, hosts: Iterable[str] | None, *, commit: str | None,
          timeout: float) -> dict[str, Any]:
    """Stage the desired image to ``hosts`` of a cluster (in parallel, one task) or to a standalone host."""
    return vlcm.run_software_task(client, target, "stage", spec=_spec(target, hosts, commit=commit), timeout=timeout,
                                  what=f"staging of {target.label}")


def check(client: Any, target: vlcm.Target, hosts: Iterable[str] | None, *, commit: str | None,
          timeout: float) -> dict[str, Any]:
    """Remediation pre-check; returns the task info (``result`` is ``check_result``)."""
    return vlcm.run_software_task(client, target, "check", spec=_spec(target, hosts, commit=commit), timeout=timeout,
                                  what=f"remediation pre-check of {target.label}")


def apply(client: Any, target: vlcm.Target, hosts: Iterable[str] | None, *, commit: str | None,
          timeout: float) -> dict[str, Any]:
    """Remediate (``accept_eula`` true: the caller has checked the user accepted it)."""
    return vlcm.run_software_task(client, target, "apply", spec=_spec(target, hosts, commit=commit, accept_eula=True),
                                  timeout=timeout, what=f"remediation of {target.label}")


def last_apply_result(client: Any, target: vlcm.Target) -> dict[str, Any] | None:
    try:
        return client.get(f"{target.base}/software/reports/last-apply-result") or None
    except ApiError as exc:
        if exc.error_type == "NOT_FOUND" or exc.status == 404:
            return None
        raise


def apply_impact(client: Any, target: vlcm.Target) -> dict[str, Any]:
    return client.get(f"{target.base}/software/reports/apply-impact") or {}


# ----------------------------------------------------------------------------- shaping (pure)
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


def per_host_status(target: vlcm.Target, result: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``host_status`` of a cluster stage/apply result, or the standalone host's ``status`` under its id."""
    if not result:
        return {}
    if target.kind == "cluster":
        return {k: dict(v or {}) for k, v in (result.get("host_status") or {}).items()}
    status = result.get("status")
    return {target.id: dict(status)} if isinstance(status, Mapping) else {}


def host_outcomes(target: vlcm.Target, result: Mapping[str, Any] | None,
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
            "firmware_not_staged": _has_note(status.get("notifications"), FIRMWARE_STAGING_NOT_SUPPORTED),
        })
    rows.sort(key=lambda r: r["name"])
    return rows


def names_of(result: Mapping[str, Any] | None, target: vlcm.Target) -> dict[str, str]:
    if not result:
        return {}
    info = result.get("host_info") or {}
    if target.kind == "host":
        return {target.id: (info.get("name") if isinstance(info, Mapping) else None) or target.name}
    return {k: (v or {}).get("name") or k for k, v in info.items()}


def check_summary(target: vlcm.Target, result: Mapping[str, Any] | None,
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


def impact_summary(target: vlcm.Target, impact: Mapping[str, Any], names: Mapping[str, str],
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


# ----------------------------------------------------------------------------- targets
def resolve_target(inventory: Any, *, cluster: str | None, hosts: Sequence[str] | None, host: str | None,
                   datacenter: str | None) -> tuple[vlcm.Target, list[tuple[str, str]], bool]:
    """(target, selected hosts as (id, name) sorted by name, whether the whole cluster is selected)."""
    if host:
        ref = inventory.host(host, datacenter=datacenter, standalone=True)
        return vlcm.Target("host", ref.id, ref.name), [(ref.id, ref.name)], True
    if not cluster:
        raise ValueError("cluster or host is required")
    cref = inventory.cluster(cluster, datacenter)
    if hosts:
        refs = inventory.hosts_in_cluster(list(hosts), cref)
        whole = False
    else:
        refs = inventory.list_hosts(cluster_id=cref.id)
        whole = True
    selected = sorted({(r.id, r.name) for r in refs}, key=lambda pair: pair[1])
    return vlcm.Target("cluster", cref.id, cref.name), selected, whole


# ----------------------------------------------------------------------------- failures
class RemediationError(VsphereError):
    """A pre-check or a remediation failed; the message names the hosts, the reasons and what was left behind."""


def hosts_in_maintenance(soap: Any, host_ids: Iterable[str]) -> dict[str, bool]:
    """``runtime.inMaintenanceMode`` of some hosts (SOAP: REST has no maintenance state), one PropertyCollector pass."""
    wanted = set(host_ids)
    if not wanted:
        return {}
    from ansible_collections.vsphere.lifecycle.plugins.module_utils._soap import vim

    rows = soap.retrieve(vim.HostSystem, ["runtime.inMaintenanceMode"])
    return {row["moid"]: bool(row.get("runtime.inMaintenanceMode")) for row in rows if row["moid"] in wanted}


def failure_message(target: vlcm.Target, rows: Sequence[Mapping[str, Any]], task_messages: Sequence[str],
                    maintenance: Mapping[str, bool], staged: Mapping[str, bool]) -> str:
    """One readable sentence per failed host: why, whether vLCM left it in maintenance mode, whether it stays staged."""
    failed = [r for r in rows if r.get("status") == "ERROR"]
    if not failed:
        detail = "; ".join(task_messages) or "vCenter gave no reason"
        return f"remediation of {target.label} failed: {detail}"
    parts = []
    for row in failed:
        reason = (row.get("errors") or task_messages or ["no reason given"])[-1]
        text = f"host '{row['name']}': {reason}"
        in_mm = maintenance.get(row["id"])
        if in_mm is True:
            text += " -- vLCM left this host in maintenance mode (exit it in the vSphere Client, or re-run to resume)"
        elif in_mm is False:
            text += " -- the host is not in maintenance mode"
        if staged.get(row["id"]):
            text += "; the image stays staged on it, so a re-run resumes without downloading it again"
        parts.append(text)
    done = [r["name"] for r in rows if r.get("status") == "OK"]
    tail = f" Remediated before the failure: {', '.join(done)}." if done else ""
    return f"remediation of {target.label} failed on {len(failed)} host(s): " + " | ".join(parts) + "." + tail
