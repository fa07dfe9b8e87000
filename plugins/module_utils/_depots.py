# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline depots and depot content of vLCM. Knows nothing of Ansible.

Paths and fields of the bindings (``com.vmware.esx.settings.depots.offline``, ``...depots.offline.content``,
``com.vmware.esx.settings.depot_content``):

- ``GET /api/esx/settings/depots/offline`` (map id -> Summary: description, source_type, location, file_id,
  owner, ownerdata), ``GET .../offline/{depot}`` (Info), ``GET .../offline/{depot}/content`` (metadata bundles);
- ``POST .../offline?vmw-task=true`` with CreateSpec (``source_type`` PULL + ``location``, or PUSH + ``file_id``
  from the file upload endpoint; ``description``; ``ownerdata``, "private data saved by the owner of the depot.
  It is opaque to vLCM"): a task whose result is CreateResult ``{"depot": id}``; ``AlreadyExists`` "if the depot
  content already exists", its ``data`` the existing depot's CreateResult;
- ``DELETE .../offline/{depot}?vmw-task=true``: removes the depot's content from vLCM; ``ResourceInUse`` "if the
  content of depot to be deleted is used in some baseline or desired state", its ``data`` a PrecheckResult
  (``affected_baselines``, ``affected_desired_states``);
- ``GET /api/esx/settings/depot-content/{base-images,add-ons,components}`` with the FilterSpec fields as query
  parameters (base images: ``min_version``; add-ons: ``vendors``, ``names``, ``versions``, ``min_version``;
  components: the same and ``bundle_types``).

Pushed bundles carry ``ownerdata`` ``vsphere.lifecycle sha256:<hex>`` (the SHA-256 of the ZIP), so a second run
recognises its bundle without uploading it again. The upload endpoint (``/vum-fileupload``, port 9087 on a real
vCenter) has no format in the bindings; the body here is the file itself, as the simulator takes it.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    ConnectionFailure,
    OptionError,
    TaskFailedError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client, redact_url
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import check_name_list
from ansible_collections.vsphere.lifecycle.plugins.module_utils._tasks import wait_for_task

OFFLINE = "/api/esx/settings/depots/offline"
CONTENT = "/api/esx/settings/depot-content"
UPLOAD_PATH = "/vum-fileupload"
OWNER_MARK = "vsphere.lifecycle sha256:"
URL_SCHEMES = ("http", "https", "file")
# listing option value -> path segment of depot-content, and the FilterSpec fields each listing takes
CONTENT_KINDS = {"base_images": "base-images", "add_ons": "add-ons", "components": "components"}
FILTERS = {
    "base_images": ("min_version",),
    "add_ons": ("vendors", "names", "versions", "min_version"),
    "components": ("vendors", "names", "versions", "min_version", "bundle_types"),
}
BUNDLE_TYPES = ("INDEPENDENT", "BASE_IMAGE", "ADD_ON")


class DepotInUseError(VsphereError):
    """vCenter refused to remove a depot whose content a desired image (or baseline) uses."""


@dataclass(frozen=True)
class Bundle:
    """What ``bundle`` names: a URL vCenter pulls (PULL) or a local ZIP file pushed through the upload endpoint."""

    value: str
    url: str | None = None
    path: str | None = None
    sha256: str | None = None
    size: int | None = None

    @property
    def source_type(self) -> str:
        return "PULL" if self.url else "PUSH"

    @property
    def ownerdata(self) -> str | None:
        return f"{OWNER_MARK}{self.sha256}" if self.sha256 else None

    def matches(self, depot: Mapping[str, Any]) -> bool:
        """Whether an offline depot (Summary) came from this bundle: same location, or our mark of its SHA-256."""
        if self.url:
            return depot.get("location") == self.url
        return bool(self.ownerdata) and depot.get("ownerdata") == self.ownerdata

    def describe(self) -> str:
        """For messages and results: the URL without user info or query, or the file and its SHA-256."""
        return redact_url(self.url) if self.url else f"{self.path} (sha256 {self.sha256})"


def parse_bundle(value: Any, option: str = "bundle") -> Bundle:
    """``bundle`` -> :class:`Bundle`, checked before any call: a http(s)/file URL, or a readable local ZIP file."""
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"{option} is empty: give the URL of an offline bundle that vCenter can download "
                          "(https://..., or file:///... on vCenter) or the path of a ZIP file on the node that runs "
                          "the module", option=option)
    parts = urlsplit(value)
    if parts.scheme.lower() in URL_SCHEMES:
        if not (parts.netloc or parts.path.strip("/")):
            raise OptionError(f"{option} '{value}' names no server or file", option=option)
        return Bundle(value, url=value)
    if "://" in value:
        raise OptionError(f"{option} '{value}': vCenter pulls offline bundles over {', '.join(URL_SCHEMES)} only",
                          option=option)
    path = os.path.abspath(os.path.expanduser(value))
    if not os.path.isfile(path):
        raise OptionError(f"{option} '{value}' is not a URL and no such file exists on the node that runs the module "
                          "(a local bundle is uploaded from there)", option=option)
    if not os.access(path, os.R_OK):
        raise OptionError(f"{option} '{value}' cannot be read by the user running the module", option=option)
    if not zipfile.is_zipfile(path):
        raise OptionError(f"{option} '{value}' is not a ZIP file: an offline bundle is a ZIP (for example one written "
                          "by vsphere.lifecycle.image_export format=zip)", option=option)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(block)
    return Bundle(value, path=path, sha256=digest.hexdigest(), size=os.path.getsize(path))


