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
  cluster:
    description:
      - Name of the image-managed cluster whose hosts to stage. Mutually exclusive with O(host).
    type: str
  datacenter:
    description:
      - Name of the datacenter of O(cluster) or O(host); needed only when the name exists in several datacenters.
    type: str
  hosts:
    description:
      - Names of hosts in O(cluster) to stage; by default every host of the cluster.
    type: list
    elements: str
  host:
    description:
      - Name of a standalone, image-managed host to stage. Mutually exclusive with O(cluster).
    type: str
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
  description: Hosts vLCM could not stage (the task then fails and this is part of the failure).
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

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import (  # noqa: E402
    VcenterModule,
    target_argument_spec,
    target_rules,
)


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    target, selected, _whole = rem.resolve_target(m.inventory, cluster=p["cluster"], hosts=p["hosts"],
                                                  host=p["host"], datacenter=p["datacenter"])
    compliance, states, scanned = rem.current_states(m.rest, target, selected, refresh=p["refresh"],
                                                     timeout=p["wait_timeout"])
    names = dict(selected)
    to_stage, skipped = rem.plan_stage(states)
    firmware = {states[h].name for h in states
                if states[h].firmware_unstageable and (h in to_stage or states[h].staged)}
    result: dict[str, Any] = {
        "changed": bool(to_stage),
        "target": {"type": target.kind, "id": target.id, "name": target.name},
        "scanned_hosts": scanned,
        "staged_hosts": sorted(names[h] for h in to_stage),
        "skipped_hosts": [{"name": names[h], "reason": reason}
                          for h, reason in sorted(skipped.items(), key=lambda kv: names[kv[0]])],
        "failed_hosts": [],
    }
    before = {names[h]: states[h].stage_status for h in states}
    if to_stage and not m.check_mode:
        commit = (compliance or {}).get("commit")
        info = rem.stage(m.rest, target, to_stage, commit=commit, timeout=p["wait_timeout"])
        outcome = info.get("result") or {}
        rows = rem.host_outcomes(target, outcome, {**names, **rem.names_of(outcome, target)})
        result["stage_task"] = info.get("_task_id")
        result["hosts"] = rows
        result["staged_hosts"] = [r["name"] for r in rows if r["status"] == "OK"]
        result["failed_hosts"] = [r["name"] for r in rows if r["status"] == "ERROR"]
        for row in rows:
            if row["status"] == "SKIPPED":
                reason = "; ".join(row["info"] + row["warnings"]) or "skipped by vLCM"
                result["skipped_hosts"].append({"name": row["name"], "reason": reason})
            if row["firmware_not_staged"]:
                firmware.add(row["name"])
        result["changed"] = bool(result["staged_hosts"])
    result["firmware_not_staged"] = sorted(firmware)
    for name in result["firmware_not_staged"]:
        m.module.warn(f"the firmware of the desired image could not be staged to host '{name}' (its hardware "
                      "support manager does not support firmware staging); its software is staged and vLCM "
                      "installs the firmware during remediation")
    if m.module._diff:  # noqa: SLF001 - AnsibleModule exposes --diff only this way
        after = dict(before)
        for name in result["staged_hosts"]:
            # vLCM marks a host STAGED only when its firmware is staged too
            after[name] = "NOT_STAGED (software staged)" if name in firmware else "STAGED"
        result["diff"] = {"before": {"stage_status": before}, "after": {"stage_status": after}}
    return result


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            **target_argument_spec(hosts=True),
            refresh=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=3600),
        ),
        **target_rules(hosts=True),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
