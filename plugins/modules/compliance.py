#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError, NotFoundError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


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
    if not p["refresh"]:
        # a report computed against an older desired image is no report of the current one: scan again
        result["stale_report"] = vlcm.stale_report(m.rest, target, compliance, sel.pairs)
        if result["stale_report"]:
            task = vlcm.scan(m.rest, target, timeout=p["wait_timeout"])
            result["refreshed"] = True
            result["scan_task"] = task.get("_task_id")
            compliance = vlcm.get_compliance(m.rest, target)
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
