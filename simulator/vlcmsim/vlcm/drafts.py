"""Software drafts of a cluster or standalone host: create, edit, validate, scan, commit, import.

Rules (from the `vmware-vcenter` 9.1.1.0 bindings' docstrings, `clusters.software_client.Drafts` and
`hosts.software_client.Drafts`, unless said otherwise):
- `create`: "Creates a new software draft from the desired document"; `AlreadyExists` "If there is already a
  draft created by this user": one draft per user per target. `import-software-spec` creates a draft too and
  follows the same rule; it declares no `AlreadyExists`, so a second draft of the same user is refused with
  `Error` naming the existing draft (choice: the binding leaves it open).
- A draft lives until it is committed ("It will be deleted, when the draft is committed successfully") or
  deleted; vSphere docs, "Working with Drafts": "when you restart editing the image, you can use the saved
  draft version as a starting point or you can altogether discard the changes".
- `validate` (task, result `Drafts.ValidateResult {notifications}`): checks the draft against the depot and
  names, one error notification each, every base image, add-on, component and hardware support package the
  depot lacks (seed 003: importing a JSON image whose components the depot lacks fails validation).
- `commit` (task, result the new commit id): validates first; on errors the task fails with
  `InvalidArgument` whose `data` is the `ValidateResult` ("If validation of the software document fails. The
  value of the data attribute ... will be a class that contains all the attributes defined in
  Drafts.ValidateResult"); `NotAllowedInCurrentState` "If there is another operation in progress". A
  successful commit makes the draft the desired image: a new commit (author = the user, description = the
  message), the desired commit moves to it, the draft is deleted. Stored compliance keeps the commit it was
  computed against, so it is stale until the next scan (see compliance.report_commit).
- `scan` (task): compliance of the target's hosts against the draft; `commit` is left out ("None if
  operation is performed on a draft"); nothing is stored.
- `metadata.status` is the draft's validity now (INVALID when validation would report an error).
"""

from __future__ import annotations

import time
from typing import Any

from ..core.clock import iso, scaled, sleep_phase
from ..core.errors import TaskFailed, VapiError, vapi_error
from ..core.tasks import set_progress, start_task
from ..model import Commit, Draft, Image, Task, World
from .compliance import aggregate, compute_host_compliance
from .images import component_info, effective_components, new_notes, note, software_info, version_key
from .softspec import SpecError, parse_spec
from .targets import Target, busy_check, desired_commit, start_exclusive

VALIDATE_SECONDS = 10.0        # scenario seconds of a validation (x time_scale)
MSG = "com.vmware.vcIntegrity.lifecycle"


def service(target: Target) -> str:
    return f"{target.service}.drafts"


# --------------------------------------------------------------------------- lookup, create, delete


def _user_draft(world: World, target: Target, user: str) -> Draft | None:
    return next((d for d in world.images.drafts.values() if d.target == target.id and d.owner == user), None)


def _new(world: World, target: Target, user: str, image: Image, base_commit: str | None) -> Draft:
    st = world.images
    st.seq += 1
    draft = Draft(id=str(st.seq), target=target.id, kind=target.kind, owner=user, created=time.time(),
                  image=image, base_commit=base_commit)
    st.drafts[draft.id] = draft
    return draft


def create(world: World, target: Target, user: str) -> str:
    with world.lock:
        existing = _user_draft(world, target, user)
        if existing is not None:
            raise VapiError("ALREADY_EXISTS", f"User {user} already has draft {existing.id} of {target.name}; "
                                              "commit or delete it first.", f"{MSG}.DraftAlreadyExists",
                            [user, existing.id])
        commit = target.obj.commits.get(target.obj.desired_commit or "")
        image = commit.image.copy() if commit else Image(base_image="")
        return _new(world, target, user, image, commit.id if commit else None).id


def get(world: World, target: Target, draft_id: str) -> Draft:
    with world.lock:
        d = world.images.drafts.get(draft_id)
        if d is None or d.target != target.id:
            raise VapiError("NOT_FOUND", f"Draft {draft_id} of {target.name} not found.", f"{MSG}.DraftNotFound",
                            [draft_id, target.id])
        return d


