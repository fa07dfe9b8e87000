"""Offline depots (`esx/settings/depots/offline`): importing offline bundles into the depot, listing them,
their content, deleting them; and fetching a location (also used by `import-software-spec` with PULL).

Rules from the `vmware-vcenter` 9.1.1.0 bindings (`depots_client.Offline`, `depots.offline_client.Content`):
- `create` is a task: "Imports a new offline software depot. This will also import the metadata and payloads
  from this offline depot. The returned task will fail and no offline depot would be created if there are any
  issues during import." Sources: PULL from a `location` ("The URL scheme ... can be http, https or file";
  `InvalidArgument` "If an invalid location is provided") or PUSH of a `file_id` "returned by the file upload
  endpoint" (protocols/files.py). `AlreadyExists` "If the depot content already exists", with `data` the
  existing depot's `CreateResult` (here: a bundle with the same SHA-256 was imported before).
- `delete` as a task "removes content of an imported offline depot from vLCM completely"; `ResourceInUse` "If
  the content of depot to be deleted is used in some baseline or desired state", `data` the PrecheckResult
  (checked before the task starts); DeleteSpec.force (API 9.0) deletes anyway. The deprecated non-task
  `delete` "deletes only the record of depot from the list of imported offline software depots, instead of
  removing the depot's content from vLCM".
- Content that the depot had before any import (the scenario's: vCenter's online depot) is never removed.
"""

from __future__ import annotations

import hashlib
import ssl
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from ..core.clock import iso, scaled, sleep_phase
from ..core.errors import TaskFailed, VapiError, vapi_error
from ..core.tasks import set_progress, start_task
from ..model import OfflineDepot, Task, World
from .bundles import Bundle, BundleError, parse_bundle
from .drafts import resolved
from .images import effective_components
from .targets import Target

SERVICE = "com.vmware.esx.settings.depots.offline"
MSG = "com.vmware.vcIntegrity.lifecycle"
IMPORT_SECONDS = 60.0            # scenario seconds to import a bundle (x time_scale)
MAX_BYTES = 512 * 1024 * 1024


class FetchError(Exception):
    """The location cannot be read; the message says why."""


# --------------------------------------------------------------------------- fetching


