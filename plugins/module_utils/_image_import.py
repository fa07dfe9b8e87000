# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Import of a software specification (an image as JSON) into a cluster or standalone host. Knows nothing of Ansible.

The steps, in the order the module runs them (nothing changes in vCenter before step 4):

1. the spec is read (a JSON file written by ``image_export format=json``, or a dict) and checked against the
   software-spec schema (``_image.check_spec``);
2. its base image, add-on and components are compared with the depot of the target vCenter
   (``GET /api/esx/settings/depot-content/{base-images,add-ons,components}``, see ``_depots``) and, when an
   offline bundle is given, with what that local ZIP holds (its ``metadata.zip``: ``bulletins/*.xml``
   ``componentNameSpec`` / ``componentVersionSpec``, ``baseimages/*.json`` and ``addons/*.json`` release units):
   every item the depot lacks and the bundle does not bring is named, and nothing is changed;
3. the desired image (``GET {target}/software``) is compared with the spec: equal means nothing to do;
4. the bundle goes into the depot (``_depots.create``, recognised by its SHA-256 when it is already there), the
   depot is compared again, then ``POST {target}/software/drafts?action=import-software-spec`` (ImportSpec
   ``source_type: JSON_STRING``, ``software_spec``) makes a draft, ``.../drafts/{d}?action=validate`` (a task
   whose result is ValidateResult ``{notifications}``) checks it, ``.../drafts/{d}?action=commit`` (a task whose
   result is the new commit id) makes it the desired image. A draft that was not committed is deleted
   (``DELETE .../drafts/{d}``) whatever failed.

Hardware support packages have no depot-content listing in the API: vLCM's validation (step 4) names a missing one.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _depots as depots
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _image as image
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    ConnectionFailure,
    OptionError,
    TaskFailedError,
    TaskTimeoutError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client, redact_url
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target
from ansible_collections.vsphere.lifecycle.plugins.module_utils._tasks import wait_for_task

MAX_SPEC_BYTES = 16 * 1024 * 1024   # a software spec is a few KiB; anything this big is not one


class MissingContentError(VsphereError):
    """The target depot lacks content the image needs (raised before any change)."""


class ValidationError(VsphereError):
    """vLCM found errors in the imported draft (the draft was deleted)."""


class DraftInUseError(VsphereError):
    """The user already has a draft of the target: vCenter allows one per user and target."""


# ----------------------------------------------------------------------------- reading the spec
def read_src(path: str) -> Any:
    """The JSON document of ``src`` (a file on the node running the module), or an OptionError naming it."""
    if not os.path.isfile(path):
        raise OptionError(f"src '{path}' does not exist on the node that runs the module: give the path of a "
                          "software specification (JSON), for example one written by vsphere.lifecycle.image_export "
                          "format=json", option="src")
    if not os.access(path, os.R_OK):
        raise OptionError(f"src '{path}' cannot be read by the user running the module", option="src")
    if os.path.getsize(path) > MAX_SPEC_BYTES:
        raise OptionError(f"src '{path}' is {os.path.getsize(path)} bytes: a software specification is a small JSON "
                          "document (is this an offline bundle? give a ZIP as offline_bundle)", option="src")
    with open(path, "rb") as f:
        data = f.read()
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise OptionError(f"src '{path}' is a ZIP file (an offline bundle): give it as offline_bundle, and the JSON "
                          "software specification (image_export format=json) as src", option="src")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OptionError(f"src '{path}' is not a JSON document ({exc}): give a software specification as written by "
                          "vsphere.lifecycle.image_export format=json", option="src") from None


def check_bundle(value: Any) -> depots.Bundle:
    """``offline_bundle``: a readable local ZIP (its content is read before any change, so it cannot be a URL)."""
    bundle = depots.parse_bundle(value, option="offline_bundle")
    if bundle.url is not None:
        raise OptionError(f"offline_bundle '{redact_url(bundle.url)}' is a URL: image_import reads the bundle "
                          "to know what it brings before it changes anything, so give the path of the ZIP on the "
                          "node that runs the module (or import the URL with vsphere.lifecycle.depot first)",
                          option="offline_bundle")
    return bundle


# ----------------------------------------------------------------------------- what a depot holds
@dataclass
class Content:
    """Base image versions, add-on (name, version) pairs and component versions by name."""

    base_images: set[str] = field(default_factory=set)
    add_ons: set[tuple[str, str]] = field(default_factory=set)
    components: dict[str, set[str]] = field(default_factory=dict)

    def has(self, item: Item) -> bool:
        if item.kind == "base_image":
            return item.version in self.base_images
        if item.kind == "add_on":
            return (item.name, item.version) in self.add_ons
        versions = self.components.get(item.name, set())
        return bool(versions) if item.version is None else item.version in versions

    def merged(self, other: Content) -> Content:
        comps = {n: set(v) for n, v in self.components.items()}
        for name, versions in other.components.items():
            comps.setdefault(name, set()).update(versions)
        return Content(self.base_images | other.base_images, self.add_ons | other.add_ons, comps)


def depot_content(client: Client) -> Content:
    """What the target vCenter's depot holds (the three depot-content listings, unfiltered)."""
    listing = depots.content(client, ("base_images", "add_ons", "components"), {})
    out = Content()
    for row in listing["base_images"]:
        if isinstance(row, Mapping) and row.get("version"):
            out.base_images.add(str(row["version"]))
    for kind in ("add_ons", "components"):
        for row in listing[kind]:
            if not isinstance(row, Mapping) or not row.get("name"):
                continue
            versions = {str(v.get("version")) for v in row.get("versions") or []
                        if isinstance(v, Mapping) and v.get("version")}
            if kind == "add_ons":
                out.add_ons.update((str(row["name"]), v) for v in versions)
            else:
                out.components.setdefault(str(row["name"]), set()).update(versions)
    return out


def _metadata_zips(outer: zipfile.ZipFile) -> list[str]:
    """The metadata archives of an offline bundle: those its vendor index files name, else every ``*.zip`` entry."""
    names = set(outer.namelist())
    found: list[str] = []
    for name in sorted(n for n in names if n.endswith("vendor-index.xml")):
        try:
            root = ET.fromstring(outer.read(name))
        except ET.ParseError:
            continue
        prefix = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
        for url in root.iter("url"):
            entry = prefix + (url.text or "").strip()
            if entry in names and entry not in found:
                found.append(entry)
    return found or sorted(n for n in names if n.lower().endswith(".zip"))


def bundle_content(path: str) -> Content:
    """What a local offline bundle (ZIP) brings, read from its metadata; OptionError when it is not a bundle."""
    out = Content()
    try:
        with zipfile.ZipFile(path) as outer:
            for meta_name in _metadata_zips(outer):
                with zipfile.ZipFile(io.BytesIO(outer.read(meta_name))) as meta:
                    _read_metadata(meta, out)
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise OptionError(f"offline_bundle '{path}' cannot be read as an offline bundle: {exc}",
                          option="offline_bundle") from None
    if not (out.base_images or out.add_ons or out.components):
        raise OptionError(f"offline_bundle '{path}' holds no base image, add-on or component (no metadata.zip with "
                          "bulletins or release units): it is not an ESXi offline bundle", option="offline_bundle")
    return out


def _read_metadata(meta: zipfile.ZipFile, out: Content) -> None:
    for name in meta.namelist():
        try:
            if name.startswith("bulletins/") and name.endswith(".xml"):
                root = ET.fromstring(meta.read(name))
                name_spec, ver_spec = root.find("componentNameSpec"), root.find("componentVersionSpec")
                if name_spec is not None and ver_spec is not None and name_spec.get("name") and ver_spec.get("version"):
                    out.components.setdefault(name_spec.get("name", ""), set()).add(ver_spec.get("version", ""))
            elif name.startswith(("baseimages/", "addons/")) and name.endswith(".json"):
                rel = json.loads(meta.read(name))
                version = (rel.get("versionSpec") or {}).get("version")
                if not version:
                    continue
                if name.startswith("baseimages/"):
                    out.base_images.add(str(version))
                elif (rel.get("nameSpec") or {}).get("name"):
                    out.add_ons.add((str(rel["nameSpec"]["name"]), str(version)))
        except (ET.ParseError, ValueError, AttributeError, TypeError):
            continue                                  # not a document we read; vLCM judges the bundle on import


# ----------------------------------------------------------------------------- spec items and comparison
@dataclass(frozen=True)
class Item:
    """One piece of depot content a spec needs: ``kind`` base_image | add_on | component."""

    kind: str
    name: str
    version: str | None

    def describe(self) -> str:
        if self.kind == "base_image":
            return f"base image {self.version}"
        if self.kind == "add_on":
            return f"add-on {self.name} {self.version}"
        return f"component {self.name}" + (f" {self.version}" if self.version else " (any version)")

    def as_result(self, bundle: Content | None) -> dict[str, Any]:
        row: dict[str, Any] = {"type": self.kind, "name": self.name, "version": self.version}
        if bundle is not None:
            row["in_offline_bundle"] = bundle.has(self)
        return row


def needed(spec: Mapping[str, Any]) -> list[Item]:
    """The base image, add-on and components a (normalized) spec names, in that order."""
    items = [Item("base_image", "ESXi", str(spec["base_image"]["version"]))]
    add_on = spec.get("add_on")
    if add_on:
        items.append(Item("add_on", str(add_on["name"]), str(add_on["version"])))
    for name, version in sorted((spec.get("components") or {}).items()):
        items.append(Item("component", str(name), None if version is None else str(version)))
    return items


def missing_items(spec: Mapping[str, Any], content: Content) -> list[Item]:
    return [item for item in needed(spec) if not content.has(item)]


def sibling_bundle(src: str) -> tuple[str, Content] | None:
    """The offline bundle next to a spec file (``Prod-01.json`` -> ``Prod-01.zip``, as image_export names them when
    asked to), with what it brings; None when there is none or it cannot be read. Only named, never imported."""
    path = os.path.splitext(src)[0] + ".zip"
    if path == src or not os.path.isfile(path) or not zipfile.is_zipfile(path):
        return None
    try:
        return path, bundle_content(path)
    except OptionError:
        return None


def _brings(label: str, missing: list[Item], has: Content) -> str:
    brings = [i for i in missing if has.has(i)]
    lacking = [i for i in missing if not has.has(i)]
    if not brings:
        return f" {label} brings none of them."
    text = f" {label} brings {', '.join(i.describe() for i in brings)}"
    return text + (f" but not {', '.join(i.describe() for i in lacking)}." if lacking else ".")


def explain_missing(where: str, missing: list[Item], bundle: depots.Bundle | None,
                    bundle_has: Content | None, sibling: tuple[str, Content] | None = None) -> str:
    """Why nothing was imported: every missing item, and which of them the offline bundle would bring (the one
    given, or else the one found next to ``src``)."""
    listed = ", ".join(i.describe() for i in missing)
    text = f"the depot of {where} lacks {len(missing)} item(s) the image needs: {listed}."
    if bundle is None or bundle_has is None:
        if sibling is not None:
            text += _brings(f"The offline bundle next to src ({sibling[0]})", missing, sibling[1])
            if any(sibling[1].has(i) for i in missing):
                return text + " Nothing was changed. Give it as offline_bundle to import it into the depot first."
        return (text + " Nothing was changed. Import the offline bundle that holds them first: give it as "
                "offline_bundle (a ZIP written by vsphere.lifecycle.image_export format=zip on the source vCenter), "
                "or import it with vsphere.lifecycle.depot.")
    text += _brings(f"offline_bundle {bundle.describe()}", missing, bundle_has)
    return (text + " Nothing was changed (the bundle was not imported). Give an offline bundle exported from the "
            "image's source (image_export format=zip), or change the image.")


def current_spec(software: Mapping[str, Any]) -> dict[str, Any]:
    """The desired image (``software_info``) as a normalised software spec, for comparison and ``--diff``."""
    return image.software_to_spec(software)


def effective(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """``wanted`` with each component it names without a version ("the version the constraints pick", vLCM takes
    the newest in the depot) at the version the desired image already has, when it has that component."""
    have = current.get("components") or {}
    comps = {n: (have[n] if v is None and have.get(n) is not None else v)
             for n, v in (wanted.get("components") or {}).items()}
    return {**wanted, "components": comps}


def differences(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """What the import would change (``_image.spec_changes``), one line per field; empty when the desired image
    already is the spec. A component without a version matches the component at any version."""
    return image.spec_changes(current, effective(current, wanted))


def diff(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """``--diff``: the desired image before and after (the spec; unchanged when nothing differs)."""
    changed = bool(differences(current, wanted))
    return image.spec_diff(current, wanted if changed else current)


# ----------------------------------------------------------------------------- drafts
def drafts_path(target: Target) -> str:
    return f"{target.base}/software/drafts"


def owner_matches(owner: Any, username: str) -> bool:
    """Whether a draft owner is the user we log in as (vCenter may show ``DOMAIN\\user`` or ``user@domain``)."""
    if not isinstance(owner, str) or not owner:
        return False
    own, user = owner.lower(), username.lower()
    short = user.split("@", 1)[0]
    return own == user or own.split("\\")[-1] in (user, short) or own.split("@", 1)[0] == short and "@" not in user


def own_drafts(client: Client, target: Target, username: str) -> list[str]:
    """Ids of the drafts of ``target`` that belong to ``username`` (one blocks an import: one draft per user)."""
    listing = client.get(drafts_path(target)) or {}
    return sorted(str(d) for d, summary in listing.items()
                  if owner_matches(((summary or {}).get("metadata") or {}).get("owner"), username))


def notification_texts(notes: Any, kind: str) -> list[str]:
    out = []
    for note in (notes or {}).get(kind) or [] if isinstance(notes, Mapping) else []:
        message = (note or {}).get("message") or {}
        text = message.get("default_message") or note.get("id") or ""
        resolution = ((note or {}).get("resolution") or {}).get("default_message")
        out.append(f"{text} ({resolution})" if resolution else text)
    return out


def _task(client: Any, path: str, action: str, label: str, *, timeout: float, body: Any = None,
          on_started: Callable[[str], None] | None = None) -> dict[str, Any]:
    task_id = client.post(path, params={"action": action, "vmw-task": "true"}, json=body, retry_on_reset=False)
    if not isinstance(task_id, str) or not task_id:
        raise ApiError(f"{label}: vCenter returned no task id", method="POST", path=f"{path}?action={action}")
    if on_started is not None:
        on_started(task_id)
    return wait_for_task(client, task_id, description=label, timeout=timeout)


def _errors_of_failed_commit(exc: TaskFailedError) -> list[str]:
    error = (exc.info or {}).get("error") if isinstance(exc.info, Mapping) else None
    data = error.get("data") if isinstance(error, Mapping) else None
    return notification_texts((data or {}).get("notifications") if isinstance(data, Mapping) else None, "errors")


def import_and_commit(client: Any, target: Target, spec: Mapping[str, Any], *, message: str, timeout: float,
                      record: Callable[..., None], changed_before: bool = False) -> dict[str, Any]:
    """Draft from ``spec``, validate, commit; the draft is deleted unless the commit took it.

    ``record(**fields)`` keeps what happened in the module result as it happens (draft id, tasks), so a failure
    still reports it; ``changed`` becomes true once the commit task runs, and goes back to ``changed_before``
    when that task fails (a failed commit changes nothing). Returns ``{"commit", "draft", "warnings"}``.
    """
    import_spec = {"source_type": "JSON_STRING", "software_spec": json.dumps(dict(spec), sort_keys=True)}
    draft_id = client.post(drafts_path(target), params={"action": "import-software-spec"}, json=import_spec,
                           retry_on_reset=False)
    if not isinstance(draft_id, str) or not draft_id:
        raise ApiError(f"import of the software specification into {target.label}: vCenter returned no draft id",
                       method="POST", path=f"{drafts_path(target)}?action=import-software-spec")
    record(draft=draft_id)
    committed = False
    try:
        path = f"{drafts_path(target)}/{draft_id}"
        info = _task(client, path, "validate", f"validation of draft {draft_id} of {target.label}", timeout=timeout,
                     on_started=lambda tid: record(validate_task=tid))
        notes = (info.get("result") or {}).get("notifications") if isinstance(info.get("result"), Mapping) else None
        errors = notification_texts(notes, "errors")
        if errors:
            raise ValidationError(f"vLCM validation of the imported image for {target.label} failed: "
                                  f"{'; '.join(errors)}. The draft was deleted; the desired image is unchanged.",
                                  validation_errors=errors)
        warnings = notification_texts(notes, "warnings")
        try:
            commit_task = _start_commit(client, target, draft_id, message)
            if commit_task is None:                        # the answer was lost, the draft consumed: committed
                committed = True
                record(changed=True)
                return {"commit": None, "draft": draft_id, "warnings": warnings}
            record(changed=True, commit_task=commit_task)
            done = wait_for_task(client, commit_task, description=f"commit of draft {draft_id} of {target.label}",
                                 timeout=timeout)
        except TaskTimeoutError:
            committed = True                               # still running: it consumes the draft when it ends
            raise
        except TaskFailedError as exc:
            record(changed=changed_before)
            errors = _errors_of_failed_commit(exc)
            if errors:
                raise ValidationError(f"the commit of the imported image for {target.label} failed validation: "
                                      f"{'; '.join(errors)}. The draft was deleted; the desired image is unchanged.",
                                      validation_errors=errors) from None
            raise
        committed = True
        commit_id = done.get("result")
        return {"commit": str(commit_id) if commit_id is not None else None, "draft": draft_id, "warnings": warnings}
    finally:
        if not committed:
            _drop_draft(client, target, draft_id, record)


def _start_commit(client: Any, target: Target, draft_id: str, message: str) -> str | None:
    """``POST .../drafts/{d}?action=commit&vmw-task=true`` -> the task id. When the connection fails on that POST,
    the request may or may not have reached vCenter: a running commit task of the target is the one it started; with
    none, the draft tells (gone: it was committed, None is returned; still there: nothing was committed)."""
    path = f"{drafts_path(target)}/{draft_id}"
    try:
        task_id = client.post(path, params={"action": "commit", "vmw-task": "true"}, json={"message": message},
                              retry_on_reset=False)
    except ConnectionFailure as exc:
        try:
            task_id = vlcm.running_task(client, target, "commit")
            if task_id is None and not _draft_exists(client, target, draft_id):
                return None
        except VsphereError:
            raise ConnectionFailure(f"{exc.message}. The commit of draft {draft_id} of {target.label} may have "
                                    "reached vCenter: check the desired image and the drafts in the vSphere Client "
                                    "before running again") from None
        if task_id is None:
            raise ConnectionFailure(f"{exc.message}. The commit request started no task on {target.label} and the "
                                    f"draft is still there: nothing was committed") from None
    if not isinstance(task_id, str) or not task_id:
        raise ApiError(f"commit of draft {draft_id} of {target.label}: vCenter returned no task id", method="POST",
                       path=f"{path}?action=commit")
    return task_id


def _draft_exists(client: Any, target: Target, draft_id: str) -> bool:
    try:
        client.get(f"{drafts_path(target)}/{draft_id}")
    except ApiError as exc:
        if exc.status == 404 or exc.error_type == "NOT_FOUND":
            return False
        raise
    return True


def _drop_draft(client: Any, target: Target, draft_id: str, record: Callable[..., None]) -> None:
    """Delete an uncommitted draft; when that fails too, the result names the draft left behind."""
    try:
        client.delete(f"{drafts_path(target)}/{draft_id}")
    except ApiError as exc:
        if exc.status == 404 or exc.error_type == "NOT_FOUND":
            return                                         # a failed commit may have taken it already
        record(draft_left=draft_id)
    except VsphereError:
        record(draft_left=draft_id)


def item_rows(items: Iterable[Item], bundle: Content | None) -> list[dict[str, Any]]:
    return [i.as_result(bundle) for i in items]
