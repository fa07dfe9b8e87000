#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _depots as depots
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _image_import as ii
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import OptionError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._image import ImageSpecError, check_spec
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


def read_spec(p: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The spec of ``src`` or ``spec``, checked against the schema; (normalised spec, where it came from)."""
    if p["src"] is not None:
        doc, where, prefix = ii.read_src(p["src"]), "src", f"src '{p['src']}' is not a valid software specification: "
        source = f"src {p['src']}"
    else:
        doc, where, prefix, source = p["spec"], "spec", "", "spec"
        if not doc:
            raise OptionError("spec is empty: give a software specification (at least base_image.version); an "
                              "empty spec never means 'keep the image'", option="spec")
    try:
        return check_spec(doc, where), source
    except ImageSpecError as exc:
        raise OptionError(f"{prefix}{exc}; nothing was sent to vCenter", option=where) from None


def run(m: VcenterModule) -> dict[str, Any]:
    p, res = m.params, m.result
    spec, source = read_spec(p)                        # every option checked before the first call
    message = depots.check_text("commit_message", p["commit_message"], "the message of the commit")
    bundle = ii.check_bundle(p["offline_bundle"]) if p["offline_bundle"] is not None else None
    bundle_has = ii.bundle_content(bundle.path) if bundle is not None and bundle.path else None
    res["image"] = spec

    target = m.target().target
    where = f"vCenter {p['hostname']}"
    missing = ii.missing_items(spec, ii.depot_content(m.rest))
    res["missing"] = ii.item_rows(missing, bundle_has)
    if missing and (bundle_has is None or any(not bundle_has.has(i) for i in missing)):
        sibling = ii.sibling_bundle(p["src"]) if bundle is None and p["src"] is not None else None
        raise ii.MissingContentError(ii.explain_missing(where, missing, bundle, bundle_has, sibling))
    before = ii.current_spec(vlcm.get_software(m.rest, target))
    changes = ii.differences(before, spec)
    known = depots.select(depots.list_depots(m.rest), bundle=bundle) if bundle is not None else []
    import_bundle = bundle is not None and not known
    if bundle is not None:
        res["offline_bundle"] = {"path": bundle.path, "sha256": bundle.sha256,
                                 "depot": known[0]["id"] if known else None, "imported": False}
    if missing and not import_bundle:
        raise ii.MissingContentError(
            f"offline_bundle {bundle.describe()} is already in the depot of {where} ({depots.depot_label(known[0])}), "  # type: ignore[union-attr]
            f"yet the depot lacks {', '.join(i.describe() for i in missing)}; nothing was changed. Check the depot "
            "content with vsphere.lifecycle.depot_info.")
    res["changes"] = changes
    diff = ii.diff(before, spec)
    if changes:
        drafts = ii.own_drafts(m.rest, target, p["username"])
        if drafts:
            raise ii.DraftInUseError(
                f"user {p['username']} already has draft {', '.join(drafts)} of {target.label}: vCenter allows one "
                "draft per user, so the image cannot be imported. Commit or delete that draft (vSphere Client: "
                "the cluster's Updates > Image, or vsphere.lifecycle.image) and run again. Nothing was changed.",
                drafts=drafts)
    if m.check_mode:
        if import_bundle:
            res["offline_bundle"]["imported"] = True
        return {"changed": bool(changes) or import_bundle, **({"diff": diff} if m.diff_mode else {})}

    if import_bundle:
        description = f"vsphere.lifecycle.image_import {os.path.basename(bundle.path or '')}"   # type: ignore[union-attr]
        depot_id, created = depots.create(m.rest, bundle, description, timeout=p["wait_timeout"],  # type: ignore[arg-type]
                                          on_started=lambda tid: res.update(changed=True, depot_task=tid))
        res["offline_bundle"].update(depot=depot_id, imported=created)
        res["changed"] = created
        if missing:
            still = ii.missing_items(spec, ii.depot_content(m.rest))
            if still:
                res["missing"] = ii.item_rows(still, bundle_has)
                raise ii.MissingContentError(
                    f"offline_bundle {bundle.describe()} was imported (depot {depot_id}), but the depot of {where} "   # type: ignore[union-attr]
                    f"still lacks {', '.join(i.describe() for i in still)}; the desired image of {target.label} was "
                    "not changed. Check the depot content with vsphere.lifecycle.depot_info.")
    if changes:
        message = message or f"vsphere.lifecycle.image_import from {source}"
        done = ii.import_and_commit(m.rest, target, spec, message=message, timeout=p["wait_timeout"],
                                    record=res.update, changed_before=bool(res.get("changed")))
        res.update(changed=True, commit=done["commit"], draft=done["draft"])
        if done["warnings"]:
            res["validation_warnings"] = done["warnings"]
            for text in done["warnings"]:
                m.warn(f"vLCM validation of {target.label}: {text}")
    return {"diff": diff} if m.diff_mode else {}


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            src=dict(type="path"),
            spec=dict(type="dict"),
            offline_bundle=dict(type="path"),
            commit_message=dict(type="str"),
            wait_timeout=dict(type="int", default=3600),
        ),
        mutually_exclusive=[("src", "spec")],
        required_one_of=[("src", "spec")],
        target="cluster_or_host",
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
