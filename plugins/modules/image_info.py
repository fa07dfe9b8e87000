#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_info
short_description: Read the vLCM desired image and apply policies of a cluster or standalone host
version_added: 0.1.0
description:
  - Returns the desired image of an image-managed cluster or standalone host (base image, vendor
    add-on, components, hardware support, solutions) and the remediation (apply) policies in effect.
options:
  policies:
    description:
      - Whether to read the apply policies too (one more call).
    type: bool
    default: true
extends_documentation_fragment:
  - vsphere.lifecycle.vcenter
  - vsphere.lifecycle.target
  - vsphere.lifecycle.attributes
attributes:
  check_mode:
    support: full
    details:
      - Read-only; runs the same in check mode.
  diff_mode:
    support: none
  action_group:
    support: full
    membership:
      - vsphere.lifecycle.vcenter
author:
  - vsphere.lifecycle contributors (@vsphere-lifecycle)
seealso:
  - module: vsphere.lifecycle.compliance
"""

EXAMPLES = r"""
- name: Desired image of a cluster
  vsphere.lifecycle.image_info:
    cluster: Prod-01
  register: image

- name: Show the base image version
  ansible.builtin.debug:
    msg: "{{ image.image.base_image.version }} with add-on {{ image.image.add_on.name | default('none') }}"

- name: Desired image of a standalone host, without the policies
  vsphere.lifecycle.image_info:
    host: esxi-edge-07.example.com
    policies: false
"""

RETURN = r"""
target:
  description: What was read.
  returned: always
  type: dict
  sample: {"type": "cluster", "id": "domain-c9", "name": "Prod-01"}
image:
  description: The desired image.
  returned: always
  type: dict
  contains:
    base_image:
      description: Base image version, display name and version, release date.
      type: dict
      sample: {"version": "8.0.3-0.35.24280767", "display_name": "ESXi", "display_version": "8.0 U3b",
               "release_date": "2024-09-17T00:00:00.000Z"}
    add_on:
      description: Vendor add-on (name, version, display_name, display_version, vendor); null when none.
      type: dict
    components:
      description: Components added by the user, by component id (version, display_name, display_version, vendor).
      type: dict
    hardware_support:
      description: Hardware support packages by manager (pkg, version); null when none.
      type: dict
    solutions:
      description: Solutions by id (version, components).
      type: dict
    removed_components:
      description: Components the image removes, by id.
      type: dict
policies:
  description:
    - The apply (remediation) policy in effect (C(effective_policy_spec)), that is the configured values
      of the cluster or standalone host merged over the global defaults.
    - Keys are the binding field names, e.g. C(failure_action), C(pre_remediation_power_action),
      C(enable_quick_boot), C(disable_dpm), C(disable_hac), C(evacuate_offline_vms),
      C(parallel_remediation_action), C(enforce_quick_patch).
  returned: when O(policies=true)
  type: dict
raw:
  description: The C(software_info) structure as vCenter returned it.
  returned: always
  type: dict
"""

from typing import Any  # noqa: E402

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule  # noqa: E402


def run(m: VcenterModule) -> dict[str, Any]:
    target = m.target().target
    software = vlcm.get_software(m.rest, target)
    result: dict[str, Any] = {"image": vlcm.image_summary(software), "raw": software}
    if m.params["policies"]:
        result["policies"] = vlcm.get_policies(m.rest, target)
    return result


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(policies=dict(type="bool", default=True)),
        target="cluster_or_host",
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
