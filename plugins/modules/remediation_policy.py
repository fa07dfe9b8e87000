#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _policy as pol
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


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
