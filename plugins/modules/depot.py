#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _depots as depots
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import AmbiguousNameError, OptionError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import redact_url


def present(m: VcenterModule, bundle: depots.Bundle, description: str | None) -> dict[str, Any]:
    res = m.result
    found = depots.select(depots.list_depots(m.rest), bundle=bundle)
    if found:
        depot = found[0]
        if description is not None and depot["description"] != description:
            m.warn(f"{depots.depot_label(depot)} holds {bundle.describe()} with another description; offline depots "
                   "cannot be changed (the API has no update): left as it is")
        return {"changed": False, "depot": depots.shown(depot),
                "diff": {"before": depots.shown(depot), "after": depots.shown(depot)}}
    planned = {"description": description or "", "source_type": bundle.source_type,
               "location": redact_url(bundle.url), "ownerdata": bundle.ownerdata}
    if m.check_mode:
        return {"changed": True, "depot": {"id": None, **planned}, "diff": {"before": {}, "after": planned}}
    depot_id, created = depots.create(m.rest, bundle, description, timeout=m.params["wait_timeout"],
                                      on_started=lambda tid: res.update(changed=True, task=tid))
    depot = (depots.get_depot(m.rest, depot_id) if depot_id else None) or {"id": depot_id, **planned}
    depot.pop("create_time", None)
    out: dict[str, Any] = {"changed": created, "depot": depots.shown(depot),
                           "diff": {"before": {} if created else depots.shown(depot), "after": depots.shown(depot)}}
    if not created:
        out["msg"] = (f"the content of {bundle.describe()} is already in the depot ({depots.depot_label(depot)}; "
                      "vCenter answered ALREADY_EXISTS): nothing imported")
    return out


def absent(m: VcenterModule, depot_id: str | None, bundle: depots.Bundle | None,
           description: str | None) -> dict[str, Any]:
    if depot_id is not None:
        one = depots.get_depot(m.rest, depot_id)
        candidates = depots.select([one] if one else [], bundle=bundle, description=description)
    else:
        candidates = depots.select(depots.list_depots(m.rest), bundle=bundle, description=description)
    if not candidates:
        return {"changed": False, "depot": None, "msg": "no offline depot matches: nothing to remove"}
    if len(candidates) > 1:
        listed = "; ".join(depots.depot_label(d) for d in candidates)
        raise AmbiguousNameError(f"{len(candidates)} offline depots match ({listed}): give depot_id to say which one "
                                 "to remove", matches=[depots.shown(d) for d in candidates])
    depot = depots.shown(candidates[0])
    depot.pop("create_time", None)
    if not m.check_mode:
        try:
            depots.delete(m.rest, candidates[0], timeout=m.params["wait_timeout"],
                          on_started=lambda tid: m.result.update(changed=True, task=tid))
        except depots.DepotInUseError:
            m.result["changed"] = False            # refused (by the call or by its task): nothing was removed
            raise
    return {"changed": True, "depot": depot, "diff": {"before": depot, "after": {}}}


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params                                   # every option checked before the first call
    bundle = depots.parse_bundle(p["bundle"]) if p["bundle"] is not None else None
    description = depots.check_text("description", p["description"], "the description of the depot")
    depot_id = depots.check_text("depot_id", p["depot_id"], "the id of an offline depot")
    if p["state"] == "present":
        if depot_id is not None:
            raise OptionError("depot_id selects a depot to remove (state=absent); vCenter chooses the id of a new "
                              "depot: leave depot_id out with state=present", option="depot_id")
        res = present(m, bundle, description)      # type: ignore[arg-type]  (required_if: bundle)
    else:
        res = absent(m, depot_id, bundle, description)
    diff = res.pop("diff", None)
    if m.diff_mode and diff is not None:
        res["diff"] = diff
    return res


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "absent"]),
            bundle=dict(type="str"),
            description=dict(type="str"),
            depot_id=dict(type="str"),
            wait_timeout=dict(type="int", default=3600),
        ),
        required_if=[("state", "present", ("bundle",)),
                     ("state", "absent", ("depot_id", "bundle", "description"), True)],
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