def check_text(option: str, value: Any, what: str) -> str | None:
    """None, or a non-empty string (an empty one is an error: it never means "any")."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"{option} is empty: give {what}, or leave {option} out", option=option)
    return value


# ----------------------------------------------------------------------------- offline depots
def list_depots(client: Client) -> list[dict[str, Any]]:
    """The imported offline depots as ``[{"id", "description", "source_type", "location", "file_id", "owner",
    "ownerdata"}]``, sorted by description then id."""
    answer = client.get(OFFLINE) or {}
    rows = []
    for depot_id, summary in answer.items():
        summary = summary or {}
        rows.append({"id": depot_id, "description": summary.get("description") or "",
                     "source_type": summary.get("source_type"), "location": summary.get("location"),
                     "file_id": summary.get("file_id"), "owner": summary.get("owner"),
                     "ownerdata": summary.get("ownerdata")})
    rows.sort(key=lambda r: (r["description"], r["id"]))
    return rows


def shown(depot: Mapping[str, Any]) -> dict[str, Any]:
    """A depot row for results: its location without user info or query (either may carry a secret)."""
    return {**depot, "location": redact_url(depot.get("location"))}


def get_depot(client: Client, depot_id: str) -> dict[str, Any] | None:
    """``GET .../offline/{depot}`` (Info with its id), None when vCenter has no such depot."""
    try:
        info = client.get(f"{OFFLINE}/{depot_id}") or {}
    except ApiError as exc:
        if exc.status == 404 or exc.error_type == "NOT_FOUND":
            return None
        raise
    return {"id": depot_id, **info}


def depot_content(client: Client, depot_id: str) -> dict[str, Any]:
    """``GET .../offline/{depot}/content``: the depot's metadata bundles by vendor."""
    return client.get(f"{OFFLINE}/{depot_id}/content") or {}


def select(depots: Iterable[Mapping[str, Any]], *, depot_id: str | None = None, bundle: Bundle | None = None,
           description: str | None = None) -> list[dict[str, Any]]:
    """The depots that every given criterion matches (id, bundle, description)."""
    out = []
    for depot in depots:
        if depot_id is not None and depot.get("id") != depot_id:
            continue
        if bundle is not None and not bundle.matches(depot):
            continue
        if description is not None and depot.get("description") != description:
            continue
        out.append(dict(depot))
    return out


def create_spec(bundle: Bundle, description: str | None, file_id: str | None = None) -> dict[str, Any]:
    """CreateSpec for ``bundle`` (PUSH needs the ``file_id`` of the upload)."""
    spec: dict[str, Any] = {"source_type": bundle.source_type}
    if bundle.url:
        spec["location"] = bundle.url
    else:
        spec["file_id"] = file_id
        spec["ownerdata"] = bundle.ownerdata
    if description is not None:
        spec["description"] = description
    return spec


def upload(client: Any, bundle: Bundle) -> str:
    """Push a local bundle to the upload endpoint; returns its file id."""
    if bundle.path is None:
        raise ValueError("only a local bundle is uploaded")
    with open(bundle.path, "rb") as f:
        file_id = client.upload(UPLOAD_PATH, f, content_type="application/zip")
    if not isinstance(file_id, str) or not file_id:
        raise ApiError(f"upload of {bundle.path} to {UPLOAD_PATH}: vCenter returned no file id", method="POST",
                       path=UPLOAD_PATH)
    return file_id


