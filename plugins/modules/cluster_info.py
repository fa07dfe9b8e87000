#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_info
short_description: List vCenter clusters and whether vLCM manages them with an image
version_added: 0.1.0
description:
  - Lists the clusters of vCenter (all, those of a datacenter, or those named) with their datacenter,
    DRS and HA flags, and whether vSphere Lifecycle Manager manages them with a single image.
  - Use it to find the clusters the other modules of this collection can work on.
options:
  datacenter:
    description:
      - Only the clusters of this datacenter.
    type: str
  names:
    description:
      - Only the clusters with these names; a name that does not exist fails and lists the clusters that do.
    type: list
    elements: str
  image_managed_only:
    description:
      - Leave out the clusters vLCM does not manage with an image.
    type: bool
    default: false
extends_documentation_fragment:
  - vsphere.lifecycle.vcenter
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
- name: Every image-managed cluster
  vsphere.lifecycle.cluster_info:
    image_managed_only: true
  register: found

- name: Check each of them
  vsphere.lifecycle.compliance:
    cluster: "{{ item.name }}"
    datacenter: "{{ item.datacenter }}"
  loop: "{{ found.clusters }}"
"""

RETURN = r"""
clusters:
  description: The clusters found, sorted by datacenter and name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Cluster id (moid), e.g. C(domain-c9).
      type: str
    name:
      description: Cluster name.
      type: str
    datacenter:
      description: Name of the datacenter the cluster is in.
      type: str
    drs_enabled:
      description: Whether DRS is enabled.
      type: bool
    ha_enabled:
      description: Whether vSphere HA is enabled.
      type: bool
    image_managed:
      description: Whether vLCM manages the cluster with a single image.
      type: bool
  sample: [{"id": "domain-c9", "name": "Prod-01", "datacenter": "DC1", "drs_enabled": true,
            "ha_enabled": true, "image_managed": true}]
"""

from typing import Any  # noqa: E402

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule  # noqa: E402
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import (  # noqa: E402
    check_name_list,
    require_name,
)


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    if p["datacenter"] is not None:
        require_name("datacenter", p["datacenter"], "a datacenter (or leave datacenter out for every datacenter)")
    if p["names"] is not None:
        check_name_list("names", p["names"], "cluster", "every cluster")
    inventory = m.inventory
    if p["datacenter"] is not None:
        datacenters = [inventory.datacenter(p["datacenter"])]
    else:
        datacenters = inventory.list_datacenters()
    if p["names"] is not None:  # fail early, listing what exists, when a name is unknown
        for name in p["names"]:
            inventory.cluster(name, p["datacenter"])
    wanted = set(p["names"] or [])
    clusters: list[dict[str, Any]] = []
    for dc in datacenters:
        for summary in inventory.list_cluster_summaries(datacenter_id=dc.id):
            if wanted and summary["name"] not in wanted:
                continue
            managed = vlcm.is_image_managed(m.rest, summary["cluster"])
            if p["image_managed_only"] and not managed:
                continue
            clusters.append({
                "id": summary["cluster"],
                "name": summary["name"],
                "datacenter": dc.name,
                "drs_enabled": summary.get("drs_enabled"),
                "ha_enabled": summary.get("ha_enabled"),
                "image_managed": managed,
            })
    clusters.sort(key=lambda c: (c["datacenter"], c["name"]))
    return {"changed": False, "clusters": clusters}


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            datacenter=dict(type="str"),
            names=dict(type="list", elements="str"),
            image_managed_only=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
