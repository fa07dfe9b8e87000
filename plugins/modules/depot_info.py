#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _depots as depots
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule

FILTER_OPTIONS = ("vendors", "names", "versions", "min_version", "bundle_types")


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    filters = depots.check_filters({key: p[key] for key in FILTER_OPTIONS})      # before any call
    kinds = list(dict.fromkeys(p["content"]))
    unused = depots.unused_filters(kinds, filters)
    if unused:
        m.warn(f"filter(s) {', '.join(unused)} apply to none of the listings asked for ({', '.join(kinds) or 'none'}): "
               "base images take only min_version, add-ons no bundle_types")
    result: dict[str, Any] = dict(depots.content(m.rest, kinds, filters))
    if p["offline_depots"]:
        rows = [depots.shown(d) for d in depots.list_depots(m.rest)]
        if p["depot_content"]:
            for row in rows:
                row["content"] = depots.depot_content(m.rest, row["id"])
        result["offline_depots"] = rows
    return result


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            content=dict(type="list", elements="str", choices=sorted(depots.CONTENT_KINDS),
                         default=sorted(depots.CONTENT_KINDS)),
            offline_depots=dict(type="bool", default=True),
            depot_content=dict(type="bool", default=False),
            vendors=dict(type="list", elements="str"),
            names=dict(type="list", elements="str"),
            versions=dict(type="list", elements="str"),
            min_version=dict(type="str"),
            bundle_types=dict(type="list", elements="str", choices=list(depots.BUNDLE_TYPES)),
        ),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
