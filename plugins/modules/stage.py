#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _outcomes as out
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import TaskFailedError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule

FIRMWARE_WARNING = ("the firmware of the desired image could not be staged to host '{}' (its hardware support manager "
                    "does not support firmware staging); its software is staged and vLCM installs the firmware during "
                    "remediation")


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    sel = m.target()
    target, names = sel.target, sel.names
    res = m.result
    res.update(scanned_hosts=[], staged_hosts=[], skipped_hosts=[], failed_hosts=[], firmware_not_staged=[])
    compliance, states, res["scanned_hosts"] = rem.current_states(m.rest, sel, refresh=p["refresh"],
                                                                  timeout=p["wait_timeout"], found=res)
    to_stage, skipped = rem.plan_stage(states)
    firmware = {states[h].name for h in states if states[h].firmware_unstageable and (h in to_stage or states[h].staged)}
    res.update(staged_hosts=out.by_name(names, to_stage), skipped_hosts=out.skipped_rows(skipped, names),
               firmware_not_staged=sorted(firmware), changed=bool(to_stage))
    before = {names[h]: states[h].stage_status for h in states}
    if to_stage and not m.check_mode:
        res["changed"], res["staged_hosts"] = False, []      # from here on: what vLCM did
        try:
            info = rem.stage(m.rest, target, to_stage, commit=(compliance or {}).get("commit"),
                             timeout=p["wait_timeout"], on_started=lambda tid: res.update(changed=True, stage_task=tid))
        except TaskFailedError as exc:
            # a failed task has no per-host result: the compliance report vLCM refreshed says which hosts are staged
            after = rem.host_states(target, rem.read_compliance(m.rest, target), sel.pairs)
            res["staged_hosts"], res["failed_hosts"] = out.stage_split(to_stage, names, after)
            raise TaskFailedError(
                f"staging of {target.label} failed on host(s) {', '.join(res['failed_hosts']) or '(unknown)'}: "
                f"{'; '.join(exc.messages) or exc.message}. Staged: {', '.join(res['staged_hosts']) or 'none'}. "
                "Fix the cause and re-run: staged hosts are not staged again.", task_id=exc.task_id,
                messages=exc.messages) from None
        outcome = info.get("result") or {}
        rows = out.host_outcomes(target, outcome, {**names, **out.names_of(outcome, target)})
        res["hosts"] = rows
        res["staged_hosts"] = [r["name"] for r in rows if r["status"] == "OK"]
        res["failed_hosts"] = [r["name"] for r in rows if r["status"] == "ERROR"]
        for row in rows:
            if row["status"] == "SKIPPED":
                reason = "; ".join(row["info"] + row["warnings"]) or "skipped by vLCM"
                res["skipped_hosts"].append({"name": row["name"], "reason": reason})
            if row["firmware_not_staged"]:
                firmware.add(row["name"])
        res["firmware_not_staged"] = sorted(firmware)
    for name in res["firmware_not_staged"]:
        m.warn(FIRMWARE_WARNING.format(name))
    if m.diff_mode:
        after = dict(before)
        for name in res["staged_hosts"]:
            # vLCM marks a host STAGED only when its firmware is staged too
            after[name] = "NOT_STAGED (software staged)" if name in firmware else "STAGED"
        res["diff"] = {"before": {"stage_status": before}, "after": {"stage_status": after}}
    return res


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            refresh=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=3600),
        ),
        target="hosts",
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
