"""The software specification document (com.vmware.esx.settings.software_spec) as JSON: what
`software?action=export` writes for SOFTWARE_SPEC and what `drafts?action=import-software-spec` reads.

Fields are the binding's SoftwareSpec fields: `base_image {version}`, `add_on {name, version}`,
`components {name: version or null}`, `solutions`, `hardware_support {packages {manager: {pkg, version}}}`,
`removed_components [name]`, `alternative_images`. Export leaves solutions out (the binding's docstring of
`Software.export`: "This API will not export the solution section"); solutions and alternative images are
not modelled, so a document that sets them is refused, naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Image

SPEC_FIELDS = ("base_image", "add_on", "components", "solutions", "hardware_support", "removed_components",
               "alternative_images")


class SpecError(ValueError):
    """The document is not a software specification this simulator can read; the message names the field."""


def spec_dict(image: Image) -> dict[str, Any]:
    """The SoftwareSpec of an image (optional parts only when set)."""
    out: dict[str, Any] = {"base_image": {"version": image.base_image},
                           "components": {n: image.components[n] for n in sorted(image.components)}}
    if image.add_on:
        out["add_on"] = {"name": image.add_on[0], "version": image.add_on[1]}
    if image.hardware_support:
        out["hardware_support"] = {"packages": {m: {"pkg": p, "version": v}
                                                for m, (p, v) in sorted(image.hardware_support.items())}}
    if image.removed_components:
        out["removed_components"] = sorted(image.removed_components)
    return out


def spec_json(image: Image) -> bytes:
    """Deterministic JSON text of the image's SoftwareSpec (the same image gives the same bytes)."""
    return (json.dumps(spec_dict(image), indent=2, sort_keys=True) + "\n").encode()


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpecError(f"{where}: expected a non-empty string, got {json.dumps(value)}")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: expected an object, got {json.dumps(value)[:80]}")
    return value


def parse_spec(text: str | bytes | dict[str, Any]) -> Image:
    """A SoftwareSpec document -> Image; SpecError names the first field that is wrong."""
    if isinstance(text, dict):
        doc: Any = text
    else:
        try:
            doc = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SpecError(f"the software specification is not valid JSON: {exc}") from exc
    doc = _object(doc, "software specification")
    for key in doc:
        if key not in SPEC_FIELDS:
            raise SpecError(f"{key}: not a field of a software specification (fields: {', '.join(SPEC_FIELDS)})")
    if "base_image" not in doc:
        raise SpecError("base_image: required")
    base = _object(doc["base_image"], "base_image")
    for key in base:
        if key != "version":
            raise SpecError(f"base_image.{key}: not a field of BaseImageSpec (fields: version)")
    version = _str(base.get("version"), "base_image.version")
    add_on = None
    if doc.get("add_on") is not None:
        ao = _object(doc["add_on"], "add_on")
        for key in ao:
            if key not in ("name", "version"):
                raise SpecError(f"add_on.{key}: not a field of AddOnSpec (fields: name, version)")
        add_on = (_str(ao.get("name"), "add_on.name"), _str(ao.get("version"), "add_on.version"))
    components: dict[str, Any] = {}
    for name, ver in _object(doc.get("components") or {}, "components").items():
        if ver is not None:
            _str(ver, f"components.{name}")
        components[name] = ver
    if doc.get("solutions"):
        raise SpecError("solutions: solutions are not modelled by this simulator (export leaves them out)")
    if doc.get("alternative_images"):
        raise SpecError("alternative_images: alternative images are not modelled by this simulator")
    hsp: dict[str, tuple[str, str]] = {}
    if doc.get("hardware_support") is not None:
        hs = _object(doc["hardware_support"], "hardware_support")
        for key in hs:
            if key != "packages":
                raise SpecError(f"hardware_support.{key}: not a field of HardwareSupportSpec (fields: packages)")
        for mgr, pkg in _object(hs.get("packages") or {}, "hardware_support.packages").items():
            where = f"hardware_support.packages.{mgr}"
            pkg = _object(pkg, where)
            for key in pkg:
                if key not in ("pkg", "version"):
                    raise SpecError(f"{where}.{key}: not a field of HardwareSupportPackageSpec (fields: pkg, version)")
            # HardwareSupportPackageSpec.version: "If None, the system will use an empty string as the version."
            ver = pkg.get("version")
            hsp[mgr] = (_str(pkg.get("pkg"), f"{where}.pkg"), "" if ver is None else _str(ver, f"{where}.version"))
    removed = doc.get("removed_components") or []
    if not isinstance(removed, list):
        raise SpecError(f"removed_components: expected a list of component names, got {json.dumps(removed)[:80]}")
    for pos, name in enumerate(removed):
        _str(name, f"removed_components[{pos}]")
    return Image(base_image=version, add_on=add_on, components=components, hardware_support=hsp,
                 removed_components=frozenset(removed))
