# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_image.check_spec over generated and mutated software specs (hypothesis).

Valid specs come from a strategy that follows the bindings' SoftwareSpec; mutations then break them (wrong types,
unknown fields, missing required fields, huge and non-ASCII strings, non-string keys, nested junk). Whatever comes
in, check_spec either raises ImageSpecError whose every problem starts with a field path under ``spec``, or returns
a normalised spec that the JSON Schema accepts as it is; never another exception. Each property counts the examples
it ran and asserts the count, so a run that silently generated nothing fails.
"""
from __future__ import annotations

import json
import os
import string

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _image as image
from ansible_collections.vsphere.lifecycle.plugins.module_utils._image import ImageSpecError, check_spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = dict(deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


def _record(test: str, examples: int) -> None:
    """Append this property's example count to $VLCM_FUZZ_COUNTS (JSON lines) when set: the reliability table's
    "fuzzed specs" figure (tests/reliability/fuzz_count.py) sums them."""
    path = os.environ.get("VLCM_FUZZ_COUNTS")
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps({"test": test, "examples": examples}) + "\n")


ID_CHARS = string.ascii_letters + string.digits + "._:+-"
ids = st.builds(lambda a, b: a + b, st.sampled_from(string.ascii_letters + string.digits + "_"),
                st.text(ID_CHARS, max_size=30))
versions = st.text(string.ascii_letters + string.digits + ".-_+~", min_size=1, max_size=30)


@st.composite
def image_parts(draw: st.DrawFn) -> dict:
    spec: dict = {"base_image": {"version": draw(versions)}}
    if draw(st.booleans()):
        spec["add_on"] = draw(st.one_of(st.none(), st.fixed_dictionaries({"name": ids, "version": versions})))
    comps = draw(st.dictionaries(ids, st.one_of(st.none(), versions), max_size=6))
    if comps or draw(st.booleans()):
        spec["components"] = comps if comps or draw(st.booleans()) else None
    if draw(st.booleans()):
        spec["solutions"] = draw(st.dictionaries(ids, st.fixed_dictionaries({
            "version": versions, "components": st.lists(st.fixed_dictionaries({"component": ids}), max_size=3)}),
            max_size=2))
    if draw(st.booleans()):
        spec["hardware_support"] = {"packages": draw(st.dictionaries(ids, st.fixed_dictionaries(
            {}, optional={"pkg": st.one_of(st.none(), ids), "version": st.one_of(st.none(), versions)}), max_size=2))}
    if draw(st.booleans()):
        removed = draw(st.lists(ids, unique=True, max_size=4))
        spec["removed_components"] = [r for r in removed if r not in comps]
    return spec


@st.composite
def valid_specs(draw: st.DrawFn) -> dict:
    spec = draw(image_parts())
    if draw(st.integers(0, 5)) == 0:
        alts = {}
        for aid in draw(st.lists(ids, unique=True, min_size=1, max_size=2)):
            alt = draw(image_parts())
            alt["display_name"] = draw(st.text(min_size=1, max_size=20).filter(lambda s: s.strip()))
            kind = draw(st.sampled_from(["HOST_UUID", "HOST_HARDWARE_SPEC", "UNKNOWN"]))
            sel: dict = {"selection_type": kind}
            if kind == "HOST_UUID":
                sel["host_uuids"] = draw(st.lists(st.uuids().map(str), unique=True, min_size=1, max_size=2))
            elif kind == "HOST_HARDWARE_SPEC":
                sel["host_hardware_spec"] = {"vendor": "Dell Inc.", "models": ["PowerEdge R750"]}
            alt["selection_criteria"] = sel
            alts[aid] = alt
        spec["alternative_images"] = alts
    return spec


junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
              st.text(alphabet=st.characters(min_codepoint=0x80), min_size=1, max_size=10),
              st.just("x" * 5000), st.binary(max_size=5)),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), children, max_size=3)),
    max_leaves=8)


def _containers(value: object, path: tuple = ()) -> list[tuple[tuple, object]]:
    """Every dict and list in ``value`` with its path (to pick where a mutation goes)."""
    out: list[tuple[tuple, object]] = []
    if isinstance(value, dict):
        out.append((path, value))
        for key, sub in value.items():
            out.extend(_containers(sub, (*path, key)))
    elif isinstance(value, list):
        out.append((path, value))
        for pos, sub in enumerate(value):
            out.extend(_containers(sub, (*path, pos)))
    return out


def _expected_prefix(path: tuple) -> str:
    return "spec" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _assert_outcome(spec: object) -> str:
    """check_spec's contract for any input; returns 'valid' or 'error'."""
    try:
        out = check_spec(spec)
    except ImageSpecError as exc:
        assert exc.path and exc.path.startswith("spec"), exc.path
        assert str(exc).startswith(exc.path), str(exc)
        assert exc.problems and all(p.startswith("spec") and "fix:" in p for p in exc.problems), exc.problems
        return "error"
    assert image.is_valid(out), out
    assert check_spec(out) == out                       # normalisation is stable
    json.dumps(out)                                     # plain JSON data
    return "valid"


