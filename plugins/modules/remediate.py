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
    maintenance mode (this module never puts a host in maintenance mode itself) and whether the image
    stays staged on it.
options:
  cluster:
    description:
      - Name of the image-managed cluster to remediate. Mutually exclusive with O(host).
    type: str
  datacenter:
    description:
      - Name of the datacenter of O(cluster) or O(host); needed only when the name exists in several datacenters.
    type: str
  hosts:
    description:
      - Names of hosts in O(cluster) to remediate; by default every host of the cluster.
    type: list
    elements: str
  host:
    description:
      - Name of a standalone, image-managed host to remediate. Mutually exclusive with O(cluster).
    type: str
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
extends_documentation_fragment:
  - vsphere.lifecycle.vcenter
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
  description: Id of the vLCM apply task.
  returned: when an apply ran
  type: str
"""

from typing import Any  # noqa: E402

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (  # noqa: E402
    ApiError,
    TaskFailedError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import (  # noqa: E402
    VcenterModule,
    target_argument_spec,
    target_rules,
)


def _versions(state: rem.HostState, side: str) -> dict[str, Any]:
    return state.versions() if side == "current" else state.target_versions()


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    if p["accept_eula"] is not True:
        raise VsphereError("accept_eula must be true: vLCM remediates only when the end user license agreements of "
                           "the desired image are accepted")
    target, selected, _whole = rem.resolve_target(m.inventory, cluster=p["cluster"], hosts=p["hosts"],
                                                  host=p["host"], datacenter=p["datacenter"])
    timeout = p["wait_timeout"]
    compliance, states, scanned = rem.current_states(m.rest, target, selected, refresh=p["refresh"], timeout=timeout)
    names = dict(selected)
    todo, compliant, blocked = rem.plan_remediation(states)
    result: dict[str, Any] = {
        "changed": False, "target": {"type": target.kind, "id": target.id, "name": target.name},
        "scanned_hosts": scanned, "staged_hosts": [], "successful_hosts": [], "failed_hosts": [],
        "skipped_hosts": [{"name": names[h], "reason": r} for h, r in sorted(compliant.items(), key=lambda kv: names[kv[0]])],
    }
    if blocked:
        reasons = "; ".join(f"host '{names[h]}': {r}" for h, r in sorted(blocked.items(), key=lambda kv: names[kv[0]]))
        raise rem.RemediationError(f"{target.label} cannot be remediated, nothing was changed: {reasons}. "
                                   "Fix these hosts or leave them out with the hosts option.",
                                   blocked_hosts=sorted(names[h] for h in blocked))
    if m.check_mode:
        result["would_remediate"] = sorted(names[h] for h in todo)
    if not todo:
        return result
    commit = (compliance or {}).get("commit")
    if m.module._diff:  # noqa: SLF001
        result["diff"] = {"before": {names[h]: _versions(states[h], "current") for h in todo},
                          "after": {names[h]: _versions(states[h], "target") for h in todo}}

    # 1. pre-check: stop before any change when it fails
    info = rem.check(m.rest, target, todo, commit=commit, timeout=timeout)
    check_result = info.get("result") or {}
    summary = rem.check_summary(target, check_result, {**names, **rem.names_of(check_result, target)})
    result["precheck"] = summary
    if summary["status"] == "ERROR" or summary["errors"]:
        raise rem.RemediationError(
            f"the remediation pre-check of {target.label} failed, nothing was changed: " + "; ".join(summary["errors"]),
            precheck=summary, would_remediate=sorted(names[h] for h in todo))
    for warning in summary["warnings"]:
        m.module.warn(f"pre-check: {warning}")
    result["changed"] = True
    if m.check_mode:
        impact = rem.apply_impact(m.rest, target)
        result["impact"] = rem.impact_summary(target, impact, {**names, **rem.names_of(impact, target)}, only=todo)
        return result

    # 2. stage what is not staged yet (outside maintenance mode)
    if p["stage_first"]:
        to_stage = [h for h in todo if not states[h].staged]
        if to_stage:
            staged_info = rem.stage(m.rest, target, to_stage, commit=commit, timeout=timeout)
            rows = rem.host_outcomes(target, staged_info.get("result") or {}, names)
            result["staged_hosts"] = [r["name"] for r in rows if r["status"] == "OK"]
            result["staging_host_seconds"] = round(sum(r["seconds"] or 0 for r in rows if r["status"] == "OK"), 3)
            for row in rows:
                if row["firmware_not_staged"]:
                    m.module.warn(f"the firmware could not be staged to host '{row['name']}'; vLCM installs it "
                                  "during remediation")

    # 3. apply
    try:
        applied = rem.apply(m.rest, target, todo, commit=commit, timeout=timeout)
    except ApiError as exc:
        if exc.error_type == "ALREADY_IN_DESIRED_STATE":
            result["changed"] = bool(result["staged_hosts"])
            return result
        raise
    except TaskFailedError as exc:
        _fail_apply(m, target, todo, names, states, exc, result)
    apply_result = applied.get("result") or rem.last_apply_result(m.rest, target) or {}
    result["apply_task"] = applied.get("_task_id")
    _outcomes(m, target, todo, names, states, apply_result, result)
    return result


def _outcomes(m: VcenterModule, target: Any, todo: list[str], names: dict[str, str],
              states: dict[str, rem.HostState], apply_result: dict[str, Any], result: dict[str, Any]) -> list[dict]:
    rows = rem.host_outcomes(target, apply_result, {**names, **rem.names_of(apply_result, target)})
    after_compliance = rem.read_compliance(m.rest, target)
    after = rem.host_states(target, after_compliance, [(h, names[h]) for h in todo])
    for row in rows:
        before_state = states.get(row["id"])
        row["before"] = before_state.versions() if before_state else None
        row["after"] = after[row["id"]].versions() if row["id"] in after else None
        row["status_after"] = after[row["id"]].status if row["id"] in after else None
        row["stage_status_after"] = after[row["id"]].stage_status if row["id"] in after else None
        row["staged_after"] = after[row["id"]].staged if row["id"] in after else None
        seconds = row.pop("seconds")
        row["maintenance_seconds"] = seconds if row["status"] in ("OK", "ERROR") else 0.0
    result["hosts"] = rows
    result["successful_hosts"] = [r["name"] for r in rows if r["status"] == "OK"]
    result["failed_hosts"] = [r["name"] for r in rows if r["status"] == "ERROR"]
    for row in rows:
        if row["status"] not in ("OK", "ERROR"):
            reason = "; ".join(row["errors"] + row["info"] + row["warnings"]) or f"vLCM status {row['status']}"
            result["skipped_hosts"].append({"name": row["name"], "reason": reason})
    result["maintenance_host_seconds"] = round(sum(r["maintenance_seconds"] or 0 for r in rows), 3)
    return rows


def _fail_apply(m: VcenterModule, target: Any, todo: list[str], names: dict[str, str],
                states: dict[str, rem.HostState], exc: TaskFailedError, result: dict[str, Any]) -> None:
    last = rem.last_apply_result(m.rest, target) or {}
    rows = _outcomes(m, target, todo, names, states, last, result)
    failed_ids = [r["id"] for r in rows if r["status"] == "ERROR"] or list(todo)
    try:
        maintenance = rem.hosts_in_maintenance(m.soap, failed_ids)
    except VsphereError as soap_exc:
        maintenance = {}
        m.module.warn(f"could not read the maintenance state of the failed hosts: {soap_exc}")
    # what the compliance report vLCM refreshed after the failure says (nothing is claimed without it)
    staged = {r["id"]: bool(r.get("staged_after")) for r in rows}
    message = rem.failure_message(target, rows, exc.messages, maintenance, staged)
    raise rem.RemediationError(
        message, task_id=exc.task_id, successful_hosts=result["successful_hosts"], failed_hosts=result["failed_hosts"],
        skipped_hosts=result["skipped_hosts"], staged_hosts=result["staged_hosts"], hosts=result.get("hosts"),
        left_in_maintenance_mode=sorted(names.get(h, h) for h, in_mm in maintenance.items() if in_mm),
    )


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            **target_argument_spec(hosts=True),
            accept_eula=dict(type="bool", required=True),
            stage_first=dict(type="bool", default=True),
            refresh=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=14400),
        ),
        **target_rules(hosts=True),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
