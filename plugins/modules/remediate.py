#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: remediate
short_description: Remediate ESXi hosts to their vLCM desired image (pre-check, stage, apply)
version_added: 0.1.0
description:
  - Brings the hosts of an image-managed cluster, some hosts of it, or a standalone host to the desired
    image of vSphere Lifecycle Manager (vLCM).
  - Reads the compliance report (scanning first when a host's compliance is unknown), then runs the
    remediation pre-check and stops with its reasons, before any change, when it fails.
  - Stages the image first (outside maintenance mode) unless O(stage_first=false); hosts already staged,
    for example by an earlier run that failed, are not staged again.
  - Applies the image (vLCM enters maintenance mode, installs, reboots and exits host by host, as the
    remediation policy says) and returns per-host outcomes, the new versions and how long each host was
    being remediated (the vLCM apply status window of that host, from entering maintenance mode to leaving it).
  - Hosts and clusters already compliant are left alone; no task runs and C(changed=false).
  - When a host fails, the task fails and names the host, the reason, whether vLCM left the host in
    maintenance mode (this module never puts a host in maintenance mode itself), whether the image
    stays staged on it, and the VMs left powered off. The failed result carries the same per-host keys as a
    successful one (RV(successful_hosts), RV(failed_hosts), RV(staged_hosts), RV(left_in_maintenance_mode),
    RV(vms_not_restored)) and C(changed=true) when anything was staged or applied.
options:
  accept_eula:
    description:
      - You accept the end user license agreements of the software in the desired image. vLCM refuses to
        remediate without it, so it must be set to V(true) explicitly.
    type: bool
    required: true
  stage_first:
    description:
      - Stage the image to the hosts that need it before remediating, so they spend only install and reboot
        time in maintenance mode. With V(false) vLCM stages as part of the remediation.
    type: bool
    default: true
  refresh:
    description:
      - V(true) runs a compliance scan first even when vCenter has a report for every host.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for each vLCM task (scan, pre-check, stage, apply). Past it the module fails and the
        task keeps running in vCenter. (The connection option O(timeout) is the HTTP timeout of one call.)
    type: int
    default: 14400
requirements:
  - pyvmomi (read when a remediation fails, to report the hosts vLCM left in maintenance mode)
extends_documentation_fragment:
  - vsphere.lifecycle.vcenter
  - vsphere.lifecycle.target
  - vsphere.lifecycle.target.hosts
  - vsphere.lifecycle.attributes
attributes:
  check_mode:
    support: full
    details:
      - Runs only the compliance read (a scan if needed) and the pre-check, and returns the predicted impact
        (vLCM apply-impact report) and the hosts that would change. Nothing is staged or applied.
  diff_mode:
    support: full
    details:
      - Shows the base image and add-on versions of each host that changes, before and after.
  action_group:
    support: full
    membership:
      - vsphere.lifecycle.vcenter
author:
  - vsphere.lifecycle contributors (@vsphere-lifecycle)
seealso:
  - module: vsphere.lifecycle.stage
  - module: vsphere.lifecycle.remediation_policy
  - module: vsphere.lifecycle.compliance
"""

EXAMPLES = r"""
- name: Remediate a cluster (staging first, then the hosts one by one as the policy says)
  vsphere.lifecycle.remediate:
    cluster: Prod-01
    accept_eula: true
  register: remediation

- name: What would change, without changing anything
  vsphere.lifecycle.remediate:
    cluster: Prod-01
    accept_eula: true
  check_mode: true
  diff: true

- name: Two hosts of a cluster, staged by vLCM during remediation
  vsphere.lifecycle.remediate:
    cluster: Prod-01
    hosts: [esxi-01.example.com, esxi-02.example.com]
    accept_eula: true
    stage_first: false
    wait_timeout: 7200
"""

RETURN = r"""
target:
  description: What was remediated.
  returned: always
  type: dict
  sample: {"type": "cluster", "id": "domain-c9", "name": "Prod-01"}
scanned_hosts:
  description: Hosts whose compliance was unknown (or O(refresh=true)) and that were scanned first.
  returned: always
  type: list
  elements: str
precheck:
  description: The pre-check result (status C(OK), C(WARNING) or C(ERROR), and its errors and warnings, each naming its host).
  returned: when hosts needed remediation
  type: dict
would_remediate:
  description: Hosts that would be remediated.
  returned: in check mode
  type: list
  elements: str
impact:
  description: The predicted impact (vLCM apply-impact report) for the cluster and per host.
  returned: in check mode, when hosts needed remediation
  type: dict
staged_hosts:
  description: Hosts this run staged before remediating.
  returned: always
  type: list
  elements: str
successful_hosts:
  description: Hosts remediated by this run.
  returned: always
  type: list
  elements: str
failed_hosts:
  description: Hosts whose remediation failed.
  returned: always
  type: list
  elements: str
skipped_hosts:
  description: Hosts not remediated, each with the reason (already compliant, skipped by vLCM after another host failed, ...).
  returned: always
  type: list
  elements: dict
hosts:
  description: Per host of the apply (name, id, status, before and after versions, maintenance_seconds, errors, warnings).
  returned: when an apply ran
  type: list
  elements: dict
maintenance_host_seconds:
  description: Sum over the remediated hosts of their vLCM apply status window (enter maintenance mode to exit).
  returned: when an apply ran
  type: float
staging_host_seconds:
  description: Sum over the hosts this run staged of their staging time (spent outside maintenance mode).
  returned: when this run staged hosts
  type: float
apply_task:
  description: Id of the vLCM apply task (the same as RV(task_id)).
  returned: when an apply ran
  type: str
task_id:
  description: Id of the vLCM apply task; on failure, the task to look at in the vSphere Client.
  returned: when an apply ran, also when it failed
  type: str
stage_task:
  description: Id of the vLCM stage task this run started.
  returned: when this run staged hosts
  type: str
left_in_maintenance_mode:
  description:
    - Hosts vLCM left in maintenance mode when the remediation failed (read over SOAP). This module never puts
      a host in maintenance mode itself. Empty when none, or when the state could not be read (a warning says so).
  returned: always
  type: list
  elements: str
vms_not_restored:
  description:
    - VMs that were powered on before the apply and are not after a failed one (powered off or suspended by the
      pre-remediation power action policy, for example), each with its C(name) and C(power_state).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "gpu-render-01", "power_state": "POWERED_OFF"}]
