#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import (
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
