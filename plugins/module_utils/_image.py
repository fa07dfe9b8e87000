# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vLCM software specification (``com.vmware.esx.settings.software_spec``): its JSON Schema, a checker that
names the field at fault, normalisation, conversion of a ``software_info`` answer, and a diff. Knows nothing of
Ansible and makes no call to vCenter.

The schema follows the official ``vmware-vcenter`` 9.1 bindings one to one::

    SoftwareSpec         { base_image: BaseImageSpec, add_on: AddOnSpec?, components: map[id, string?]?,
                           solutions: map[id, SolutionSpec]?, hardware_support: HardwareSupportSpec?,
                           removed_components: set[id]? (8.0 U3), alternative_images: map[id, AlternativeImageSpec]?
                           (9.0) }
    BaseImageSpec        { version: string }
    AddOnSpec            { name: string, version: string }
    SolutionSpec         { version: string, components: list[SolutionComponentSpec { component: id }] }
    HardwareSupportSpec  { packages: map[id (manager), HardwareSupportPackageSpec { pkg: id?, version: string? }] }
    AlternativeImageSpec { the SoftwareSpec fields but alternative_images, display_name: string,
                           selection_criteria: ImageSelectionSpec { selection_type: HOST_UUID | HOST_HARDWARE_SPEC |
                           UNKNOWN, host_uuids: set[string]?, host_hardware_spec: HostHardwareSpec { vendor: string,
                           models, families, oem_strings: set[string]? }? } }

A component version of null means "the version the constraints pick" (binding docstring of
``SoftwareSpec.components``); an optional field given as null is the same as leaving it out. Identifiers (component,
solution, hardware support manager and package names) are non-empty ASCII names without white space or ``/`` (they
become REST path segments); versions are non-empty strings without white space. Everything else is refused with an
:class:`ImageSpecError` whose message starts with the path of the field (``spec.components.i40en: ...``) and ends
with the fix.

Public API (also used by ``image_import``)::

    check_spec(spec, where="spec", *, require_base_image=True) -> dict   # normalised spec, or ImageSpecError
    spec_diff(before, after) -> {"before": dict, "after": dict}          # for --diff (normalised, sorted)
    spec_changes(before, after) -> list[str]                             # "components.i40en: 1.0 -> 1.1", ...
    software_to_spec(software_info) -> dict                              # GET .../software -> a SoftwareSpec
    SCHEMA                                                               # the JSON Schema (draft 2020-12)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    MissingLibraryError,
    OptionError,
)

try:
    from jsonschema import Draft202012Validator

    HAS_JSONSCHEMA = True
    JSONSCHEMA_IMPORT_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - exercised by the import sanity test
    Draft202012Validator = None  # type: ignore[assignment,misc]
    HAS_JSONSCHEMA = False
    JSONSCHEMA_IMPORT_ERROR = str(exc)

ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._:+-]*$"
VERSION_PATTERN = r"^[^\s/]+$"
TEXT_PATTERN = r"\S"
MAX_LEN = 255

SPEC_FIELDS = ("base_image", "add_on", "components", "solutions", "hardware_support", "removed_components",
               "alternative_images")

_ID = {"type": "string", "minLength": 1, "maxLength": MAX_LEN, "pattern": ID_PATTERN}
_VERSION = {"type": "string", "minLength": 1, "maxLength": MAX_LEN, "pattern": VERSION_PATTERN}
_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_LEN, "pattern": TEXT_PATTERN}


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{"type": "null"}, schema]}


