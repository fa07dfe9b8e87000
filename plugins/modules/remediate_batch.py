#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _batch as batch
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import OptionError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


def run(m: VcenterModule) -> dict[str, Any]:
    batch.check_options(m.params)
    return batch.BatchRun(m.rest, m.soap, m.target(), m.params, m.result, check_mode=m.check_mode,
                          warn=m.warn).run()


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            accept_eula=dict(type="bool", required=True),
            max_hosts_in_maintenance=dict(type="int"),
            maintenance_timeout=dict(type="int", default=3600),
            plan_next=dict(type="list", elements="str"),
            precheck=dict(type="bool", default=True),
            refresh=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=14400),
        ),
        target="hosts",
        positive=("wait_timeout", "maintenance_timeout"),
        supports_check_mode=True,
    )
    try:
        batch.check_options(module.params)
    except OptionError as exc:
        module.module.fail_json(msg=exc.message, option=exc.details.get("option"))
    module.run(run)


if __name__ == "__main__":
    main()