def _error_of(exc: VsphereError) -> tuple[str | None, Any]:
    """(error_type, data) of a vAPI error raised on the call or reported by the task."""
    if isinstance(exc, ApiError):
        return exc.error_type, exc.data
    if isinstance(exc, TaskFailedError):
        error = (exc.info or {}).get("error") if isinstance(exc.info, Mapping) else None
        if isinstance(error, Mapping):
            return error.get("error_type"), error.get("data")
    return None, None


def create(client: Any, bundle: Bundle, description: str | None, *, timeout: float,
           on_started: Callable[[str], None] | None = None) -> tuple[str | None, bool]:
    """Import ``bundle`` into the depot (upload first for PUSH); returns ``(depot id, created)``.

    ``created`` is False when vCenter answers ``ALREADY_EXISTS`` (the same content was imported before, through
    another location or by someone else): the id is then the existing depot's, as its CreateResult says.
    """
    file_id = upload(client, bundle) if bundle.path else None
    spec = create_spec(bundle, description, file_id)
    label = f"import of offline bundle {bundle.describe()}"
    try:
        try:
            task_id = client.post(OFFLINE, params={"vmw-task": "true"}, json=spec, retry_on_reset=False)
        except ConnectionFailure as exc:
            raise ConnectionFailure(f"{exc.message}. The import may have started in vCenter: run the module again "
                                    "(an imported bundle is recognised, nothing is imported twice)") from None
        if not isinstance(task_id, str) or not task_id:
            raise ApiError(f"{label}: vCenter returned no task id", method="POST", path=OFFLINE)
        if on_started is not None:
            on_started(task_id)
        info = wait_for_task(client, task_id, description=label, timeout=timeout)
    except (ApiError, TaskFailedError) as exc:
        error_type, data = _error_of(exc)
        if error_type != "ALREADY_EXISTS":
            raise
        existing = data.get("depot") if isinstance(data, Mapping) else None
        return (str(existing) if existing else None), False
    result = info.get("result")
    depot_id = result.get("depot") if isinstance(result, Mapping) else result
    return (str(depot_id) if depot_id else None), True


def delete(client: Any, depot: Mapping[str, Any], *, timeout: float,
           on_started: Callable[[str], None] | None = None) -> None:
    """Remove a depot and its content (the task form of ``delete``); a RESOURCE_IN_USE refusal becomes a
    :class:`DepotInUseError` naming the images that use the content."""
    label = depot_label(depot)
    try:
        task_id = client.delete(f"{OFFLINE}/{depot['id']}", params={"vmw-task": "true"})
        if not isinstance(task_id, str) or not task_id:
            raise ApiError(f"removal of {label}: vCenter returned no task id", method="DELETE",
                           path=f"{OFFLINE}/{depot['id']}")
        if on_started is not None:
            on_started(task_id)
        wait_for_task(client, task_id, description=f"removal of {label}", timeout=timeout)
    except (ApiError, TaskFailedError) as exc:
        error_type, data = _error_of(exc)
        if error_type != "RESOURCE_IN_USE":
            raise
        users = in_use_rows(data)
        raise DepotInUseError(explain_in_use(label, users, exc.message), in_use_by=users, depot=depot["id"]) from None


def depot_label(depot: Mapping[str, Any]) -> str:
    text = f"offline depot {depot.get('id')}"
    if depot.get("description"):
        text += f" ('{depot['description']}')"
    return text


def _versions(entries: Any) -> list[str]:
    """``{name: {versions: [{version, display_version}]}}`` -> ['name version', ...]."""
    out = []
    for name, info in sorted((entries or {}).items()):
        versions = [v.get("version") for v in (info or {}).get("versions") or [] if isinstance(v, Mapping)]
        out.append(f"{name} {', '.join(v for v in versions if v)}".strip())
    return out