_IMAGE_PROPERTIES: dict[str, Any] = {
    "base_image": {"$ref": "#/$defs/base_image_spec"},
    "add_on": _optional({"$ref": "#/$defs/add_on_spec"}),
    "components": _optional({"type": "object", "propertyNames": {"$ref": "#/$defs/id"},
                             "additionalProperties": _optional({"$ref": "#/$defs/version"})}),
    "solutions": _optional({"type": "object", "propertyNames": {"$ref": "#/$defs/id"},
                            "additionalProperties": {"$ref": "#/$defs/solution_spec"}}),
    "hardware_support": _optional({"$ref": "#/$defs/hardware_support_spec"}),
    "removed_components": _optional({"type": "array", "items": {"$ref": "#/$defs/id"}, "uniqueItems": True}),
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/vsphere/lifecycle/schemas/software_spec.json",
    "title": "com.vmware.esx.settings.software_spec",
    "type": "object",
    "required": ["base_image"],
    "additionalProperties": False,
    "properties": {
        **_IMAGE_PROPERTIES,
        "alternative_images": _optional({"type": "object", "propertyNames": {"$ref": "#/$defs/id"},
                                         "additionalProperties": {"$ref": "#/$defs/alternative_image_spec"}}),
    },
    "$defs": {
        "id": _ID,
        "version": _VERSION,
        "text": _TEXT,
        "base_image_spec": {"type": "object", "required": ["version"], "additionalProperties": False,
                            "properties": {"version": {"$ref": "#/$defs/version"}}},
        "add_on_spec": {"type": "object", "required": ["name", "version"], "additionalProperties": False,
                        "properties": {"name": {"$ref": "#/$defs/id"}, "version": {"$ref": "#/$defs/version"}}},
        "solution_spec": {
            "type": "object", "required": ["version", "components"], "additionalProperties": False,
            "properties": {
                "version": {"$ref": "#/$defs/version"},
                "components": {"type": "array", "items": {
                    "type": "object", "required": ["component"], "additionalProperties": False,
                    "properties": {"component": {"$ref": "#/$defs/id"}}}},
            },
        },
        "hardware_support_spec": {
            "type": "object", "required": ["packages"], "additionalProperties": False,
            "properties": {"packages": {
                "type": "object", "propertyNames": {"$ref": "#/$defs/id"},
                "additionalProperties": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"pkg": _optional({"$ref": "#/$defs/id"}),
                                   "version": _optional({"$ref": "#/$defs/version"})}}}},
        },
        "alternative_image_spec": {
            "type": "object", "required": ["base_image", "display_name", "selection_criteria"],
            "additionalProperties": False,
            "properties": {
                **_IMAGE_PROPERTIES,
                "display_name": {"$ref": "#/$defs/text"},
                "selection_criteria": {"$ref": "#/$defs/image_selection_spec"},
            },
        },
        "image_selection_spec": {
            "type": "object", "required": ["selection_type"], "additionalProperties": False,
            "properties": {
                "selection_type": {"enum": ["HOST_UUID", "HOST_HARDWARE_SPEC", "UNKNOWN"]},
                "host_uuids": _optional({"type": "array", "items": {"$ref": "#/$defs/text"}, "uniqueItems": True}),
                "host_hardware_spec": _optional({
                    "type": "object", "required": ["vendor"], "additionalProperties": False,
                    "properties": {
                        "vendor": {"$ref": "#/$defs/text"},
                        "models": _optional({"type": "array", "items": {"$ref": "#/$defs/text"},
                                             "uniqueItems": True}),
                        "families": _optional({"type": "array", "items": {"$ref": "#/$defs/text"},
                                               "uniqueItems": True}),
                        "oem_strings": _optional({"type": "array", "items": {"$ref": "#/$defs/text"},
                                                  "uniqueItems": True}),
                    }}),
            },
            # the binding's UnionValidator: the field the selection type needs must be there
            "allOf": [
                {"if": {"properties": {"selection_type": {"const": "HOST_UUID"}}},
                 "then": {"required": ["host_uuids"]}},
                {"if": {"properties": {"selection_type": {"const": "HOST_HARDWARE_SPEC"}}},
                 "then": {"required": ["host_hardware_spec"]}},
            ],
        },
    },
}

# what a field is, for messages: the last schema keyword's meaning, by the $defs name it refers to
_EXPECTED = {
    "#/$defs/id": "a name (letters, digits, '.', '_', ':', '+', '-'; no spaces or '/'; at most 255 characters)",
    "#/$defs/version": "a version string (no spaces or '/'; at most 255 characters)",
    "#/$defs/text": "a non-empty string (at most 255 characters)",
}
_FIX = {
    "#/$defs/id": "use the exact name vCenter shows (depot_info lists components, add-ons and base images)",
    "#/$defs/version": "quote versions in YAML ('8.0.3-0.35.24280767', not 8.0) and copy them from depot_info",
    "#/$defs/text": "give a non-empty string",
}
_FIELDS_OF = {
    "spec": SPEC_FIELDS,
    "base_image": ("version",),
    "add_on": ("name", "version"),
    "hardware_support": ("packages",),
}


