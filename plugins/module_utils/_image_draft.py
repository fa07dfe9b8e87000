# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desired image of a cluster or standalone host changed through a software draft. Knows nothing of Ansible.

Bindings (``com.vmware.esx.settings.{clusters,hosts}.software.drafts``): ``POST {target}/software/drafts`` creates
a draft from the desired image (``AlreadyExists`` when this user has one); the draft's software is edited with
``PUT .../software/base-image`` (BaseImageSpec), ``PUT``/``DELETE .../software/add-on`` (AddOnSpec),
``PATCH .../software/components`` (UpdateSpec ``components_to_set``, ``components_to_delete``),
``PUT``/``DELETE .../software/removed-components/{component}`` and, for clusters only,
``PUT``/``DELETE .../software/hardware-support`` (HardwareSupportSpec); ``?action=validate`` (task, result
ValidateResult ``{notifications}``) names what the depot lacks; ``?action=commit`` (task, CommitSpec ``{message}``,
result the new commit id) makes it the desired image and deletes the draft. :func:`apply_desired` deletes the draft
whatever happens before a successful commit (``try``/``finally``), so no draft is ever left behind.

The desired state is partial (unset is unmanaged): :func:`desired_spec` applies the module's changes to the
current spec (``software_to_spec`` of ``GET {target}/software``); a component asked at version null is satisfied
by any version of it already in the image.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    ConnectionFailure,
    OptionError,
    TaskFailedError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._image import (
    ImageSpecError,
    check_spec,
    software_to_spec,
    spec_changes,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target
from ansible_collections.vsphere.lifecycle.plugins.module_utils._tasks import wait_for_task

LIST_OPTIONS = ("delete_components", "removed_components", "restore_components")
MANAGED = ("base_image", "add_on", "remove_add_on", "components", "hardware_support", "remove_hardware_support",
           *LIST_OPTIONS)


class ImageValidationError(VsphereError):
    """vCenter's validation of the draft reported errors (e.g. a component the depot lacks)."""


# ----------------------------------------------------------------------------- options (pure)
def check_changes(params: Mapping[str, Any], *, standalone: bool) -> dict[str, Any]:
    """The module's image options -> the changes to make, checked before any call to vCenter.

    Returns ``{"spec": partial normalised spec (base_image, add_on, components, hardware_support as given),
    "remove_add_on", "remove_hardware_support", "delete_components", "removed_components", "restore_components"}``.
    Raises :class:`OptionError` / :class:`ImageSpecError` naming the option and the fix.
    """
    given = [k for k in MANAGED if params.get(k) not in (None, False)]
    if not given:
        raise OptionError("nothing to manage: give at least one of " + ", ".join(MANAGED)
                          + " (options left out are not managed)")
    partial: dict[str, Any] = {}
    if params.get("base_image") is not None:
        partial["base_image"] = {"version": params["base_image"]}
    for key in ("add_on", "components", "hardware_support"):
        if params.get(key) is not None:
            partial[key] = params[key]
    if params.get("components") == {}:
        raise OptionError("components is empty: list the components to set as name: version (null for the "
                          "version the depot offers); to take user-added components out, use delete_components")
    if isinstance(params.get("hardware_support"), Mapping) and params["hardware_support"].get("packages") == {}:
        raise OptionError("hardware_support.packages is empty: give the hardware support package per manager, or use "
                          "remove_hardware_support: true to remove the hardware support of the image")
    if standalone and (params.get("hardware_support") is not None or params.get("remove_hardware_support")):
        raise OptionError("hardware_support and remove_hardware_support apply to clusters only: the API has no "
                          "hardware support in the drafts of a standalone host")
    spec = check_spec(partial, where="", require_base_image=False)
    lists: dict[str, list[str]] = {}
    for key in LIST_OPTIONS:
        value = params.get(key)
        if value is None:
            continue
        if not value:
            raise OptionError(f"{key} is an empty list: name at least one component, or leave the option out")
        _check_names(key, value)
        lists[key] = sorted(set(value))
    for one, other in (("components", "delete_components"), ("removed_components", "restore_components"),
                       ("components", "removed_components")):
        both = sorted(set(spec.get(one) or lists.get(one) or []) & set(lists.get(other) or []))
        if both:
            raise OptionError(f"{', '.join(both)} in both {one} and {other}: a component cannot be both; fix: keep "
                              "it in one of the two")
    return {"spec": spec, "remove_add_on": bool(params.get("remove_add_on")),
            "remove_hardware_support": bool(params.get("remove_hardware_support")),
            **{k: lists.get(k, []) for k in LIST_OPTIONS}}


def _check_names(option: str, names: Sequence[Any]) -> None:
    try:
        check_spec({"removed_components": list(names)}, where="", require_base_image=False)
    except ImageSpecError as exc:
        raise ImageSpecError(exc.message.replace("removed_components", option), path=option,
                             problems=[p.replace("removed_components", option) for p in exc.problems]) from None


def desired_spec(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The current spec with the changes applied (pure; same shape as ``software_to_spec``)."""
    out = copy.deepcopy(dict(current))
    spec = changes["spec"]
    out.setdefault("components", {})
    if "base_image" in spec:
        out["base_image"] = dict(spec["base_image"])
    if "add_on" in spec:
        out["add_on"] = dict(spec["add_on"])
    if changes["remove_add_on"]:
        out.pop("add_on", None)
    for name, version in (spec.get("components") or {}).items():
        if version is None and out["components"].get(name) is not None:
            continue                                # null: any version already in the image will do
        out["components"][name] = version
    for name in changes["delete_components"]:
        out["components"].pop(name, None)
    out["components"] = {n: out["components"][n] for n in sorted(out["components"])}
    removed = (set(out.get("removed_components") or []) | set(changes["removed_components"])) \
        - set(changes["restore_components"])
    out.pop("removed_components", None)
    if removed:
        out["removed_components"] = sorted(removed)
    if "hardware_support" in spec:
        out["hardware_support"] = copy.deepcopy(spec["hardware_support"])
    if changes["remove_hardware_support"]:
        out.pop("hardware_support", None)
    return out


def draft_edits(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """The draft calls that turn ``before`` into ``after``: (method, path below the draft, body)."""
    calls: list[tuple[str, str, Any]] = []
    if before.get("base_image") != after.get("base_image"):
        calls.append(("PUT", "software/base-image", after["base_image"]))
    if before.get("add_on") != after.get("add_on"):
        calls.append(("PUT", "software/add-on", after["add_on"]) if after.get("add_on")
                     else ("DELETE", "software/add-on", None))
    b_comps, a_comps = before.get("components") or {}, after.get("components") or {}
    to_set = {n: v for n, v in a_comps.items() if n not in b_comps or b_comps[n] != v}
    to_delete = sorted(set(b_comps) - set(a_comps))
    if to_set or to_delete:
        body: dict[str, Any] = {}
        if to_set:
            body["components_to_set"] = to_set
        if to_delete:
            body["components_to_delete"] = to_delete
        calls.append(("PATCH", "software/components", body))
    b_removed, a_removed = set(before.get("removed_components") or []), set(after.get("removed_components") or [])
    calls.extend(("PUT", f"software/removed-components/{n}", None) for n in sorted(a_removed - b_removed))
    calls.extend(("DELETE", f"software/removed-components/{n}", None) for n in sorted(b_removed - a_removed))
    if before.get("hardware_support") != after.get("hardware_support"):
        calls.append(("PUT", "software/hardware-support", after["hardware_support"]) if after.get("hardware_support")
                     else ("DELETE", "software/hardware-support", None))
    return calls


def validation_errors(result: Any) -> list[str]:
    """The error notifications of a ValidateResult (``{notifications: {errors: [...]}}``), one text each with its
    resolution."""
    notes = (result or {}).get("notifications") if isinstance(result, Mapping) else None
    out = []
    for note in ((notes or {}).get("errors") or []) if isinstance(notes, Mapping) else []:
        if not isinstance(note, Mapping):
            continue
        text = str(((note.get("message") or {}).get("default_message")) or note.get("id") or "error")
        fix = (note.get("resolution") or {}).get("default_message") if isinstance(note.get("resolution"), Mapping) \
            else None
        out.append(f"{text} ({fix})" if fix else text)
    return out


# ----------------------------------------------------------------------------- calls
def current_spec(client: Client, target: Target) -> dict[str, Any]:
    """The desired image of ``target`` now, as a SoftwareSpec (``GET {target}/software``)."""
    return software_to_spec(client.get(f"{target.base}/software") or {})


def _call(client: Client, method: str, path: str, body: Any) -> Any:
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    if method == "PATCH":
        return client.patch(path, **kwargs)  # type: ignore[attr-defined]
    return getattr(client, method.lower())(path, **kwargs)


def apply_desired(client: Client, target: Target, before: Mapping[str, Any], after: Mapping[str, Any], *,
                  check_mode: bool, timeout: float, message: str | None = None,
                  on_changed: Callable[[dict[str, Any]], None] | None = None,
                  warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Create a draft, edit it into ``after``, validate it, then commit it (not in check mode); the draft is
    deleted whenever it was not committed. Returns ``{"draft": id, "draft_deleted": bool, "draft_spec": the draft's
    spec before commit, "commit": new commit id or None, "edits": [...]}``.

    ``on_changed(fields)`` is called once the commit task started (vCenter may change from then on).
    """
    base = f"{target.base}/software/drafts"
    try:
        # not repeated after a reset: a repeated create would meet the draft the first one made (ALREADY_EXISTS)
        draft_id = client.post(base, retry_on_reset=False)
    except ConnectionFailure as exc:
        raise ConnectionFailure(f"{exc.message}. The request that creates the draft of {target.label} may have "
                                "reached vCenter: if the vSphere Client shows a draft of this user there (Updates > "
                                "Image), discard it before running again; nothing else was changed") from None
    except ApiError as exc:
        if exc.error_type == "ALREADY_EXISTS":
            raise ApiError(f"{target.label} already has a software draft of this user ({'; '.join(exc.messages)}); "
                           "nothing was changed. Fix: commit or discard that draft in the vSphere Client (Updates > "
                           "Image > Edit) or delete it through the API, then run again", status=exc.status,
                           error_type=exc.error_type, method=exc.method, path=exc.path) from None
        raise
    draft = f"{base}/{draft_id}"
    out: dict[str, Any] = {"draft": draft_id, "draft_deleted": False, "commit": None, "edits": []}
    committed = False
    commit_running = False       # the commit task started and did not fail: the draft is the commit's, not ours
    try:
        for method, sub, body in draft_edits(before, after):
            _call(client, method, f"{draft}/{sub}", body)
            out["edits"].append(f"{method} {sub}")
        out["draft_spec"] = software_to_spec((client.get(draft) or {}).get("software") or {})
        task = client.post(draft, params={"action": "validate", "vmw-task": "true"})
        info = wait_for_task(client, str(task), description=f"validation of draft {draft_id} of {target.label}",
                             timeout=timeout)
        errors = validation_errors(info.get("result"))
        if errors:
            raise ImageValidationError(f"the desired image of {target.label} is not valid, nothing was changed: "
                                       + "; ".join(errors), validation_errors=errors, draft=draft_id,
                                       changes=spec_changes(before, after))
        if check_mode:
            return out
        spec: dict[str, Any] = {"message": message} if message else {}
        task = client.post(draft, params={"action": "commit", "vmw-task": "true"}, json=spec)
        if on_changed is not None:
            on_changed({"changed": True, "commit_task": str(task)})
        commit_running = True
        try:
            info = wait_for_task(client, str(task), description=f"commit of draft {draft_id} of {target.label}",
                                 timeout=timeout)
        except TaskFailedError:
            commit_running = False          # failed: the desired image is unchanged, the draft is ours to delete
            if on_changed is not None:
                on_changed({"changed": False})
            raise
        committed = True
        out["commit"] = info.get("result")
        out["draft_deleted"] = True                    # "It will be deleted, when the draft is committed successfully"
        return out
    finally:
        if commit_running and not committed:
            # the wait ended (timeout, connection) while the commit may still run: deleting the draft under it could
            # break it; a successful commit consumes the draft
            if warn is not None:
                warn(f"the commit of draft {draft_id} of {target.label} was still running when the module stopped "
                     "waiting; a successful commit consumes the draft, a failed one leaves it: then discard it in "
                     "the vSphere Client (Updates > Image)")
        elif not committed:
            out["draft_deleted"] = _delete_draft(client, draft, warn)


def _delete_draft(client: Client, draft: str, warn: Callable[[str], None] | None) -> bool:
    try:
        client.delete(draft)
        return True
    except ApiError as exc:
        if exc.error_type == "NOT_FOUND" or exc.status == 404:
            return True
        if warn is not None:
            warn(f"the draft {draft} could not be deleted ({exc.message}); delete it in the vSphere Client (Updates > "
                 "Image > Edit > Discard) before the next change")
        return False
    except VsphereError as exc:
        if warn is not None:
            warn(f"the draft {draft} could not be deleted ({exc.message}); delete it in the vSphere Client before the "
                 "next change")
        return False