def in_use_rows(data: Any) -> list[dict[str, Any]]:
    """PrecheckResult -> one row per affected desired image (and baseline): who, and which of its parts."""
    rows: list[dict[str, Any]] = []
    if not isinstance(data, Mapping):
        return rows
    for state in data.get("affected_desired_states") or []:
        if not isinstance(state, Mapping):
            continue
        base = state.get("affected_base_image") or {}
        row: dict[str, Any] = {
            "kind": "desired image",
            "name": state.get("entity_name") or state.get("cluster_name") or state.get("software_spec_name"),
            "id": state.get("entity_id") or state.get("cluster_id") or state.get("software_spec"),
            "base_image": base.get("version"),
            "base_image_display": base.get("display_version"),
            "add_ons": _versions(state.get("affected_addon")),
            "components": _versions(state.get("affected_independent_components")),
            "solutions": sorted(state.get("affected_solutions") or {}),
            "hardware_support": sorted(f"{manager} {package}"
                                       for manager, info in (state.get("affected_hardware_support") or {}).items()
                                       for package in sorted((info or {}).get("packages") or {})),
        }
        if state.get("entity_names"):
            row["entities"] = sorted(state["entity_names"])
        rows.append(row)
    for baseline in data.get("affected_baselines") or []:
        if isinstance(baseline, Mapping):
            rows.append({"kind": "baseline", "name": baseline.get("baseline"), "id": baseline.get("id"),
                         "updates": sorted(baseline.get("affected_updates") or {})})
    return rows


def explain_in_use(label: str, rows: list[dict[str, Any]], original: str) -> str:
    """Why vCenter refused, naming each image (or baseline) and what of the depot's content it uses."""
    if not rows:
        return (f"{label} cannot be removed: vCenter reports its content in use (RESOURCE_IN_USE) but named no "
                f"image: {original}")
    parts = []
    for row in rows:
        if row["kind"] == "baseline":
            parts.append(f"baseline '{row['name']}' (updates {', '.join(row['updates']) or 'unnamed'})")
            continue
        uses = []
        if row["base_image"]:
            shown = f" ({row['base_image_display']})" if row.get("base_image_display") else ""
            uses.append(f"base image {row['base_image']}{shown}")
        uses += [f"add-on {a}" for a in row["add_ons"]]
        uses += [f"component {c}" for c in row["components"]]
        uses += [f"solution {s}" for s in row["solutions"]]
        uses += [f"hardware support {h}" for h in row["hardware_support"]]
        where = f"'{row['name']}'" + (f" ({row['id']})" if row.get("id") else "")
        parts.append(f"the desired image of {where}, which uses {', '.join(uses) or 'its content'}")
    return (f"{label} cannot be removed: its content is in use (RESOURCE_IN_USE) by {'; '.join(parts)}. "
            "Change those images first (vsphere.lifecycle.image) so that they no longer need this content, "
            "then remove the depot.")


# ----------------------------------------------------------------------------- depot content
VERSION_TEXT = re.compile(r"^[0-9][0-9A-Za-z.\-_]*$")      # 8.0.3-0.35.24280767, 803.24585383-A02, 2.6.0.0-1OEM.800...


def check_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The content filters the user set, checked before any call (an empty list or name never means all)."""
    out: dict[str, Any] = {}
    for key in ("vendors", "names", "versions"):
        if filters.get(key) is not None:
            out[key] = check_name_list(key, filters[key], key[:-1], "no filter on it")
    if filters.get("bundle_types") is not None:
        values = check_name_list("bundle_types", filters["bundle_types"], "bundle type", "all bundle types")
        bad = [v for v in values if v not in BUNDLE_TYPES]
        if bad:
            raise OptionError(f"bundle_types: {', '.join(bad)} not one of {', '.join(BUNDLE_TYPES)}",
                              option="bundle_types")
        out["bundle_types"] = values
    minimum = check_text("min_version", filters.get("min_version"), "the lowest version to list")
    if minimum is not None:
        if not VERSION_TEXT.match(minimum.strip()):
            raise OptionError(f"min_version is {minimum!r}: give a version as vLCM writes it, digits first, e.g. "
                              "8.0.3-0.35.24280767 (base image), 803.24585383-A02 (add-on) or 2.6.0.0 (component)",
                              option="min_version")
        out["min_version"] = minimum
    return out


def content(client: Client, kinds: Iterable[str], filters: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The depot-content listings asked for, each with the filters its FilterSpec has."""
    out: dict[str, list[Any]] = {}
    for kind in kinds:
        params: list[tuple[str, str]] = []
        for key in FILTERS[kind]:
            value = filters.get(key)
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                params.append((key, str(item)))
        out[kind] = list(client.get(f"{CONTENT}/{CONTENT_KINDS[kind]}", params=params or None) or [])
    return out


def unused_filters(kinds: Iterable[str], filters: Mapping[str, Any]) -> list[str]:
    """Filters set that none of the listed kinds takes (e.g. ``names`` with only base images)."""
    taken = {key for kind in kinds for key in FILTERS[kind]}
    return sorted(key for key in filters if key not in taken)