def delete(world: World, target: Target, draft_id: str) -> None:
    with world.lock:
        get(world, target, draft_id)
        del world.images.drafts[draft_id]


def metadata(world: World, draft: Draft) -> dict[str, Any]:
    status = "INVALID" if validation_notes(world, draft.image)["errors"] else "VALID"
    return {"owner": draft.owner, "status": status, "creation_time": iso(draft.created)}


def info(world: World, target: Target, draft_id: str) -> dict[str, Any]:
    with world.lock:
        d = get(world, target, draft_id)
        return {"metadata": metadata(world, d), "software": software_info(world, d.image)}


def listing(world: World, target: Target, owners: set[str] | None) -> dict[str, Any]:
    with world.lock:
        return {d.id: {"metadata": metadata(world, d)} for d in world.images.drafts.values()
                if d.target == target.id and (not owners or d.owner in owners)}


# --------------------------------------------------------------------------- editing


def _edit(world: World, target: Target, draft_id: str) -> Draft:
    return get(world, target, draft_id)


def _fields(spec: Any, allowed: tuple[str, ...], required: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise VapiError("INVALID_ARGUMENT", f"{what}: expected an object.")
    for key in spec:
        if key not in allowed:
            raise VapiError("INVALID_ARGUMENT", f"{what}: unknown field '{key}' (fields: {', '.join(allowed)}).",
                            args=[key])
    for key in required:
        if not isinstance(spec.get(key), str) or not spec[key]:
            raise VapiError("INVALID_ARGUMENT", f"{what}.{key}: a non-empty string is required.", args=[key])
    return spec


def set_base_image(world: World, target: Target, draft_id: str, spec: Any) -> None:
    spec = _fields(spec, ("version",), ("version",), "BaseImageSpec")
    with world.lock:
        _edit(world, target, draft_id).image.base_image = spec["version"]


def get_base_image(world: World, target: Target, draft_id: str) -> str:
    with world.lock:
        image = get(world, target, draft_id).image
        if not image.base_image:
            raise VapiError("NOT_FOUND", f"Draft {draft_id} of {target.name} has no base image.")
        return image.base_image


def set_add_on(world: World, target: Target, draft_id: str, spec: Any) -> None:
    spec = _fields(spec, ("name", "version"), ("name", "version"), "AddOnSpec")
    with world.lock:
        _edit(world, target, draft_id).image.add_on = (spec["name"], spec["version"])


def delete_add_on(world: World, target: Target, draft_id: str) -> None:
    with world.lock:
        _edit(world, target, draft_id).image.add_on = None


def get_add_on(world: World, target: Target, draft_id: str) -> tuple[str, str]:
    with world.lock:
        ao = get(world, target, draft_id).image.add_on
        if ao is None:
            raise VapiError("NOT_FOUND", f"Draft {draft_id} of {target.name} has no vendor add-on.")
        return ao


def list_components(world: World, target: Target, draft_id: str) -> dict[str, Any]:
    with world.lock:
        comps = get(world, target, draft_id).image.components
        return {n: component_info(world, n, v) for n, v in sorted(comps.items())}


def get_component(world: World, target: Target, draft_id: str, name: str) -> Any:
    with world.lock:
        comps = get(world, target, draft_id).image.components
        if name not in comps:
            raise VapiError("NOT_FOUND", f"Component {name} is not in draft {draft_id} of {target.name}.",
                            f"{MSG}.ComponentNotFound", [name])
        # "If None then version will be chosen based on the constraints in the system."
        return None if comps[name] is None else component_info(world, name, comps[name])


def set_component(world: World, target: Target, draft_id: str, name: str, version: Any) -> None:
    # Components.set: version "is currently required"
    if not isinstance(version, str) or not version:
        raise VapiError("INVALID_ARGUMENT", f"A version is required to set component {name} (the request body is "
                                            "the version string).", args=[name])
    with world.lock:
        _edit(world, target, draft_id).image.components[name] = version


def delete_component(world: World, target: Target, draft_id: str, name: str) -> None:
    with world.lock:
        _edit(world, target, draft_id).image.components.pop(name, None)


def update_components(world: World, target: Target, draft_id: str, spec: Any) -> None:
    spec = _fields(spec, ("components_to_set", "components_to_delete"), (), "UpdateSpec")
    to_set, to_delete = spec.get("components_to_set") or {}, spec.get("components_to_delete") or []
    if not isinstance(to_set, dict) or not all(v is None or (isinstance(v, str) and v) for v in to_set.values()):
        raise VapiError("INVALID_ARGUMENT", "UpdateSpec.components_to_set: a map of component name to version "
                                            "(or null) is required.")
    if not isinstance(to_delete, list) or not all(isinstance(n, str) for n in to_delete):
        raise VapiError("INVALID_ARGUMENT", "UpdateSpec.components_to_delete: a list of component names is required.")
    with world.lock:
        comps = _edit(world, target, draft_id).image.components
        for name in to_delete:
            comps.pop(name, None)
        comps.update(to_set)


def get_hardware_support(world: World, target: Target, draft_id: str) -> dict[str, Any]:
    with world.lock:
        hsp = get(world, target, draft_id).image.hardware_support
        return {"packages": {m: {"pkg": p, "version": v} for m, (p, v) in sorted(hsp.items())}}


def set_hardware_support(world: World, target: Target, draft_id: str, spec: Any) -> None:
    spec = _fields(spec, ("packages",), (), "HardwareSupportSpec")
    packages = spec.get("packages")
    if not isinstance(packages, dict):
        raise VapiError("INVALID_ARGUMENT", "HardwareSupportSpec.packages: a map of hardware support manager to "
                                            "package is required.")
    out: dict[str, tuple[str, str]] = {}
    for mgr, pkg in packages.items():
        pkg = _fields(pkg, ("pkg", "version"), ("pkg",), f"HardwareSupportSpec.packages.{mgr}")
        # HardwareSupportPackageSpec.version: "If None, the system will use an empty string as the version."
        out[mgr] = (pkg["pkg"], pkg.get("version") or "")
    with world.lock:
        _edit(world, target, draft_id).image.hardware_support = out


def delete_hardware_support(world: World, target: Target, draft_id: str) -> None:
    with world.lock:
        _edit(world, target, draft_id).image.hardware_support = {}


def _provided(world: World, image: Image) -> dict[str, tuple[str, str]]:
    """Components the base image and add-on bring (what can be removed)."""
    return effective_components(world, Image(image.base_image, image.add_on))


def list_removed(world: World, target: Target, draft_id: str) -> dict[str, Any]:
    with world.lock:
        image = get(world, target, draft_id).image
        provided = _provided(world, image)
        return {n: component_info(world, n, provided.get(n, (None, ""))[0]) for n in sorted(image.removed_components)}


def get_removed(world: World, target: Target, draft_id: str, name: str) -> dict[str, Any]:
    with world.lock:
        image = get(world, target, draft_id).image
        if name not in image.removed_components:
            raise VapiError("NOT_FOUND", f"Component {name} is not removed in draft {draft_id} of {target.name}.",
                            f"{MSG}.ComponentNotFound", [name])
        return component_info(world, name, _provided(world, image).get(name, (None, ""))[0])


def set_removed(world: World, target: Target, draft_id: str, name: str) -> None:
    with world.lock:
        d = _edit(world, target, draft_id)
        d.image.removed_components = d.image.removed_components | {name}


def delete_removed(world: World, target: Target, draft_id: str, name: str) -> None:
    with world.lock:
        d = _edit(world, target, draft_id)
        d.image.removed_components = d.image.removed_components - {name}


# --------------------------------------------------------------------------- validation


def _depot_versions(world: World, name: str) -> list[str]:
    return sorted((c.version for c in world.depot.components if c.name == name), key=version_key)


def validation_notes(world: World, image: Image) -> dict[str, list[dict[str, Any]]]:
    """ValidateResult.notifications: one error per missing or inconsistent element (caller holds lock)."""
    notes = new_notes()
    depot = world.depot

    def error(nid: str, text: str, args: list[str], resolution: str) -> None:
        notes["errors"].append(note("errors", f"{MSG}.ImageValidation.{nid}", text, args, resolution))

    if not image.base_image:
        error("BaseImageRequired", "The image has no base image (ESXi version).", [],
              "Set a base image available in the depot.")
    elif image.base_image not in {b.version for b in depot.base_images}:
        error("BaseImageNotFound", f"Base image {image.base_image} is not in the depot.", [image.base_image],
              "Import an offline bundle that contains it into the depot, or choose another base image.")
    if image.add_on and image.add_on not in {(a.name, a.version) for a in depot.add_ons}:
        name, ver = image.add_on
        error("AddOnNotFound", f"Vendor add-on {name} {ver} is not in the depot.", [name, ver],
              "Import an offline bundle that contains it into the depot, or choose another add-on.")
    for name, ver in sorted(image.components.items()):
        versions = _depot_versions(world, name)
        if ver is None and not versions:
            error("ComponentNotFound", f"Component {name} is not in the depot.", [name, ""],
                  "Import an offline bundle that contains it into the depot, or remove it from the image.")
        elif ver is not None and ver not in versions:
            error("ComponentNotFound", f"Component {name} {ver} is not in the depot.", [name, ver],
                  "Import an offline bundle that contains it into the depot, or remove it from the image.")
    fws = {(f.get("manager"), f.get("pkg"), f.get("version")) for f in depot.firmware}
    for mgr, (pkg, ver) in sorted(image.hardware_support.items()):
        if (mgr, pkg, ver) not in fws:
            error("HardwareSupportPackageNotFound", f"Hardware support package {pkg} {ver} of hardware support "
                  f"manager {mgr} is not available.", [mgr, pkg, ver],
                  "Choose a package the hardware support manager offers.")
    provided = _provided(world, image) if image.base_image else {}
    for name in sorted(image.removed_components):
        if name in image.components:
            error("RemovedComponentInImage", f"Component {name} is both added and removed.", [name],
                  "Either add the component or remove it.")
        elif name not in provided:
            error("RemovedComponentNotFound", f"Component {name} is not part of the base image or the add-on, so "
                  "it cannot be removed.", [name], "Remove only components of the base image or the add-on.")
    return notes


def resolved(world: World, image: Image) -> Image:
    """The image with every unversioned component at the depot's newest version (caller holds lock)."""
    out = image.copy()
    for name, ver in image.components.items():
        if ver is None:
            versions = _depot_versions(world, name)
            if versions:
                out.components[name] = versions[-1]
    return out


def _validate_phase(world: World, task: Task, what: str) -> None:
    set_progress(world, task, 10, f"Validating {what}")
    sleep_phase(world, VALIDATE_SECONDS * world.time_scale)


def start_validate(world: World, target: Target, draft_id: str, user: str) -> Task:
    get(world, target, draft_id)

    def fn(task: Task) -> dict[str, Any]:
        _validate_phase(world, task, f"draft {draft_id} of {target.name}")
        with world.lock:
            return {"notifications": validation_notes(world, get(world, target, draft_id).image)}

    return start_task(world, f"{service(target)}.validate", target.id, "rest", user, fn, service=service(target),
                      description=f"Validate draft {draft_id} of {target.name}", target_type=target.vim_type)


def start_scan(world: World, target: Target, draft_id: str, user: str) -> Task:
    get(world, target, draft_id)

    def fn(task: Task) -> dict[str, Any]:
        set_progress(world, task, 5, f"Scanning {target.name} against draft {draft_id}")
        sleep_phase(world, scaled(world, "scan"))
        with world.lock:
            image = resolved(world, get(world, target, draft_id).image)
            probe = Commit(id=f"draft-{draft_id}", image=image, author=user, created=time.time())
            results = {}
            for h in target.hosts(world):
                r = compute_host_compliance(world, target, h, probe)
                r.pop("commit", None)          # "None if operation is performed on a draft"
                results[h.id] = r
                world.counters.host_scans += 1
            if target.kind == "host":
                return results[target.id]
            return aggregate(world, target, results, None)

    return start_task(world, f"{service(target)}.scan", target.id, "rest", user, fn, service=service(target),
                      description=f"Check compliance of {target.name} against draft {draft_id}",
                      target_type=target.vim_type)


def _next_commit_id(commits: dict[str, Commit]) -> str:
    numeric = [int(c) for c in commits if c.isdigit()]
    return str(max(numeric, default=0) + 1)


def start_commit(world: World, target: Target, draft_id: str, spec: dict[str, Any], user: str) -> Task:
    message = spec.get("message")
    if message is not None and not isinstance(message, str):
        raise VapiError("INVALID_ARGUMENT", "CommitSpec.message: a string is required.")
    if spec.get("orchestrator") is not None:
        # CommitSpec.orchestrator: "For a non-orchestrator user i.e. a VC user, it must be unset."
        raise VapiError("INVALID_ARGUMENT", "CommitSpec.orchestrator must be unset for a vCenter user.",
                        args=["orchestrator"])
    with world.lock:
        get(world, target, draft_id)
        busy_check(world, target)

        def body(task: Task) -> str:
            _validate_phase(world, task, f"draft {draft_id} of {target.name}")
            with world.lock:
                draft = get(world, target, draft_id)
                notes = validation_notes(world, draft.image)
                if notes["errors"]:
                    names = "; ".join(n["message"]["default_message"] for n in notes["errors"])
                    err = vapi_error("INVALID_ARGUMENT", f"Draft {draft_id} of {target.name} is not valid: {names}",
                                     f"{MSG}.DraftValidationFailed", [draft_id])
                    err["data"] = {"notifications": notes}
                    raise TaskFailed(err)
                commit_id = _next_commit_id(target.obj.commits)
                target.obj.commits[commit_id] = Commit(id=commit_id, image=resolved(world, draft.image), author=user,
                                                       created=time.time(), description=message or "")
                target.obj.desired_commit = commit_id
                del world.images.drafts[draft_id]
                set_progress(world, task, 90, f"Committed draft {draft_id} as commit {commit_id}")
                return commit_id

        return start_exclusive(world, target, "commit", user, f"Commit draft {draft_id} of {target.name}", body)


# --------------------------------------------------------------------------- import


RECOMMENDATIONS = ("LATEST_RECOMMENDATION", "CURRENT_SERIES_RECOMMENDATION", "SPECIFIED_BASE_IMAGE_RECOMMENDATION")


def import_image(world: World, target: Target, user: str, document: bytes | str) -> str:
    """A new draft holding the software specification `document` (already fetched); returns its id."""
    try:
        image = parse_spec(document)
    except SpecError as exc:
        raise VapiError("ERROR", f"The software specification cannot be imported: {exc}",
                        f"{MSG}.InvalidSoftwareSpec", [str(exc)]) from exc
    with world.lock:
        existing = _user_draft(world, target, user)
        if existing is not None:
            raise VapiError("ERROR", f"User {user} already has draft {existing.id} of {target.name}; commit or delete "
                                     "it before importing a software specification.", f"{MSG}.DraftAlreadyExists",
                            [user, existing.id])
        return _new(world, target, user, image, target.obj.desired_commit).id


def state(world: World) -> list[dict[str, Any]]:
    """/sim/state `drafts` (caller holds lock)."""
    out = []
    for d in world.images.drafts.values():
        img = d.image
        out.append({"id": d.id, "target": d.target, "kind": d.kind, "owner": d.owner,
                    "created": iso(d.created), "base_commit": d.base_commit,
                    "image": {"base_image": img.base_image,
                              "add_on": {"name": img.add_on[0], "version": img.add_on[1]} if img.add_on else None,
                              "components": dict(img.components),
                              "hardware_support": {m: {"pkg": p, "version": v}
                                                   for m, (p, v) in img.hardware_support.items()},
                              "removed_components": sorted(img.removed_components)},
                    "valid": not validation_notes(world, img)["errors"]})
    return out


def desired_image(world: World, target: Target) -> Image:
    with world.lock:
        return desired_commit(world, target).image.copy()
