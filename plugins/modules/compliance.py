#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: compliance
short_description: Check ESXi hosts against their vLCM desired image
version_added: 0.1.0
description:
  - Reports how the hosts of an image-managed cluster, some hosts of it, or a standalone host
    compare with the desired image of vSphere Lifecycle Manager (vLCM).
  - By default runs a compliance scan (a vCenter task) first and returns the fresh report; with
    O(refresh=false) it reads the last report without scanning.
  - Per host it returns the status, the impact of remediation, the stage status, the drift of the
    base image, the vendor add-on, components and hardware support (current versus target), and
    the notifications vCenter attached.
  - With O(hosts), only those hosts are reported; the scan itself always covers the whole cluster (vLCM
    scans a cluster as a unit).
  - Never changes anything and always returns C(changed=false).
options:
  refresh:
    description:
      - V(true) runs a compliance scan and returns its result.
      - V(false) returns the last report vCenter has, without scanning; fails with a clear message when
        vCenter has no report yet.
    type: bool
    default: true
  include_compliant:
    description:
      - Also list compliant components and hardware modules in the per-host drift, not only those that differ.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the scan task to finish.
    type: int
    default: 1800
extends_documentation_fragment:
  - vsphere.lifecycle.vcenter
  - vsphere.lifecycle.target
  - vsphere.lifecycle.target.hosts
  - vsphere.lifecycle.attributes
attributes:
  check_mode:
    support: full
    details:
      - A compliance scan changes nothing on the hosts or in the desired image (it only refreshes the
        report vCenter keeps), so check mode runs it too. Use O(refresh=false) to start no task at all.
  diff_mode:
    support: none
    details:
      - The module never changes anything.
  action_group:
    support: full
    membership:
      - vsphere.lifecycle.vcenter
author:
  - vsphere.lifecycle contributors (@vsphere-lifecycle)
seealso:
  - module: vsphere.lifecycle.image_info
"""

EXAMPLES = r"""
- name: Check a cluster (connection from VMWARE_HOST, VMWARE_USER, VMWARE_PASSWORD)
  vsphere.lifecycle.compliance:
    cluster: Prod-01
  register: report

- name: Show the hosts that need remediation
  ansible.builtin.debug:
    msg: "{{ report.non_compliant_hosts }}"

- name: Two hosts of a cluster, last report only (no scan)
  vsphere.lifecycle.compliance:
    hostname: vcenter.example.com
    username: administrator@vsphere.local
    password: "{{ vault_vcenter_password }}"
    ca_path: /etc/pki/vcenter-ca.pem
    cluster: Prod-01
    datacenter: DC-East
    hosts:
      - esxi-01.example.com
      - esxi-02.example.com
    refresh: false

- name: A standalone host
  vsphere.lifecycle.compliance:
    host: esxi-edge-07.example.com
"""

RETURN = r"""
target:
  description: What was checked.
  returned: always
  type: dict
  sample: {"type": "cluster", "id": "domain-c9", "name": "Prod-01"}
refreshed:
  description: Whether a scan ran before the report was read.
  returned: always
  type: bool
scan_task:
  description: Id of the scan task, when one ran.
  returned: when O(refresh=true)
  type: str
status:
  description:
    - Overall status, one of C(COMPLIANT), C(NON_COMPLIANT), C(INCOMPATIBLE), C(UNAVAILABLE).
    - With O(hosts), the worst status of those hosts.
  returned: always
  type: str
  sample: NON_COMPLIANT
impact:
  description: What remediation needs, e.g. C(NO_IMPACT), C(MAINTENANCE_MODE_REQUIRED), C(REBOOT_REQUIRED).
  returned: always
  type: str
stage_status:
  description: C(STAGED), C(NOT_STAGED) or C(UNKNOWN) (null when vCenter does not say).
  returned: always
  type: str
scan_time:
  description: When the report was produced (from vCenter).
  returned: always
  type: str
commit:
  description: Id of the desired-image commit the report compares against.
  returned: always
  type: str
counts:
  description: Number of reported hosts per status.
  returned: always
  type: dict
  sample: {"compliant": 1, "non_compliant": 3, "incompatible": 0, "unavailable": 0, "total": 4}
compliant_hosts:
  description: Names of the reported hosts that are compliant.
  returned: always
  type: list
  elements: str
non_compliant_hosts:
  description: Names of the reported hosts that are not compliant.
  returned: always
  type: list
  elements: str
incompatible_hosts:
  description: Names of the reported hosts the desired image cannot be applied to.
  returned: always
  type: list
  elements: str
unavailable_hosts:
  description: Names of the reported hosts whose compliance is unknown (disconnected, not scanned).
  returned: always
  type: list
  elements: str
notifications:
  description: Messages vCenter attached to the whole report, by severity.
  returned: always
  type: dict
  sample: {"errors": [], "warnings": [], "info": []}
hosts:
  description: One entry per reported host, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Host id (moid), e.g. C(host-12).
      type: str
    name:
      description: Host name.
      type: str
    status:
      description: Compliance status of the host.
      type: str
    impact:
      description: Impact of remediating this host.
      type: str
    stage_status:
      description: Whether the desired image is staged on the host.
      type: str
    scan_time:
      description: When the host was scanned.
      type: str
    commit:
      description: Desired-image commit the host was compared with.
      type: str
    partial_maintenance_mode:
      description: Name of the partial maintenance mode a live patch would use, if any.
      type: str
    base_image:
      description: Base image drift (status, stage_status, current, target, current_display, target_display).
      type: dict
      sample: {"status": "NON_COMPLIANT", "current": "8.0.3-0.30.24022510", "target": "8.0.3-0.35.24280767"}
    add_on:
      description: Vendor add-on drift (status, stage_status, name, current, target).
      type: dict
    components:
      description: Components that differ (all with O(include_compliant)); id, name, status, stage_status,
        current, target, current_source, target_source.
      type: list
      elements: dict
    removed_components:
      description: Drift of components the image removes, in the same form as RV(hosts[].components).
      type: list
      elements: dict
    hardware_support:
      description: Hardware support (firmware) drift per manager; package, current, target and firmware modules.
      type: list
      elements: dict
    notifications:
      description: Messages about this host (errors, warnings, info), each with its resolution when vCenter gives one.
      type: dict
"""

from typing import Any  # noqa: E402

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError, NotFoundError  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule  # noqa: E402


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    sel = m.target()
    target = sel.target
    result: dict[str, Any] = {"refreshed": False}
    if p["refresh"]:
        task = vlcm.scan(m.rest, target, timeout=p["wait_timeout"])
        result["refreshed"] = True
        result["scan_task"] = task.get("_task_id")
    try:
        compliance = vlcm.get_compliance(m.rest, target)
    except ApiError as exc:
        if p["refresh"] or exc.error_type != "NOT_FOUND":
            raise
        raise NotFoundError(
            f"vCenter has no compliance report for {target.label} yet ({'; '.join(exc.messages) or exc.message}); "
            "run with refresh: true to scan first",
            error_type=exc.error_type,
        ) from None
    if target.kind == "cluster":
        only = None if sel.whole else sel.host_ids
        report = vlcm.cluster_report(compliance, only_hosts=only, include_compliant=p["include_compliant"])
    else:
        report = vlcm.standalone_report(target.id, target.name, compliance, include_compliant=p["include_compliant"])
    result.update(report)
    return result


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            refresh=dict(type="bool", default=True),
            include_compliant=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1800),
        ),
        target="hosts",
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
