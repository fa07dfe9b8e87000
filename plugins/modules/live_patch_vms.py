#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _livepatch as lp
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _livepatch_vms as lpv
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import OptionError, VsphereError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


def _scan(m: VcenterModule, sel: Any) -> dict[str, lp.ScanFacts]:
    vlcm.scan(m.rest, sel.target, timeout=m.params["wait_timeout"])
    compliance = rem.read_compliance(m.rest, sel.target) or {}
    by_host = compliance.get("hosts") or {} if sel.target.kind == "cluster" else {sel.target.id: compliance}
    return {h: lp.scan_facts(by_host.get(h)) for h in (by_host if sel.target.kind == "cluster" else [sel.target.id])}


def run(m: VcenterModule) -> dict[str, Any]:
    p, res = m.params, m.result
    try:
        power_cycle = lpv.check_power_cycle(p["power_cycle"])
    except ValueError as exc:
        raise OptionError(str(exc), option="power_cycle") from None
    sel = m.target()
    wait = p["wait_timeout"]
    res.update(changed=False, plan=[], migrated=[], power_cycled=[], vms_left=[], compliant_hosts=[],
               non_compliant_hosts=[], waited_for_hosts=[])
    scans = _scan(m, sel)
    cluster_id = sel.target.id if sel.target.kind == "cluster" else None

    def read() -> dict[str, lp.HostFacts]:
        return lp.inventory(lp.read_rows(m.soap, sel), cluster_id)[0]

    rows = lp.read_rows(m.soap, sel)
    hosts, vms, _drs = lp.inventory(rows, cluster_id)
    pending = []
    for host_id in sel.host_ids:
        scan = scans.get(host_id) or lp.ScanFacts()
        for name, code in scan.pending.items():
            vm_id = scan.pending_ids.get(name) or next((v.id for v in vms if v.name == name and v.host == host_id), name)
            pending.append({"name": name, "id": vm_id, "host": host_id, "host_name": sel.names[host_id],
                            "reason": code})
    patched = [h for h, s in scans.items() if s.installed and s.installed == s.desired]
    steps = lpv.plan(pending, {v.id: v for v in vms}, hosts, patched, power_cycle, p["return"])
    res["plan"] = [s.as_result() for s in steps]
    if isinstance(power_cycle, set):
        unknown = sorted(power_cycle - {s.vm for s in steps})
        if unknown:
            m.warn("power_cycle names VMs that no scanned host lists as left on the previous revision (already fixed, "
                   f"or not on these hosts); they are left alone: {', '.join(unknown)}")
    todo = [s for s in steps if s.action != "none"]
    res["vms_left"] = [{"name": s.vm, "host": s.host, "reason": s.reason, "why": s.why, "fix": s.fix}
                       for s in steps if s.action == "none"]
    if m.check_mode:
        res["changed"] = bool(todo)
        return res
    if todo:
        involved = {s.host_id for s in todo} | {d for s in todo for d in s.destinations}
        _hosts, res["waited_for_hosts"] = lpv.wait_connected(read, involved, timeout=wait)

    def changed() -> None:
        res["changed"] = True

    for step in todo:
        try:
            if step.action == "vmotion":
                res["migrated"].append(lpv.vmotion(m.soap, step, wait, changed))
            else:
                res["power_cycled"].append(lpv.power_cycle(m.soap, step, wait, changed))
        except lpv.ActionError as exc:
            if exc.changed:
                changed()
            raise VsphereError(str(exc) + _done(res), changed=res["changed"]) from None
    if res["changed"]:
        scans = _scan(m, sel)
    for host_id in sel.host_ids:
        status = (scans.get(host_id) or lp.ScanFacts()).status
        (res["compliant_hosts"] if status == "COMPLIANT" else res["non_compliant_hosts"]).append(sel.names[host_id])
    res["compliant_hosts"].sort()
    res["non_compliant_hosts"].sort()
    for left in res["vms_left"]:
        m.warn(f"VM '{left['name']}' on host {left['host']} is still on the previous revision: {left['why']}"
               + (f"; {left['fix']}" if left["fix"] else ""))
    return res


def _done(res: dict[str, Any]) -> str:
    parts = []
    if res["migrated"]:
        parts.append("migrated: " + ", ".join(r["name"] for r in res["migrated"]))
    if res["power_cycled"]:
        parts.append("power cycled: " + ", ".join(r["name"] for r in res["power_cycled"]))
    return (" Done before the failure: " + "; ".join(parts) + ".") if parts else " No VM was changed before it."


def main() -> None:
    module = VcenterModule(
        argument_spec={
            "power_cycle": dict(type="list", elements="str"),
            "return": dict(type="bool", default=True),
            "wait_timeout": dict(type="int", default=3600),
        },
        target="hosts",
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