"""

from typing import Any  # noqa: E402

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _outcomes as out  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (  # noqa: E402
    ApiError,
    OptionError,
    TaskFailedError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule  # noqa: E402


def run(m: VcenterModule) -> dict[str, Any]:
    p, res = m.params, m.result
    if p["accept_eula"] is not True:
        raise OptionError("accept_eula must be true: vLCM remediates only when the end user license agreements of "
                          "the desired image are accepted", option="accept_eula")
    sel = m.target()
    target, names, timeout = sel.target, sel.names, p["wait_timeout"]
    res.update(scanned_hosts=[], staged_hosts=[], successful_hosts=[], failed_hosts=[], skipped_hosts=[],
               left_in_maintenance_mode=[], vms_not_restored=[])
    compliance, states, res["scanned_hosts"] = rem.current_states(m.rest, sel, refresh=p["refresh"], timeout=timeout)
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


def _record_apply(m: VcenterModule, sel: Any, todo: list[str], states: dict[str, rem.HostState],
                  apply_result: dict[str, Any]) -> list[dict[str, Any]]:
    after = rem.host_states(sel.target, rem.read_compliance(m.rest, sel.target), [(h, sel.names[h]) for h in todo])
    rows = out.apply_rows(sel.target, apply_result, sel.names, states, after)
    fields = out.apply_fields(rows)
    m.result["skipped_hosts"] += fields.pop("skipped_by_vlcm")
    m.result.update(fields)
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
