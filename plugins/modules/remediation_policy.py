#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: remediation_policy
short_description: Manage the vLCM remediation (apply) policies of a cluster, a standalone host or the global defaults
version_added: 0.1.0
description:
  - Sets the apply policies vSphere Lifecycle Manager (vLCM) uses when it remediates, that is what to do when a host
    fails, what happens to the power state of VMs, Quick Boot, DPM, HA admission control, offline VMs, HCL
    enforcement, parallel remediation and live patch.
  - Only the options you set are managed; everything else in the configured policy is kept as it is. When
    the configured policy already has the values you set, nothing is written (C(changed=false)).
  - Live patch is O(enforce_quick_patch) on vCenter 8.0 U3 and O(live_patch_mode) from vCenter 9.1. The module
    reads the server's API version (SOAP C(about.apiVersion), only when O(live_patch_mode) is set) and fails
    with a clear message, before writing anything, when O(live_patch_mode) is asked of an older vCenter.
options:
  defaults:
    description:
      - V(true) manages the global defaults every cluster inherits unless it configures its own value.
      - Mutually exclusive with O(cluster) and O(host); one of the three is required (V(false) names no target
        and is an error).
    type: bool
  failure_action:
    description:
      - What vLCM does when a host fails to enter maintenance mode or to remediate.
    type: str
    choices: [FAIL, RETRY]
  failure_retry_count:
    description:
      - How many times to retry, with O(failure_action=RETRY).
    type: int
  failure_retry_delay:
    description:
      - Seconds between retries, with O(failure_action=RETRY).
    type: int
  pre_remediation_power_action:
    description:
      - The power state change vLCM makes to the VMs of a host before remediating it.
    type: str
    choices: [POWER_OFF_VMS, SUSPEND_VMS, DO_NOT_CHANGE_VMS_POWER_STATE, SUSPEND_VMS_TO_MEMORY]
  enable_quick_boot:
    description:
      - Use Quick Boot (skip the hardware reboot) where the hosts support it.
    type: bool
  disable_dpm:
    description:
      - Disable vSphere DPM on the cluster while it is remediated.
    type: bool
  disable_hac:
    description:
      - Disable vSphere HA admission control while the cluster is remediated.
    type: bool
  evacuate_offline_vms:
    description:
      - Also migrate powered-off and suspended VMs off hosts that enter maintenance mode.
    type: bool
  enforce_hcl_validation:
    description:
      - Refuse to remediate when the hardware compatibility check finds issues (vSAN clusters).
    type: bool
  parallel_remediation:
    description:
      - Remediate hosts that are in maintenance mode in parallel.
    type: bool
  parallel_max_hosts:
    description:
      - The most hosts remediated at the same time; setting it turns O(parallel_remediation) on.
    type: int
  enforce_quick_patch:
    description:
      - Live patch (vCenter 8.0 U3); mutually exclusive with O(live_patch_mode).
    type: bool
  live_patch_mode:
    description:
      - Live patch mode (vCenter 9.1 and later). C(DISABLE), C(AUTO) (live patch where possible) or
        C(ENFORCE), written as C(software_policy_spec.live_patch_action.live_patch_mode).
    type: str
    choices: [DISABLE, AUTO, ENFORCE]
requirements:
  - pyvmomi (only with O(live_patch_mode), to read the vCenter API version)
extends_documentation_fragment:
  - vsphere.lifecycle.vcenter
  - vsphere.lifecycle.target
  - vsphere.lifecycle.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Shows the configured policy before and after.
  action_group:
    support: full
    membership:
      - vsphere.lifecycle.vcenter
author:
  - vsphere.lifecycle contributors (@vsphere-lifecycle)
seealso:
  - module: vsphere.lifecycle.remediate
"""

EXAMPLES = r"""
- name: Retry failed hosts, power off VMs DRS cannot move, Quick Boot
  vsphere.lifecycle.remediation_policy:
    cluster: Prod-01
    failure_action: RETRY
    failure_retry_count: 2
    failure_retry_delay: 120
    pre_remediation_power_action: POWER_OFF_VMS
    enable_quick_boot: true

- name: Remediate up to 4 hosts in maintenance mode at once, by default on every cluster
  vsphere.lifecycle.remediation_policy:
    defaults: true
    parallel_remediation: true
    parallel_max_hosts: 4

- name: Live patch where possible (vCenter 9.1)
  vsphere.lifecycle.remediation_policy:
    cluster: Prod-01
    live_patch_mode: AUTO
"""

RETURN = r"""
scope:
  description: Whose policy was managed.
  returned: always
  type: dict
  sample: {"type": "cluster", "id": "domain-c9", "name": "Prod-01"}
policy:
  description: The configured policy (ConfiguredPolicySpec) after the run (in check mode, as it would be).
  returned: always
  type: dict
effective:
  description: The effective policy vLCM uses (configured values merged over the defaults), for clusters and the defaults.
  returned: when the scope is a cluster or the defaults
  type: dict
changed_fields:
  description: ConfiguredPolicySpec fields this run changed (or would change).
  returned: always
  type: list
  elements: str
api_version:
  description: The vSphere API version vCenter reports, when the module needed it.
  returned: when O(live_patch_mode) is set
  type: str
"""

from typing import Any  # noqa: E402

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _policy as pol  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule  # noqa: E402


def run(m: VcenterModule) -> dict[str, Any]:
    options = pol.managed_options(m.params)
    scope = m.target().target
    api_text = m.soap.api_version() if "live_patch_mode" in options else None
    pol.validate(scope, options, pol.parse_api_version(api_text), api_text)
    configured = pol.read(m.rest, scope)
    effective = pol.read_effective(m.rest, scope)
    new = pol.desired_spec(configured, effective, options)
    managed = {pol.OPTION_FIELD[o] for o in options}
    changed = [f for f in pol.changed_fields(configured, new) if f in managed]
    result: dict[str, Any] = {"changed": bool(changed), "changed_fields": changed}
    if api_text is not None:
        result["api_version"] = api_text
    if changed and not m.check_mode:
        pol.write(m.rest, scope, new)
        result["policy"] = pol.read(m.rest, scope)
        if effective is not None:
            effective = pol.read_effective(m.rest, scope)
    else:
        result["policy"] = new if changed else configured
    if effective is not None:
        result["effective"] = effective
    if m.diff_mode:
        result["diff"] = {"before": configured, "after": result["policy"]}
    return result


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            failure_action=dict(type="str", choices=["FAIL", "RETRY"]),
            failure_retry_count=dict(type="int"),
            failure_retry_delay=dict(type="int"),
            pre_remediation_power_action=dict(type="str", choices=["POWER_OFF_VMS", "SUSPEND_VMS",
                                                                   "DO_NOT_CHANGE_VMS_POWER_STATE",
                                                                   "SUSPEND_VMS_TO_MEMORY"]),
            enable_quick_boot=dict(type="bool"),
            disable_dpm=dict(type="bool"),
            disable_hac=dict(type="bool"),
            evacuate_offline_vms=dict(type="bool"),
            enforce_hcl_validation=dict(type="bool"),
            parallel_remediation=dict(type="bool"),
            parallel_max_hosts=dict(type="int"),
            enforce_quick_patch=dict(type="bool"),
            live_patch_mode=dict(type="str", choices=["DISABLE", "AUTO", "ENFORCE"]),
        ),
        target="policy",
        mutually_exclusive=[("enforce_quick_patch", "live_patch_mode")],
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
