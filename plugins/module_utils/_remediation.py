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

The functions here return plain data; the pure ones (``host_state``, ``plan_*``) are unit tested. What the
operations did is shaped into module results by :mod:`._outcomes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError, VsphereError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Selection, Target


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
        firmware_unstageable=vlcm.has_notification(compliance.get("notifications"), vlcm.FIRMWARE_STAGING_NOT_SUPPORTED),
    )


def host_states(target: Target, compliance: Mapping[str, Any] | None,
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


def read_compliance(client: Client, target: Target) -> dict[str, Any] | None:
    """The last compliance report, or None when vCenter has none yet (NOT_FOUND)."""
    try:
        return vlcm.get_compliance(client, target)
    except ApiError as exc:
        if exc.error_type == "NOT_FOUND" or exc.status == 404:
            return None
        raise


def current_states(client: Client, selection: Selection, *, refresh: bool, timeout: float,
                   found: dict[str, Any] | None = None) -> tuple[dict[str, Any] | None, dict[str, HostState], list[str]]:
    """(compliance, host states, names scanned): scans first when asked, when a selected host's compliance is unknown,
    or when the report is stale (computed against another desired image, :func:`vlcm.stale_report`: a host the old
    report called compliant may not be). ``found["stale_report"]`` gets {host name: reasons} when given."""
    target, hosts = selection.target, selection.pairs
    compliance = None if refresh else read_compliance(client, target)
    states = host_states(target, compliance, hosts)
    unknown = [name for _id, name in hosts] if refresh else needs_scan(states)
    stale = {} if refresh else vlcm.stale_report(client, target, compliance, hosts)
    if found is not None:
        found["stale_report"] = stale
    if stale:
        unknown = [name for _id, name in hosts if name in set(unknown) | set(stale)]
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
def _spec(target: Target, hosts: Iterable[str] | None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if target.kind == "cluster" and hosts is not None:
        spec["hosts"] = sorted(hosts)
    return spec


def stage(client: Client, target: Target, hosts: Iterable[str] | None, *, commit: str | None,
          timeout: float, on_started: Any = None) -> dict[str, Any]:
    """Stage the desired image to ``hosts`` of a cluster (in parallel, one task) or to a standalone host."""
    return vlcm.run_software_task(client, target, "stage", spec=_spec(target, hosts, commit=commit), timeout=timeout,
                                  what=f"staging of {target.label}", on_started=on_started)


def check(client: Client, target: Target, hosts: Iterable[str] | None, *, commit: str | None,
          timeout: float) -> dict[str, Any]:
    """Remediation pre-check; returns the task info (``result`` is ``check_result``)."""
    return vlcm.run_software_task(client, target, "check", spec=_spec(target, hosts, commit=commit), timeout=timeout,
                                  what=f"remediation pre-check of {target.label}")


def apply(client: Client, target: Target, hosts: Iterable[str] | None, *, commit: str | None,
          timeout: float, on_started: Any = None, poll: Any = None, sleep: Any = None) -> dict[str, Any]:
    """Remediate (``accept_eula`` true: the caller has checked the user accepted it); ``poll`` a ``PollPolicy``,
    ``sleep`` what waits between two polls (default ``time.sleep``)."""
    return vlcm.run_software_task(client, target, "apply", spec=_spec(target, hosts, commit=commit, accept_eula=True),
                                  timeout=timeout, what=f"remediation of {target.label}", on_started=on_started,
                                  poll=poll, sleep=sleep)


def last_apply_result(client: Client, target: Target) -> dict[str, Any] | None:
    try:
        return client.get(f"{target.base}/software/reports/last-apply-result") or None
    except ApiError as exc:
        if exc.error_type == "NOT_FOUND" or exc.status == 404:
            return None
        raise


def apply_impact(client: Client, target: Target) -> dict[str, Any]:
    return client.get(f"{target.base}/software/reports/apply-impact") or {}


class RemediationError(VsphereError):
    """A pre-check or a remediation failed; the message names the hosts, the reasons and what was left behind."""


def hosts_in_maintenance(soap: Any, host_ids: Iterable[str]) -> dict[str, bool]:
    """``runtime.inMaintenanceMode`` of some hosts (SOAP: REST has no maintenance state), one PropertyCollector pass."""
    wanted = set(host_ids)
    if not wanted:
        return {}
    rows = soap.retrieve("HostSystem", ["runtime.inMaintenanceMode"])
    return {row["moid"]: bool(row.get("runtime.inMaintenanceMode")) for row in rows if row["moid"] in wanted}


# ----------------------------------------------------------------------------- VMs the remediation may power off
def powered_on_vms(client: Client, host_ids: Iterable[str]) -> dict[str, str]:
    """VM id -> name of the powered-on VMs of some hosts (``GET /api/vcenter/vm`` with ``hosts`` and
    ``power_states`` filters), read before an apply whose power-action policy may power them off."""
    ids = sorted(set(host_ids))
    if not ids:
        return {}
    params = [("hosts", h) for h in ids] + [("power_states", "POWERED_ON")]
    return {vm["vm"]: vm["name"] for vm in client.get("/api/vcenter/vm", params=params) or []}


def vms_not_running(client: Client, before: Mapping[str, str]) -> list[dict[str, Any]]:
    """Of the VMs that were powered on before the apply, those that are not now (``[{"name", "power_state"}]``)."""
    if not before:
        return []
    params = [("vms", vm_id) for vm_id in sorted(before)]
    now = {vm["vm"]: vm for vm in client.get("/api/vcenter/vm", params=params) or []}
    return [{"name": name, "power_state": (now.get(vm_id) or {}).get("power_state", "NOT_FOUND")}
            for vm_id, name in sorted(before.items(), key=lambda kv: kv[1])
            if (now.get(vm_id) or {}).get("power_state") != "POWERED_ON"]
