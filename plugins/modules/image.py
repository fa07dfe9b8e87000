#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _image_draft as drafts
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _image_import as ii
from ansible_collections.vsphere.lifecycle.plugins.module_utils._image import spec_changes, spec_diff
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


def run(m: VcenterModule) -> dict[str, Any]:
    changes = drafts.check_changes(m.params, standalone=bool(m.params.get("host")))   # before any call
    target = m.target().target
    before = drafts.current_spec(m.rest, target)
    after = drafts.desired_spec(before, changes)
    res: dict[str, Any] = {"changes": spec_changes(before, after), "draft": None, "commit": None}
    if not res["changes"]:
        res.update(changed=False, spec=before)
        if m.diff_mode:
            res["diff"] = spec_diff(before, before)
        return res
    lacking = _depot_lacks(m.rest, before, after)
    if lacking:
        raise ii.MissingContentError(
            f"the depot of {target.label} lacks {', '.join(i.describe() for i in lacking)}: nothing was changed. "
            "Import an offline bundle that holds it first (vsphere.lifecycle.depot), or choose a version the depot "
            "holds (vsphere.lifecycle.depot_info lists them)")
    m.result.update(changes=res["changes"])
    done = drafts.apply_desired(m.rest, target, before, after, check_mode=m.check_mode,
                                timeout=m.params["wait_timeout"], message=m.params.get("commit_message"),
                                on_changed=m.result.update, warn=m.warn)
    res.update(changed=True, draft=done["draft"], draft_deleted=done["draft_deleted"], commit=done["commit"])
    # after a commit, what vCenter now holds; in check mode, the validated draft (what a commit would make)
    res["spec"] = done["draft_spec"] if m.check_mode else drafts.current_spec(m.rest, target)
    if m.diff_mode:
        res["diff"] = spec_diff(before, res["spec"])
    return res


def _depot_lacks(client: Any, before: dict[str, Any], after: dict[str, Any]) -> list[ii.Item]:
    """The new base image or add-on that the depot lacks, read before any draft so that a mistyped version changes
    nothing (a component the depot lacks is named by vLCM's validation of the draft, which is then deleted)."""
    had = set(ii.needed(before)) if before.get("base_image") else set()
    new = [i for i in ii.needed(after) if i.kind in ("base_image", "add_on") and i not in had]
    if not new:
        return []
    content = ii.depot_content(client)
    return [i for i in new if not content.has(i)]


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            base_image=dict(type="raw"),
            add_on=dict(type="dict"),
            remove_add_on=dict(type="bool"),
            components=dict(type="dict"),
            delete_components=dict(type="list", elements="str"),
            removed_components=dict(type="list", elements="str"),
            restore_components=dict(type="list", elements="str"),
            hardware_support=dict(type="dict"),
            remove_hardware_support=dict(type="bool"),
            commit_message=dict(type="str"),
            wait_timeout=dict(type="int", default=1800),
        ),
        target="cluster_or_host",
        supports_check_mode=True,
        mutually_exclusive=[("add_on", "remove_add_on"), ("hardware_support", "remove_hardware_support")],
    )
    module.run(run)


if __name__ == "__main__":
    main()
