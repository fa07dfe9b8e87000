#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _export as export
from ansible_collections.vsphere.lifecycle.plugins.module_utils._files import resolve_dest
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


def run(m: VcenterModule) -> dict[str, Any]:
    dest = resolve_dest(m.params["dest"])            # checked before any call to vCenter
    target = m.target().target
    res = export.export_to_file(m.rest, target, m.params["format"], dest, check_mode=m.check_mode,
                                emit=m.module.log)
    diff = res.pop("diff")
    module = m.module
    if not m.check_mode or diff["before"]:
        # mode, owner, group, SELinux context, attributes (add_file_common_args); in check mode only reported
        file_args = module.load_file_common_arguments(m.params, path=res["path"])
        res["changed"] = module.set_fs_attributes_if_different(file_args, res["changed"])
    if m.diff_mode:
        res["diff"] = diff
    return res


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            format=dict(type="str", required=True, choices=sorted(export.FORMATS)),
            dest=dict(type="path", required=True),
        ),
        target="cluster_or_host",
        supports_check_mode=True,
        add_file_common_args=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
