#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _livepatch as lp
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    sel = m.target()
    target = sel.target
    result: dict[str, Any] = {"changed": False, "refreshed": False}
    if p["refresh"]:
        vlcm.scan(m.rest, target, timeout=p["wait_timeout"])
        result["refreshed"] = True
    compliance = rem.read_compliance(m.rest, target)
    if compliance is None:
        vlcm.scan(m.rest, target, timeout=p["wait_timeout"])
        result["refreshed"] = True
        compliance = rem.read_compliance(m.rest, target)
    policies = vlcm.get_policies(m.rest, target)
    desired = lp.desired_base_image(m.rest, target)
    result.update(lp.assess(m.rest, m.soap, sel, compliance, policies, desired))
    for host in result["hosts"]:
        for text in host["disagreements"]:
            m.warn(text)
    return result


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            refresh=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
        ),
        target="hosts",
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
