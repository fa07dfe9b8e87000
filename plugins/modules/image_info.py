#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


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