class ImageSpecError(OptionError):
    """A software specification is not valid; ``path`` is the field at fault (``spec.components.i40en``),
    ``problems`` every problem found (each one sentence that starts with its path)."""

    def __init__(self, message: str, *, path: str | None = None, problems: list[str] | None = None) -> None:
        super().__init__(message, field=path)
        self.path = path
        self.problems = problems or [message]


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._:+-]*$")


def _describe(value: Any) -> str:
    """A short, safe description of any value (never the whole of a huge or recursive one)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 40 else text[:40] + "..."
    if isinstance(value, str):
        if not value:
            return 'an empty string ""'
        shown = json.dumps(value[:60], ensure_ascii=True)
        return f"the string {shown}" + (f" ({len(value)} characters)" if len(value) > 60 else "")
    if isinstance(value, Mapping):
        return f"an object with {len(value)} field(s)"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item(s)"
    return f"a value of type {type(value).__name__}"


def _path(where: str, parts: Any) -> str:
    out = where
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.match(part) and len(part) <= 80:
            out += f".{part}" if out else part
        elif isinstance(part, str):
            out += "[" + json.dumps(part[:60], ensure_ascii=True) + ("...]" if len(part) > 60 else "]")
        else:
            out += f"[{_describe(part)}]"
    return out


def _ref_of(error: Any) -> str | None:
    """The ``$defs`` entry (id, version, text) whose keyword failed, if any: it says what the field is."""
    for name in ("id", "version", "text"):
        if error.schema is SCHEMA["$defs"][name] or error.schema == SCHEMA["$defs"][name]:
            return f"#/$defs/{name}"
    return None


def _leaves(error: Any) -> list[Any]:
    """For an ``anyOf`` (null or X) failure, the errors of the non-null branch: they say what X wanted."""
    if error.validator == "anyOf" and error.context:
        non_null = [e for e in error.context if e.validator != "type" or e.validator_value != "null"]
        if non_null:
            return [leaf for e in non_null for leaf in _leaves(e)]
    return [error]


def _message(error: Any, where: str) -> tuple[str, str]:
    """(path, sentence) for one jsonschema error: names the field, what was expected, what came, and the fix."""
    parts = list(error.absolute_path)
    if error.validator == "propertyNames" or any(p == "propertyNames" for p in error.absolute_schema_path):
        # jsonschema reports a bad key at its object; the key is the instance
        parts.append(error.instance)
        path = _path(where, parts)
        ref = _ref_of(error) or "#/$defs/id"
        return path, (f"{path}: not a valid name: expected {_EXPECTED[ref]}, got {_describe(error.instance)}; "
                      f"fix: {_FIX[ref]}")
    path = _path(where, parts)
    ref = _ref_of(error)
    validator = error.validator
    got = _describe(error.instance)
    if validator == "required":
        missing = [m for m in error.validator_value if isinstance(error.instance, Mapping) and m not in error.instance]
        name = missing[0] if missing else "a field"
        return _path(where, [*parts, name]), (f"{_path(where, [*parts, name])}: required but missing; fix: add "
                                              f"'{name}' to {path or 'it'}")
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted((k for k in error.instance if k not in allowed), key=str) if isinstance(error.instance, Mapping) else []
        key = extra[0] if extra else "?"
        kpath = _path(where, [*parts, key])
        return kpath, (f"{kpath}: not a field of {path or 'it'} (fields: {', '.join(allowed)}); fix: remove it or correct "
                       "its spelling")
    if validator == "type":
        wanted = error.validator_value
        if ref:
            expected = _EXPECTED[ref]
        elif wanted == "object":
            fields = _FIELDS_OF.get(str(parts[-1]) if parts else "spec")
            expected = "an object" + (f" (fields: {', '.join(fields)})" if fields else "")
        elif wanted == "array":
            expected = "a list"
        else:
            expected = f"a {wanted}"
        if len(parts) >= 2 and parts[-2] == "components" and ref == "#/$defs/version":
            expected = "a version string or null"
        fix = _FIX.get(ref or "", f"give {expected}")
        return path, f"{path}: expected {expected}, got {got}; fix: {fix}"
    if validator in ("minLength", "maxLength", "pattern"):
        expected = _EXPECTED.get(ref or "", "a valid string")
        return path, f"{path}: expected {expected}, got {got}; fix: {_FIX.get(ref or '', 'correct the value')}"
    if validator == "uniqueItems":
        return path, f"{path}: lists the same item more than once; fix: list each item once"
    if validator in ("enum", "const"):
        allowed = error.validator_value if validator == "enum" else [error.validator_value]
        return path, f"{path}: expected one of {', '.join(map(str, allowed))}, got {got}; fix: use one of those"
    return path, f"{path}: {error.message[:200]}; fix: correct {path}"


_VALIDATOR: Any = None


def _validator() -> Any:
    global _VALIDATOR  # noqa: PLW0603 - one compiled validator per process
    if not HAS_JSONSCHEMA:
        raise MissingLibraryError("jsonschema", JSONSCHEMA_IMPORT_ERROR)
    if _VALIDATOR is None:
        _VALIDATOR = Draft202012Validator(SCHEMA)
    return _VALIDATOR


def _schema_problems(spec: Any, where: str, schema_path: str = "") -> list[tuple[str, str]]:
    validator = _validator()
    if schema_path:
        validator = validator.evolve(schema={"$ref": schema_path, "$defs": SCHEMA["$defs"]})
    try:
        errors = list(validator.iter_errors(spec))
    except (RecursionError, TypeError, ValueError) as exc:  # a value jsonschema cannot walk (e.g. a cycle)
        label = where or "the software specification"
        return [(where or "spec", f"{label}: cannot be read as a software specification ({type(exc).__name__}); "
                                  "fix: give plain JSON data (objects, lists, strings, null)")]
    out = [_message(leaf, where) for e in errors for leaf in _leaves(e)]
    return sorted(set(out), key=lambda item: (item[0].count(".") + item[0].count("["), item[0], item[1]))


def _raise(problems: list[tuple[str, str]]) -> None:
    if problems:
        shown = [text for _path_, text in problems[:5]]
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ImageSpecError("; ".join(shown) + more, path=problems[0][0], problems=[t for _p, t in problems])


def _normalise_image(doc: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"base_image": {"version": doc["base_image"]["version"]},
                           "components": {k: doc["components"][k] for k in sorted(doc.get("components") or {})}}
    if doc.get("add_on") is not None:
        out["add_on"] = {"name": doc["add_on"]["name"], "version": doc["add_on"]["version"]}
    if doc.get("solutions"):
        out["solutions"] = {
            sid: {"version": sol["version"],
                  "components": sorted(({"component": c["component"]} for c in sol["components"]),
                                       key=lambda c: c["component"])}
            for sid, sol in sorted(doc["solutions"].items())}
    packages = (doc.get("hardware_support") or {}).get("packages") or {}
    if packages:
        out["hardware_support"] = {"packages": {
            # HardwareSupportPackageSpec.version: "If None, the system will use an empty string as the version":
            # left out here, as software_to_spec() leaves out an empty one, so that the two compare equal
            mgr: {k: p[k] for k in ("pkg", "version") if p.get(k) is not None}
            for mgr, p in sorted(packages.items())}}
    if doc.get("removed_components"):
        out["removed_components"] = sorted(doc["removed_components"])
    return out


def _semantic_problems(doc: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    problems = []
    both = sorted(set(doc.get("components") or {}) & set(doc.get("removed_components") or []))
    for name in both:
        path = _path(where, ["removed_components"])
        problems.append((path, f"{path}: '{name}' is also set in {_path(where, ['components'])} (a component cannot be both "
                               "added and removed); fix: remove it from one of the two"))
    return problems


def check_spec(spec: Any, where: str | None = "spec", *, require_base_image: bool = True) -> dict[str, Any]:
    """Check a software specification against :data:`SCHEMA` and return it normalised.

    Normalised: optional fields given as null are left out, ``components`` is always there (sorted), solutions,
    hardware support packages and removed components only when not empty, lists sorted, a hardware support package
    field given as null is left out. ``require_base_image=False`` accepts a partial spec (a
    module's desired changes) whose other fields are still checked. ``where`` prefixes every field path
    (``""``: paths start at the field, as module options do). Any input that is not a valid spec raises
    :class:`ImageSpecError` naming the field (never another exception; :class:`MissingLibraryError` when jsonschema
    is not installed).
    """
    where = "spec" if where is None else where
    if not isinstance(spec, Mapping):
        label = where or "the software specification"
        _raise([(where or "spec", f"{label}: expected an object (a software specification with fields "
                                  f"{', '.join(SPEC_FIELDS)}), got {_describe(spec)}; fix: give a JSON object")])
    doc = dict(spec)
    partial = not require_base_image
    if partial and "base_image" not in doc:
        doc["base_image"] = {"version": "0"}       # a placeholder, checked nowhere, dropped below
    _raise(_schema_problems(doc, where))
    problems = _semantic_problems(doc, where)
    for aid, alt in sorted((doc.get("alternative_images") or {}).items()):
        problems.extend(_semantic_problems(alt, _path(where, ["alternative_images", aid])))
    _raise(problems)
    out = _normalise_image(doc)
    if doc.get("alternative_images"):
        out["alternative_images"] = {}
        for aid, alt in sorted(doc["alternative_images"].items()):
            norm = _normalise_image(alt)
            norm["display_name"] = alt["display_name"]
            sel = {k: v for k, v in alt["selection_criteria"].items() if v is not None}
            if isinstance(sel.get("host_uuids"), list):
                sel["host_uuids"] = sorted(sel["host_uuids"])
            if isinstance(sel.get("host_hardware_spec"), Mapping):
                sel["host_hardware_spec"] = {k: sorted(v) if isinstance(v, list) else v
                                             for k, v in sel["host_hardware_spec"].items() if v is not None}
            norm["selection_criteria"] = sel
            out["alternative_images"][aid] = norm
    if partial:
        for key in ("base_image", "components"):
            if key not in spec:
                del out[key]
    return out


def is_valid(spec: Any) -> bool:
    """Whether ``spec`` passes :data:`SCHEMA` as it is (no normalisation, no semantic rules)."""
    return _validator().is_valid(spec)


def software_to_spec(software: Mapping[str, Any]) -> dict[str, Any]:
    """A ``software_info`` (``GET {target}/software`` or a draft's ``software``) as a normalised SoftwareSpec.

    ``software_info.components`` are the components of the spec (component_info {version, details}),
    ``removed_components`` a map whose keys are the removed names; details are dropped. Not validated: it is what
    vCenter holds.
    """
    def version(info: Any) -> Any:
        return info.get("version") if isinstance(info, Mapping) else info

    base = software.get("base_image") or {}
    out: dict[str, Any] = {"base_image": {"version": version(base)},
                           "components": {n: version(i) for n, i in sorted((software.get("components") or {}).items())}}
    add_on = software.get("add_on")
    if isinstance(add_on, Mapping) and add_on.get("name"):
        out["add_on"] = {"name": add_on["name"], "version": add_on.get("version")}
    solutions = software.get("solutions") or {}
    if solutions:
        out["solutions"] = {sid: {"version": sol.get("version"),
                                  "components": sorted(({"component": c.get("component")}
                                                        for c in sol.get("components") or []),
                                                       key=lambda c: str(c["component"]))}
                            for sid, sol in sorted(solutions.items())}
    packages = (software.get("hardware_support") or {}).get("packages") or {}
    if packages:
        out["hardware_support"] = {"packages": {m: {k: p[k] for k in ("pkg", "version") if p.get(k)}
                                                for m, p in sorted(packages.items())}}
    removed = software.get("removed_components") or {}
    if removed:
        out["removed_components"] = sorted(removed)
    return out


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def spec_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{"before": ..., "after": ...}`` for Ansible's ``--diff``: both specs with keys sorted (an absent spec is
    ``{}``). Fields equal on both sides are kept, so the diff reads as the whole desired image."""
    return {"before": _canonical(dict(before or {})), "after": _canonical(dict(after or {}))}


def spec_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """What differs between two normalised specs, one line per leaf (``components.i40en: 1.0 -> 1.1``,
    ``add_on: removed``), sorted; empty when they are equal."""
    out: list[str] = []

    def walk(b: Any, a: Any, path: str) -> None:
        if isinstance(b, Mapping) and isinstance(a, Mapping):
            for key in sorted(set(b) | set(a), key=str):
                sub = f"{path}.{key}" if path else str(key)
                if key not in a:
                    out.append(f"{sub}: removed (was {json.dumps(_canonical(b[key]))})")
                elif key not in b:
                    out.append(f"{sub}: added ({json.dumps(_canonical(a[key]))})")
                else:
                    walk(b[key], a[key], sub)
        elif b != a:
            out.append(f"{path}: {json.dumps(_canonical(b))} -> {json.dumps(_canonical(a))}")

    walk(dict(before or {}), dict(after or {}), "")
    return out