def fetch(world: World, location: str, self_base: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    """The bytes at a file://, http:// or https:// location. The simulator's own export URLs are read from its
    store (no HTTP request to itself); other HTTPS servers are verified against the system CAs and the
    simulator's own CA."""
    url = urlparse(location)
    if url.scheme == "file":
        try:
            path = Path(unquote(url.path))
            if path.stat().st_size > MAX_BYTES:
                raise FetchError(f"{location}: larger than {MAX_BYTES} bytes")
            return path.read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read {location}: {exc.strerror or exc}") from exc
    if url.scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL scheme in {location!r} (http, https or file)")
    own = urlparse(self_base) if self_base else None
    if own is not None and url.netloc == own.netloc and url.path == "/vum-filedownload/download":
        name = (parse_qs(url.query).get("file") or [""])[0]
        with world.lock:
            f = world.images.exports.get(name)
        if f is None:
            raise FetchError(f"{location}: no exported file {name!r} (HTTP 404)")
        return f.data
    ctx = ssl.create_default_context()
    ca = Path(world.state_dir) / "ca.pem" if world.state_dir else None
    if ca is not None and ca.is_file():
        ctx.load_verify_locations(cafile=str(ca))
    req = urllib.request.Request(location, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60, context=ctx) as resp:   # noqa: S310 - scheme checked above
            data = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{location}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchError(f"{location}: {getattr(exc, 'reason', exc)}") from exc
    if len(data) > MAX_BYTES:
        raise FetchError(f"{location}: larger than {MAX_BYTES} bytes")
    return data


# --------------------------------------------------------------------------- content bookkeeping


def _keys(bundle: Bundle) -> list[tuple[str, ...]]:
    return ([("base_image", b.version) for b in bundle.base_images] + [("add_on", a.name, a.version)
                                                                       for a in bundle.add_ons]
            + [("component", c.name, c.version) for c in bundle.components])


def _depot_keys(world: World) -> set[tuple[str, ...]]:
    d = world.depot
    return ({("base_image", b.version) for b in d.base_images} | {("add_on", a.name, a.version) for a in d.add_ons}
            | {("component", c.name, c.version) for c in d.components})


def _system(world: World) -> set[tuple[str, ...]]:
    st = world.images
    if st.system_content is None:
        st.system_content = _depot_keys(world)
    return st.system_content


def _add(world: World, bundle: Bundle) -> None:
    have = _depot_keys(world)
    d = world.depot
    d.base_images.extend(b for b in bundle.base_images if ("base_image", b.version) not in have)
    d.add_ons.extend(a for a in bundle.add_ons if ("add_on", a.name, a.version) not in have)
    d.components.extend(c for c in bundle.components if ("component", c.name, c.version) not in have)


def _exclusive(world: World, depot: OfflineDepot) -> set[tuple[str, ...]]:
    """Content only this depot brought (not the system depot's, not another offline depot's)."""
    others = set(_system(world))
    for other in world.images.depots.values():
        if other.id != depot.id:
            others.update(other.content)
    return {k for k in depot.content if k not in others}


def _remove(world: World, keys: set[tuple[str, ...]]) -> None:
    d = world.depot
    d.base_images = [b for b in d.base_images if ("base_image", b.version) not in keys]
    d.add_ons = [a for a in d.add_ons if ("add_on", a.name, a.version) not in keys]
    d.components = [c for c in d.components if ("component", c.name, c.version) not in keys]


def _desired_targets(world: World) -> list[Target]:
    out = [Target("cluster", c) for c in world.clusters.values() if c.image_managed and c.desired_commit]
    out += [Target("host", h) for h in world.hosts.values() if h.cluster is None and h.desired_commit]
    return out


def _affected(world: World, keys: set[tuple[str, ...]]) -> list[dict[str, Any]]:
    """AffectedDesiredStateInfo of every desired image that uses one of `keys` (caller holds lock)."""
    out = []
    for t in _desired_targets(world):
        image = resolved(world, t.obj.commits[t.obj.desired_commit or ""].image)
        entry: dict[str, Any] = {"cluster_name": t.name, "cluster_id": t.id, "entity_name": t.name,
                                 "entity_id": t.id}
        if ("base_image", image.base_image) in keys:
            b = next(x for x in world.depot.base_images if x.version == image.base_image)
            entry["affected_base_image"] = {"version": b.version, "display_name": b.display_name,
                                            "display_version": b.display_version}
        if image.add_on and ("add_on", *image.add_on) in keys:
            a = next(x for x in world.depot.add_ons if (x.name, x.version) == image.add_on)
            entry["affected_addon"] = {a.name: {"display_name": a.display_name, "vendor": a.vendor,
                                                "versions": [{"version": a.version,
                                                              "display_version": a.display_version or a.version}]}}
        comps = {}
        for name, (ver, source) in effective_components(world, image).items():
            if source == "USER" and ("component", name, ver) in keys:
                c = next(x for x in world.depot.components if (x.name, x.version) == (name, ver))
                comps[name] = {"display_name": c.display_name,
                               "versions": [{"version": ver, "display_version": c.display_version or ver}]}
        if comps:
            entry["affected_independent_components"] = comps
        if len(entry) > 4:
            out.append(entry)
    return out


# --------------------------------------------------------------------------- create


def start_create(world: World, spec: dict[str, Any], user: str, self_base: str) -> Task:
    allowed = {"description", "source_type", "location", "file_id", "ownerdata"}
    if world.is_91:
        allowed.add("authentication_spec")             # API 9.0
    for key in spec:
        if key not in allowed:
            raise VapiError("INVALID_ARGUMENT", f"CreateSpec.{key} is not a field of this vCenter's API "
                                                f"(fields: {', '.join(sorted(allowed))}).", args=[key])
    source = spec.get("source_type")
    headers: dict[str, str] = {}
    if source == "PULL":
        location = spec.get("location")
        if not isinstance(location, str) or urlparse(location).scheme not in ("http", "https", "file") \
                or not (urlparse(location).netloc or urlparse(location).path):
            raise VapiError("INVALID_ARGUMENT", f"CreateSpec.location {location!r} is not a valid http, https or "
                                                "file URL.", f"{MSG}.InvalidDepotLocation", [str(location)])
        auth = spec.get("authentication_spec")
        if auth is not None:
            if not isinstance(auth, dict) or auth.get("method") != "HEADER_AUTH" \
                    or not isinstance(auth.get("authentication_key"), str):
                raise VapiError("INVALID_ARGUMENT", "CreateSpec.authentication_spec: method HEADER_AUTH with "
                                                    "authentication_key and authentication_value is required.")
            headers[auth["authentication_key"]] = str(auth.get("authentication_value") or "")
    elif source == "PUSH":
        file_id = spec.get("file_id")
        with world.lock:
            if not isinstance(file_id, str) or file_id not in world.images.uploads:
                raise VapiError("INVALID_ARGUMENT", f"CreateSpec.file_id {file_id!r} is not a file uploaded to "
                                                    "/vum-fileupload.", f"{MSG}.InvalidFileId", [str(file_id)])
    else:
        raise VapiError("INVALID_ARGUMENT", f"CreateSpec.source_type must be PULL or PUSH, not {source!r}.",
                        args=["source_type"])
    for key in ("description", "ownerdata"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            raise VapiError("INVALID_ARGUMENT", f"CreateSpec.{key}: a string is required.", args=[key])

    def fn(task: Task) -> dict[str, Any]:
        where = spec.get("location") or f"uploaded file {spec.get('file_id')}"
        set_progress(world, task, 5, f"Downloading {where}")
        try:
            if source == "PULL":
                data = fetch(world, spec["location"], self_base, headers)
            else:
                with world.lock:
                    data = world.images.uploads[spec["file_id"]]
        except FetchError as exc:
            raise TaskFailed(vapi_error("ERROR", f"A depot is inaccessible or has invalid contents: {exc}",
                                        f"{MSG}.DepotInaccessible", [str(where)])) from exc
        digest = hashlib.sha256(data).hexdigest()
        set_progress(world, task, 40, "Importing the metadata and payloads")
        sleep_phase(world, IMPORT_SECONDS * world.time_scale)
        try:
            bundle = parse_bundle(data)
        except BundleError as exc:
            raise TaskFailed(vapi_error("ERROR", f"A depot is inaccessible or has invalid contents: {where}: {exc}",
                                        f"{MSG}.DepotInvalid", [str(where), str(exc)])) from exc
        with world.lock:
            _system(world)
            for other in world.images.depots.values():
                if other.sha256 == digest:
                    err = vapi_error("ALREADY_EXISTS", f"The content of {where} is already in the depot "
                                                       f"(offline depot {other.id}).", f"{MSG}.DepotAlreadyExists",
                                     [other.id])
                    err["data"] = {"depot": other.id}
                    raise TaskFailed(err)
            _add(world, bundle)
            depot = OfflineDepot(id=str(uuid.uuid4()), description=spec.get("description") or "",
                                 source_type=source, location=spec.get("location"), file_id=spec.get("file_id"),
                                 created=time.time(), owner=user, ownerdata=spec.get("ownerdata"), sha256=digest,
                                 file_name=bundle.file_name, vendor=bundle.vendor, content=_keys(bundle))
            world.images.depots[depot.id] = depot
            world.counters.depot_imports += 1
            return {"depot": depot.id}

    return start_task(world, f"{SERVICE}.create", "", "rest", user, fn, service=SERVICE,
                      description="Import an offline depot")


# --------------------------------------------------------------------------- read


def _get(world: World, depot_id: str) -> OfflineDepot:
    d = world.images.depots.get(depot_id)
    if d is None:
        raise VapiError("NOT_FOUND", f"Offline depot {depot_id} not found.", f"{MSG}.DepotNotFound", [depot_id])
    return d


def _summary(d: OfflineDepot) -> dict[str, Any]:
    out: dict[str, Any] = {"description": d.description, "source_type": d.source_type, "owner": d.owner}
    if d.source_type == "PULL":
        out["location"] = d.location
    else:
        out["file_id"] = d.file_id
    if d.ownerdata is not None:
        out["ownerdata"] = d.ownerdata
    return out


def listing(world: World) -> dict[str, Any]:
    with world.lock:
        return {d.id: _summary(d) for d in world.images.depots.values()}


def info(world: World, depot_id: str) -> dict[str, Any]:
    with world.lock:
        d = _get(world, depot_id)
        return {**_summary(d), "create_time": iso(d.created)}


def content(world: World, depot_id: str) -> dict[str, Any]:
    """depots.offline.Content.Info: the depot's metadata bundle by vendor."""
    with world.lock:
        d = _get(world, depot_id)
        keys = set(d.content)
        dep = world.depot
        bases = [b for b in dep.base_images if ("base_image", b.version) in keys]
        addons = [a for a in dep.add_ons if ("add_on", a.name, a.version) in keys]
        in_release = {(n, v) for b in bases for n, v in b.components.items()} | \
            {(n, v) for a in addons for n, v in a.components.items()}
        meta: dict[str, Any] = {"file_name": d.file_name}
        if bases:
            meta["base_images"] = [{"version": b.version, "display_name": b.display_name,
                                    "display_version": b.display_version} for b in bases]
        if addons:
            meta["addons"] = {}
            for a in addons:
                entry = meta["addons"].setdefault(a.name, {"display_name": a.display_name, "vendor": a.vendor,
                                                           "versions": []})
                entry["versions"].append({"version": a.version, "display_version": a.display_version or a.version})
        independent: dict[str, Any] = {}
        for c in dep.components:
            if ("component", c.name, c.version) in keys and (c.name, c.version) not in in_release:
                entry = independent.setdefault(c.name, {"display_name": c.display_name, "versions": []})
                entry["versions"].append({"version": c.version, "display_version": c.display_version or c.version})
        if independent:
            meta["independent_components"] = independent
        return {"metadata_bundles": {d.vendor: [meta]}}


# --------------------------------------------------------------------------- delete


def _check_delete(world: World, depot_id: str, spec: dict[str, Any]) -> tuple[OfflineDepot, bool]:
    allowed = {"force"} if world.is_91 else set()          # DeleteSpec (API 9.0)
    for key in spec:
        if key not in allowed:
            raise VapiError("INVALID_ARGUMENT", f"DeleteSpec.{key} is not a field of this vCenter's API.", args=[key])
    force = spec.get("force")
    if force is not None and not isinstance(force, bool):
        raise VapiError("INVALID_ARGUMENT", "DeleteSpec.force: true or false is required.", args=["force"])
    return _get(world, depot_id), bool(force)


def start_delete(world: World, depot_id: str, spec: dict[str, Any], user: str) -> Task:
    with world.lock:
        depot, force = _check_delete(world, depot_id, spec)
        if not force:
            affected = _affected(world, _exclusive(world, depot))
            if affected:
                names = ", ".join(a["entity_name"] for a in affected)
                err = VapiError("RESOURCE_IN_USE", f"The content of offline depot {depot_id} is used by the desired "
                                                   f"image of {names}.", f"{MSG}.DepotInUse", [depot_id, names])
                err.body["data"] = {"affected_desired_states": affected}
                raise err

    def fn(task: Task) -> None:
        set_progress(world, task, 10, f"Removing offline depot {depot_id}")
        sleep_phase(world, scaled(world, "scan"))
        with world.lock:
            d = world.images.depots.get(depot_id)
            if d is None:
                raise TaskFailed(vapi_error("NOT_FOUND", f"Offline depot {depot_id} not found.",
                                            f"{MSG}.DepotNotFound", [depot_id]))
            _remove(world, _exclusive(world, d))
            del world.images.depots[depot_id]
        return None

    return start_task(world, f"{SERVICE}.delete", depot_id, "rest", user, fn, service=SERVICE,
                      description=f"Delete offline depot {depot_id}")


def delete_record(world: World, depot_id: str, spec: dict[str, Any]) -> None:
    """The deprecated non-task delete: the record goes, its content stays in the depot."""
    with world.lock:
        _check_delete(world, depot_id, spec)
        _system(world)
        depot = world.images.depots.pop(depot_id)
        # the content stays: count it as the depot's own from now on, so no later delete removes it
        world.images.system_content = _system(world) | set(depot.content)


def state(world: World) -> list[dict[str, Any]]:
    """/sim/state `offline_depots` (caller holds lock)."""
    return [{"id": d.id, "description": d.description, "source_type": d.source_type, "location": d.location,
             "file_id": d.file_id, "owner": d.owner, "sha256": d.sha256, "created": iso(d.created),
             "content": [list(k) for k in d.content]} for d in world.images.depots.values()]