def test_generated_valid_specs_pass_and_normalise() -> None:
    seen = {"n": 0}

    @settings(max_examples=1000, **SETTINGS)
    @given(valid_specs())
    def prop(spec: dict) -> None:
        seen["n"] += 1
        out = check_spec(spec)
        assert image.is_valid(out)
        assert out["base_image"] == spec["base_image"]
        assert out["components"] == (spec.get("components") or {})
        assert list(out["components"]) == sorted(out["components"])
        assert out.get("add_on") == spec.get("add_on")
        assert out.get("removed_components", []) == sorted(spec.get("removed_components") or [])
        assert set(out.get("alternative_images", {})) == set(spec.get("alternative_images") or {})
        assert check_spec(out) == out

    prop()
    print(f"generated valid specs: {seen['n']} examples")
    _record("generated valid specs", seen["n"])
    assert seen["n"] >= 1000


# mutations that always make a spec invalid: (name, function(spec, data) -> path of the damage)
def _drop_base_image(spec: dict, data: st.DataObject) -> tuple:
    del spec["base_image"]
    return ("base_image",)


def _unknown_field(spec: dict, data: st.DataObject) -> tuple:
    containers = [(p, c) for p, c in _containers(spec) if isinstance(c, dict) and p[-1:] not in
                  (("components",), ("packages",), ("solutions",), ("alternative_images",))]
    path, target = data.draw(st.sampled_from(containers))
    key = data.draw(st.sampled_from(["bogus", "Base_Image", "versions", "ñame", "x" * 300]))
    target[key] = data.draw(junk)
    return path


def _wrong_version_type(spec: dict, data: st.DataObject) -> tuple:
    spec["base_image"]["version"] = data.draw(st.one_of(st.integers(), st.floats(), st.booleans(), st.none(),
                                                        st.just(""), st.just(" "), st.lists(st.integers())))
    return ("base_image", "version")


def _bad_component_name(spec: dict, data: st.DataObject) -> tuple:
    comps = spec.get("components") or {}
    name = data.draw(st.one_of(st.just(""), st.just("with space"), st.just("a/b"), st.just("é" * 3),
                               st.just("n" * 1000), st.integers()))
    comps[name] = "1.0"
    spec["components"] = comps
    return ("components",)


def _component_version_junk(spec: dict, data: st.DataObject) -> tuple:
    comps = spec.get("components") or {}
    comps["i40en"] = data.draw(st.one_of(st.integers(), st.floats(), st.booleans(), st.just(""),
                                         st.dictionaries(st.text(max_size=3), junk, min_size=1, max_size=2),
                                         st.lists(junk, max_size=2)))
    spec.pop("removed_components", None)
    spec["components"] = comps
    return ("components", "i40en")


def _not_an_object(spec: dict, data: st.DataObject) -> tuple:
    field = data.draw(st.sampled_from(["base_image", "add_on", "hardware_support", "components", "solutions"]))
    spec[field] = data.draw(st.one_of(st.integers(), st.text(min_size=1, max_size=5),
                                      st.lists(st.integers(), min_size=1)))
    return (field,)


