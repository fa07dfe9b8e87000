#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _livepatch as lp
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _outcomes as out
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    OptionError,
    TaskFailedError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


def run(m: VcenterModule) -> dict[str, Any]:
    p, res = m.params, m.result
    if p["accept_eula"] is not True:
        raise OptionError("accept_eula must be true: vLCM remediates only when the end user license agreements of "
                          "the desired image are accepted", option="accept_eula")
    sel = m.target()
    target, names, timeout = sel.target, sel.names, p["wait_timeout"]
    res.update(scanned_hosts=[], staged_hosts=[], successful_hosts=[], failed_hosts=[], skipped_hosts=[],
               left_in_maintenance_mode=[], vms_not_restored=[])
    compliance, states, res["scanned_hosts"] = rem.current_states(m.rest, sel, refresh=p["refresh"],
                                                                  timeout=timeout, found=res)
    todo, compliant, blocked = rem.plan_remediation(states)
    res["skipped_hosts"] = out.skipped_rows(compliant, names)
    if blocked:
        reasons = "; ".join(f"host '{r['name']}': {r['reason']}" for r in out.skipped_rows(blocked, names))
        raise rem.RemediationError(f"{target.label} cannot be remediated, nothing was changed: {reasons}. "
                                   "Fix these hosts or leave them out with the hosts option.",
                                   blocked_hosts=out.by_name(names, blocked))
    if m.check_mode:
        res["would_remediate"] = out.by_name(names, todo)
    if not todo:
        return res
    _live_patch_refusal(m, sel, compliance, todo)     # before the pre-check: a check task is a change too
    commit = (compliance or {}).get("commit")
    if m.diff_mode:
        res["diff"] = out.versions_diff(states, todo, names)
    # 1. pre-check: stop before any change when it fails
    check_result = rem.check(m.rest, target, todo, commit=commit, timeout=timeout).get("result") or {}
    res["precheck"] = summary = out.check_summary(target, check_result, {**names, **out.names_of(check_result, target)})
    if summary["status"] == "ERROR" or summary["errors"]:
        raise rem.RemediationError(
            f"the remediation pre-check of {target.label} failed, nothing was changed: " + "; ".join(summary["errors"]),
            would_remediate=out.by_name(names, todo))
    for warning in summary["warnings"]:
        m.warn(f"pre-check: {warning}")
    if m.check_mode:
        impact = rem.apply_impact(m.rest, target)
        res["impact"] = out.impact_summary(target, impact, {**names, **out.names_of(impact, target)}, only=todo)
        res["changed"] = True
        return res
    # 2. stage what is not staged yet (outside maintenance mode)
    to_stage = [h for h in todo if not states[h].staged] if p["stage_first"] else []
    if to_stage:
        info = rem.stage(m.rest, target, to_stage, commit=commit, timeout=timeout,
                         on_started=lambda tid: res.update(changed=True, stage_task=tid))
        rows = out.host_outcomes(target, info.get("result") or {}, names)
        res["staged_hosts"] = [r["name"] for r in rows if r["status"] == "OK"]
        res["staging_host_seconds"] = round(sum(r["seconds"] or 0 for r in rows if r["status"] == "OK"), 3)
        for row in rows:
            if row["firmware_not_staged"]:
                m.warn(f"the firmware could not be staged to host '{row['name']}'; vLCM installs it during remediation")
    # 3. apply
    running_vms = rem.powered_on_vms(m.rest, todo)
    try:
        applied = rem.apply(m.rest, target, todo, commit=commit, timeout=timeout,
                            on_started=lambda tid: res.update(changed=True, task_id=tid, apply_task=tid))
    except ApiError as exc:
        if exc.error_type != "ALREADY_IN_DESIRED_STATE":
            raise
        return res        # vLCM found nothing to apply (changed only if this run staged)
    except TaskFailedError as exc:
        _fail_apply(m, sel, todo, states, running_vms, exc)
    _record_apply(m, sel, todo, states, applied.get("result") or rem.last_apply_result(m.rest, target) or {})
    return res


def _live_patch_refusal(m: VcenterModule, sel: Any, compliance: dict[str, Any] | None, todo: list[str]) -> None:
    """ENFORCE (8.0 U3 enforce_quick_patch, 9.1 ENFORCE_LIVE_PATCH) with a host that cannot be live patched: fail
    naming each host and reason before any change (vLCM's pre-check and apply would refuse it too)."""
    if sel.target.kind != "cluster" or not lp.scan_mentions_live_patch(compliance, todo):
        return
    mode, setting = lp.mode_of(vlcm.get_policies(m.rest, sel.target), sel.target)
    m.result["live_patch_mode"] = lp.short_mode(mode)
    refused = lp.enforce_refusal(mode, compliance, sel.target, todo, sel.names)
    if refused:
        raise rem.RemediationError(lp.refusal_message(sel.target, setting, refused), refused_hosts=refused,
                                   would_remediate=out.by_name(sel.names, todo))


def _record_apply(m: VcenterModule, sel: Any, todo: list[str], states: dict[str, rem.HostState],
                  apply_result: dict[str, Any]) -> list[dict[str, Any]]:
    after = rem.host_states(sel.target, rem.read_compliance(m.rest, sel.target), [(h, sel.names[h]) for h in todo])
    rows = out.apply_rows(sel.target, apply_result, sel.names, states, after)
    fields = out.apply_fields(rows)
    m.result["skipped_hosts"] += fields.pop("skipped_by_vlcm")
    m.result.update(fields)
    m.result.update(lp.annotate_apply_rows(rows, lp.apply_methods(sel.target, apply_result)))
    return rows


def _fail_apply(m: VcenterModule, sel: Any, todo: list[str], states: dict[str, rem.HostState],
                running_vms: dict[str, str], exc: TaskFailedError) -> None:
    rows = _record_apply(m, sel, todo, states, rem.last_apply_result(m.rest, sel.target) or {})
    failed_ids = [r["id"] for r in rows if r["status"] == "ERROR"] or list(todo)
    maintenance, why = None, None
    try:
        maintenance = rem.hosts_in_maintenance(m.soap, failed_ids)
    except VsphereError as soap_exc:
        why = soap_exc.message
        m.warn(f"could not read the maintenance state of the failed hosts: {why}")
    m.result["left_in_maintenance_mode"] = out.by_name(sel.names, [h for h, mm in (maintenance or {}).items() if mm])
    m.result["vms_not_restored"] = rem.vms_not_running(m.rest, running_vms)
    # what the compliance report vLCM refreshed after the failure says (nothing is claimed without it)
    staged = {r["id"]: bool(r.get("staged_after")) for r in rows}
    raise rem.RemediationError(
        out.failure_message(sel.target, rows, exc.messages, maintenance, staged, maintenance_error=why,
                            vms_not_restored=m.result["vms_not_restored"]), task_id=exc.task_id)


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            accept_eula=dict(type="bool", required=True),
            stage_first=dict(type="bool", default=True),
            refresh=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=14400),
        ),
        target="hosts",
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
