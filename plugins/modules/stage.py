#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stage
short_description: Stage the vLCM desired image to ESXi hosts before remediation
version_added: 0.1.0
description:
  - Downloads the software and firmware of the desired image of vSphere Lifecycle Manager (vLCM) to the
    hosts of an image-managed cluster (all of them in parallel, in one vLCM task), to some hosts of it, or
    to a standalone host, without installing anything. Hosts stay in production; the later remediation
    then spends only install and reboot time in maintenance mode.
  - Hosts whose compliance is unknown (no report yet, not scanned, unavailable) are scanned first.
  - Compliant hosts, hosts that cannot take the image and hosts already staged are left alone; when no
    host needs staging no task runs and the module returns C(changed=false).
  - A host whose hardware support manager cannot stage firmware is staged with its software only; as in
    vLCM this is not an error. The module warns and lists the host in RV(firmware_not_staged); the
    firmware is installed during remediation.
options:
  refresh:
    description:
      - V(true) runs a compliance scan first even when vCenter has a report for every host.
      - With V(false) (default) a scan runs only when the compliance of a selected host is unknown.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for each vLCM task (scan, stage) to finish.
    type: int
    default: 3600
extends_documentation_fragment:
  - vsphere.lifecycle.vcenter
  - vsphere.lifecycle.target
  - vsphere.lifecycle.target.hosts
  - vsphere.lifecycle.attributes
attributes:
  check_mode:
    support: full
    details:
      - Returns the hosts that would be staged without staging them. A compliance scan may still run
        when a host's compliance is unknown (a scan changes nothing on the hosts).
  diff_mode:
    support: full
    details:
      - Shows the stage status of each selected host before and after.
  action_group:
    support: full
    membership:
      - vsphere.lifecycle.vcenter
author:
  - vsphere.lifecycle contributors (@vsphere-lifecycle)
seealso:
  - module: vsphere.lifecycle.remediate
  - module: vsphere.lifecycle.compliance
"""

EXAMPLES = r"""
- name: Stage the desired image to every host of a cluster (in parallel)
  vsphere.lifecycle.stage:
    cluster: Prod-01
  register: staged

- name: Stage two hosts of a cluster
  vsphere.lifecycle.stage:
    cluster: Prod-01
    hosts: [esxi-01.example.com, esxi-02.example.com]

- name: Stage a standalone host
  vsphere.lifecycle.stage:
    host: esxi-edge-07.example.com
"""

RETURN = r"""
target:
  description: What was staged.
  returned: always
  type: dict
  sample: {"type": "cluster", "id": "domain-c9", "name": "Prod-01"}
scanned_hosts:
  description: Hosts whose compliance was unknown (or O(refresh=true)) and that were scanned first.
  returned: always
  type: list
  elements: str
staged_hosts:
  description: Names of the hosts staged by this run (in check mode, the hosts that would be staged).
  returned: always
  type: list
  elements: str
skipped_hosts:
  description: Hosts not staged, each with the reason (compliant, already staged, incompatible, ...).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "esxi-02.example.com", "reason": "already staged"}]
failed_hosts:
  description:
    - Hosts vLCM could not stage. The task then fails; its result still lists them, with the hosts that were
      staged in RV(staged_hosts) and C(changed=true) when any was.
  returned: always
  type: list
  elements: str
firmware_not_staged:
  description: Hosts whose firmware could not be staged (the vendor's hardware support manager does not
    support firmware staging); their software is staged and the firmware is installed during remediation.
  returned: always
  type: list
  elements: str
stage_task:
  description: Id of the vLCM stage task, when one ran.
  returned: when hosts were staged
  type: str
hosts:
  description: Per staged host as vLCM reports it (name, id, status, seconds, start_time, end_time, errors, warnings, info).
  returned: when hosts were staged
  type: list
  elements: dict
"""

from typing import Any  # noqa: E402

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _outcomes as out  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import TaskFailedError  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule  # noqa: E402

FIRMWARE_WARNING = ("the firmware of the desired image could not be staged to host '{}' (its hardware support manager "
                    "does not support firmware staging); its software is staged and vLCM installs the firmware during "
                    "remediation")


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    sel = m.target()
    target, names = sel.target, sel.names
    res = m.result
    res.update(scanned_hosts=[], staged_hosts=[], skipped_hosts=[], failed_hosts=[], firmware_not_staged=[])
    compliance, states, res["scanned_hosts"] = rem.current_states(m.rest, sel, refresh=p["refresh"],
                                                                  timeout=p["wait_timeout"])
    to_stage, skipped = rem.plan_stage(states)
    firmware = {states[h].name for h in states if states[h].firmware_unstageable and (h in to_stage or states[h].staged)}
    res.update(staged_hosts=out.by_name(names, to_stage), skipped_hosts=out.skipped_rows(skipped, names),
               firmware_not_staged=sorted(firmware), changed=bool(to_stage))
    before = {names[h]: states[h].stage_status for h in states}
    if to_stage and not m.check_mode:
        res["changed"], res["staged_hosts"] = False, []      # from here on: what vLCM did
        try:
            info = rem.stage(m.rest, target, to_stage, commit=(compliance or {}).get("commit"),
                             timeout=p["wait_timeout"], on_started=lambda tid: res.update(changed=True, stage_task=tid))
        except TaskFailedError as exc:
            # a failed task has no per-host result: the compliance report vLCM refreshed says which hosts are staged
            after = rem.host_states(target, rem.read_compliance(m.rest, target), sel.pairs)
            res["staged_hosts"], res["failed_hosts"] = out.stage_split(to_stage, names, after)
            raise TaskFailedError(
                f"staging of {target.label} failed on host(s) {', '.join(res['failed_hosts']) or '(unknown)'}: "
                f"{'; '.join(exc.messages) or exc.message}. Staged: {', '.join(res['staged_hosts']) or 'none'}. "
                "Fix the cause and re-run: staged hosts are not staged again.", task_id=exc.task_id,
                messages=exc.messages) from None
        outcome = info.get("result") or {}
        rows = out.host_outcomes(target, outcome, {**names, **out.names_of(outcome, target)})
        res["hosts"] = rows
        res["staged_hosts"] = [r["name"] for r in rows if r["status"] == "OK"]
        res["failed_hosts"] = [r["name"] for r in rows if r["status"] == "ERROR"]
        for row in rows:
            if row["status"] == "SKIPPED":
                reason = "; ".join(row["info"] + row["warnings"]) or "skipped by vLCM"
                res["skipped_hosts"].append({"name": row["name"], "reason": reason})
            if row["firmware_not_staged"]:
                firmware.add(row["name"])
        res["firmware_not_staged"] = sorted(firmware)
    for name in res["firmware_not_staged"]:
        m.warn(FIRMWARE_WARNING.format(name))
    if m.diff_mode:
        after = dict(before)
        for name in res["staged_hosts"]:
            # vLCM marks a host STAGED only when its firmware is staged too
            after[name] = "NOT_STAGED (software staged)" if name in firmware else "STAGED"
        res["diff"] = {"before": {"stage_status": before}, "after": {"stage_status": after}}
    return res


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            refresh=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=3600),
        ),
        target="hosts",
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