def _missing_add_on_field(spec: dict, data: st.DataObject) -> tuple:
    spec["add_on"] = {data.draw(st.sampled_from(["name", "version"])): "x"}
    return ("add_on",)


def _removed_and_added(spec: dict, data: st.DataObject) -> tuple:
    spec.setdefault("components", None)
    spec["components"] = {**(spec["components"] or {}), "dup": "1"}
    spec["removed_components"] = ["dup"]
    return ("removed_components",)


def _removed_not_list(spec: dict, data: st.DataObject) -> tuple:
    spec["removed_components"] = data.draw(st.one_of(st.just("abc"), st.just({"a": 1}), st.just(["a", "a"]),
                                                     st.lists(st.integers(), min_size=1, max_size=2)))
    return ("removed_components",)


MUST_FAIL = [_drop_base_image, _unknown_field, _wrong_version_type, _bad_component_name, _component_version_junk,
             _not_an_object, _missing_add_on_field, _removed_and_added, _removed_not_list]


def test_mutated_specs_fail_naming_the_field() -> None:
    seen = {"n": 0, "by": dict.fromkeys(m.__name__ for m in MUST_FAIL)}

    @settings(max_examples=1000, **SETTINGS)
    @given(valid_specs(), st.sampled_from(MUST_FAIL), st.data())
    def prop(spec: dict, mutation, data: st.DataObject) -> None:
        seen["n"] += 1
        seen["by"][mutation.__name__] = (seen["by"][mutation.__name__] or 0) + 1
        where = mutation(spec, data)
        try:
            check_spec(spec)
        except ImageSpecError as exc:
            assert _assert_outcome(spec) == "error"
            prefix = _expected_prefix(where)
            # some problem is at the damaged place, inside it, or at the object holding it
            parent = _expected_prefix(where[:-1])
            assert any(p.startswith(prefix) or p.startswith(parent + ".") or p.startswith(parent + "[")
                       or p.startswith(parent + ":") for p in exc.problems), (where, exc.problems)
        else:
            raise AssertionError(f"{mutation.__name__} at {where} was accepted: {spec!r}"[:500])

    prop()
    print(f"mutated specs (must fail): {seen['n']} examples, by mutation: {seen['by']}")
    _record("mutated specs (must fail)", seen["n"])
    assert seen["n"] >= 1000
    assert all(seen["by"].values()), seen["by"]         # every kind of damage was tried


def _replace_anywhere(spec: dict, data: st.DataObject) -> None:
    path, target = data.draw(st.sampled_from(_containers(spec)))
    if isinstance(target, dict) and target:
        key = data.draw(st.sampled_from(sorted(target, key=str)))
        target[key] = data.draw(junk)
    elif isinstance(target, list) and target:
        target[data.draw(st.integers(0, len(target) - 1))] = data.draw(junk)
    elif isinstance(target, dict):
        target[data.draw(st.one_of(st.text(max_size=5), st.integers()))] = data.draw(junk)


def test_randomly_damaged_specs_never_raise_anything_else() -> None:
    seen = {"n": 0, "valid": 0, "error": 0}

    @settings(max_examples=1000, **SETTINGS)
    @given(valid_specs(), st.integers(1, 3), st.data())
    def prop(spec: dict, times: int, data: st.DataObject) -> None:
        seen["n"] += 1
        for _step in range(times):
            _replace_anywhere(spec, data)
        seen[_assert_outcome(spec)] += 1

    prop()
    print(f"randomly damaged specs: {seen}")
    _record("randomly damaged specs", seen["n"])
    assert seen["n"] >= 1000
    # both outcomes are reached: junk sometimes lands where null is allowed, mostly where it is not
    assert seen["valid"] > 0 and seen["error"] > 0, seen


@settings(max_examples=300, **SETTINGS)
@given(junk)
def test_any_junk_at_the_top(value: object) -> None:
    assert _assert_outcome(value) in ("valid", "error")
