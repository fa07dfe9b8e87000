"""Depot and image helpers (software_info of an image, what staging can put on a host) and
notifications. Results are dicts shaped like the official binding structures (snake_case fields,
UPPER_CASE enums, RFC 3339 datetimes)."""

from __future__ import annotations

import time
from typing import Any

from ..core.clock import iso
from ..core.errors import message
from ..model import Commit, Host, Image, World


def version_key(v: str) -> tuple:
    out: list[tuple[int, Any]] = []
    for part in v.replace("-", ".").split("."):
        out.append((0, int(part)) if part.isdigit() else (1, part))
    return tuple(out)


def base_image_info(world: World, version: str) -> dict[str, Any]:
    for bi in world.depot.base_images:
        if bi.version == version:
            return {"version": version, "details": {"display_name": bi.display_name,
                                                    "display_version": bi.display_version,
                                                    "release_date": iso(bi.release_date)}}
    return {"version": version}


def add_on_info(world: World, add_on: tuple[str, str] | None) -> dict[str, Any] | None:
    if add_on is None:
        return None
    name, version = add_on
    for ao in world.depot.add_ons:
        if ao.name == name and ao.version == version:
            return {"name": name, "version": version,
                    "details": {"display_name": ao.display_name, "vendor": ao.vendor,
                                "display_version": ao.display_version or version}}
    return {"name": name, "version": version}


def component_info(world: World, name: str, version: str | None) -> dict[str, Any]:
    for comp in world.depot.components:
        if comp.name == name and (version is None or comp.version == version):
            return {"version": version, "details": {"display_name": comp.display_name, "vendor": comp.vendor,
                                                    "display_version": comp.display_version or version}}
    return {"version": version, "details": {"display_name": name, "vendor": "VMware, Inc.",
                                            "display_version": version}}


def effective_components(world: World, image: Image) -> dict[str, tuple[str, str]]:
    """name -> (version, source) of every component an image puts on a host."""
    out: dict[str, tuple[str, str]] = {}
    for bi in world.depot.base_images:
        if bi.version == image.base_image:
            out.update({n: (v, "BASE_IMAGE") for n, v in bi.components.items()})
    if image.add_on:
        for ao in world.depot.add_ons:
            if (ao.name, ao.version) == image.add_on:
                out.update({n: (v, "ADD_ON") for n, v in ao.components.items()})
    for mgr, (pkg, ver) in image.hardware_support.items():
        for fw in world.depot.firmware:
            if fw.get("manager") == mgr and fw.get("pkg") == pkg and fw.get("version") == ver:
                out.update({n: (v, "HARDWARE_SUPPORT_PACKAGE") for n, v in fw.get("components", {}).items()})
    out.update({n: (v, "USER") for n, v in image.components.items()})
    for name in image.removed_components:      # removed by the user (8.0 U3): not put on hosts
        if out.get(name, ("", ""))[1] != "USER":
            out.pop(name, None)
    return out


def software_info(world: World, image: Image) -> dict[str, Any]:
    """com.vmware.esx.settings.software_info of an image."""
    info: dict[str, Any] = {
        "base_image": base_image_info(world, image.base_image),
        "components": {n: component_info(world, n, v) for n, v in sorted(image.components.items())},
        "solutions": {},
    }
    ao = add_on_info(world, image.add_on)
    if ao:
        info["add_on"] = ao
    if image.hardware_support:
        info["hardware_support"] = {"packages": {m: {"pkg": p, "version": v}
                                                 for m, (p, v) in image.hardware_support.items()}}
    if image.removed_components:
        provided = effective_components(world, Image(image.base_image, image.add_on))
        info["removed_components"] = {n: component_info(world, n, provided.get(n, (None, ""))[0])
                                      for n in sorted(image.removed_components)}
    return info


def firmware_modules(world: World, mgr: str, pkg: str, version: str) -> list[dict[str, Any]]:
    for fw in world.depot.firmware:
        if fw.get("manager") == mgr and fw.get("pkg") == pkg and fw.get("version") == version:
            return list(fw.get("modules", []))
    return []


def stageable_part(image: Image, host: Host) -> Image:
    """What staging can put on this host: everything but firmware if the vendor cannot stage it."""
    staged = image.copy()
    if not host.firmware_stageable:
        staged.hardware_support = {}
    return staged


def is_fully_staged(host: Host, commit: Commit) -> bool:
    return host.staged_commit == commit.id and host.staged == commit.image


def is_software_staged(host: Host, commit: Commit) -> bool:
    return host.staged_commit == commit.id and host.staged == stageable_part(commit.image, host)


# --------------------------------------------------------------------------- notifications


def new_notes() -> dict[str, list[dict[str, Any]]]:
    return {"info": [], "warnings": [], "errors": []}


def note(kind: str, nid: str, text: str, args: list[str] | None = None,
          resolution: str | None = None) -> dict[str, Any]:
    n: dict[str, Any] = {"type": {"info": "INFO", "warnings": "WARNING", "errors": "ERROR"}[kind],
                         "id": nid, "time": iso(time.time()), "message": message(nid, text, args)}
    if resolution:
        n["resolution"] = message(nid + ".resolution", resolution)
    return n
