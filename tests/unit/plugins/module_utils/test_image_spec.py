# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_image: the software spec schema against the bindings, messages that name the field, normalisation, diff."""
from __future__ import annotations

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _image as image
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import OptionError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._image import (
    ImageSpecError,
    check_spec,
    software_to_spec,
    spec_changes,
    spec_diff,
)

BASE = {"version": "8.0.3-0.35.24280767"}


def _error(spec, **kwargs) -> ImageSpecError:
    with pytest.raises(ImageSpecError) as info:
        check_spec(spec, **kwargs)
    return info.value


def test_schema_fields_are_the_bindings_software_spec() -> None:
    bindings = pytest.importorskip("com.vmware.esx.settings_client")
    fields = set(bindings.SoftwareSpec.get_binding_type().get_field_names())
    assert set(image.SCHEMA["properties"]) == fields
    alt = set(bindings.AlternativeImageSpec.get_binding_type().get_field_names())
    assert set(image.SCHEMA["$defs"]["alternative_image_spec"]["properties"]) == alt
    pkg = set(bindings.HardwareSupportPackageSpec.get_binding_type().get_field_names())
    hsp = image.SCHEMA["$defs"]["hardware_support_spec"]["properties"]["packages"]["additionalProperties"]
    assert set(hsp["properties"]) == pkg


def test_a_full_spec_is_normalised() -> None:
    out = check_spec({"base_image": BASE, "add_on": {"name": "DEL-ESXi", "version": "803.A02"},
                      "components": {"i40en": "2.6", "VMware-NVMe-PL": None}, "solutions": None,
                      "hardware_support": {"packages": {"com.dell.openmanage": {"pkg": "Dell-R750", "version": None}}},
                      "removed_components": ["vmware-fdm", "VMware-VM-Tools"]})
    assert out == {"base_image": BASE, "add_on": {"name": "DEL-ESXi", "version": "803.A02"},
                   "components": {"VMware-NVMe-PL": None, "i40en": "2.6"},
                   "hardware_support": {"packages": {"com.dell.openmanage": {"pkg": "Dell-R750"}}},
                   "removed_components": ["VMware-VM-Tools", "vmware-fdm"]}
    assert list(out["components"]) == ["VMware-NVMe-PL", "i40en"]


def test_the_message_names_the_field_and_the_fix() -> None:
    exc = _error({"base_image": BASE, "components": {"i40en": 5}})
    assert exc.path == "spec.components.i40en"
    assert str(exc).startswith("spec.components.i40en: expected a version string or null, got 5; fix: ")
    assert isinstance(exc, OptionError)                 # the module base reports it as a clean failure


@pytest.mark.parametrize(("spec", "path", "words"), [
    ({}, "spec.base_image", "required"),
    ({"base_image": {}}, "spec.base_image.version", "required"),
    ({"base_image": {"version": 8.0}}, "spec.base_image.version", "got 8.0"),
    ({"base_image": BASE, "addon": {}}, "spec.addon", "not a field of spec"),
    ({"base_image": BASE, "add_on": {"name": "X"}}, "spec.add_on.version", "required"),
    ({"base_image": BASE, "components": ["i40en"]}, "spec.components", "expected an object"),
    ({"base_image": BASE, "components": {"bad name": "1"}}, 'spec.components["bad name"]', "not a valid name"),
    ({"base_image": BASE, "components": {3: "1"}}, "spec.components[3]", "not a valid name"),
    ({"base_image": BASE, "removed_components": ["a", "a"]}, "spec.removed_components", "more than once"),
    ({"base_image": BASE, "components": {"a": "1"}, "removed_components": ["a"]}, "spec.removed_components",
     "'a' is also set in spec.components"),
    ({"base_image": BASE, "hardware_support": {"packages": {"m": {"pkg": "p", "vers": "1"}}}},
     "spec.hardware_support.packages.m.vers", "not a field"),
    ({"base_image": BASE, "solutions": {"s": {"version": "1"}}}, "spec.solutions.s.components", "required"),
    ({"base_image": BASE, "alternative_images": {"a": {"base_image": BASE, "display_name": "x",
                                                       "selection_criteria": {"selection_type": "HOST_UUID"}}}},
     "spec.alternative_images.a.selection_criteria.host_uuids", "required"),
    ("text", "spec", "expected an object"),
    (None, "spec", "expected an object"),
])
def test_bad_specs(spec, path, words) -> None:
    exc = _error(spec)
    assert exc.path == path, str(exc)
    assert words in str(exc)
    assert "fix:" in str(exc)


def test_where_prefixes_every_path_and_all_problems_are_listed() -> None:
    exc = _error({"base_image": {"version": ""}, "add_on": {"name": "a b", "version": 1}}, where="image.json")
    assert exc.problems and all(p.startswith("image.json.") for p in exc.problems)
    assert {p.split(":")[0] for p in exc.problems} == {"image.json.base_image.version", "image.json.add_on.name",
                                                       "image.json.add_on.version"}


def test_a_huge_or_recursive_value_gives_a_short_message() -> None:
    exc = _error({"base_image": {"version": "x" * 100000}})
    assert len(str(exc)) < 600 and "100000 characters" in str(exc)
    loop: dict = {}
    loop["base_image"] = loop
    assert _error(loop).path.startswith("spec.base_image")


def test_partial_spec_for_a_module() -> None:
    assert check_spec({"components": {"i40en": "2.6"}}, require_base_image=False) == {"components": {"i40en": "2.6"}}
    assert check_spec({"add_on": {"name": "A", "version": "1"}}, require_base_image=False) == {
        "add_on": {"name": "A", "version": "1"}}
    assert _error({"components": {"i40en": 1}}, require_base_image=False).path == "spec.components.i40en"


def test_software_info_to_spec_and_back() -> None:
    info = {"base_image": {"version": "8.0.3-0.35.24280767", "details": {"display_name": "ESXi"}},
            "add_on": {"name": "DEL-ESXi", "version": "A02", "details": {}},
            "components": {"i40en": {"version": "2.6", "details": {"vendor": "Intel"}}},
            "solutions": {}, "hardware_support": {"packages": {"m": {"pkg": "p", "version": ""}}},
            "removed_components": {"vmware-fdm": {"version": "8.0.3", "details": {}}}}
    spec = software_to_spec(info)
    assert spec == {"base_image": {"version": "8.0.3-0.35.24280767"}, "add_on": {"name": "DEL-ESXi", "version": "A02"},
                    "components": {"i40en": "2.6"}, "hardware_support": {"packages": {"m": {"pkg": "p"}}},
                    "removed_components": ["vmware-fdm"]}
    assert check_spec(spec) == spec
    # a desired spec with the package version left out compares equal to what vCenter then holds
    assert check_spec({"base_image": spec["base_image"], "add_on": spec["add_on"], "components": {"i40en": "2.6"},
                       "hardware_support": {"packages": {"m": {"pkg": "p", "version": None}}},
                       "removed_components": ["vmware-fdm"]}) == spec


def test_diff_and_changes() -> None:
    before = {"base_image": {"version": "1"}, "components": {"a": "1", "b": "1"}, "add_on": {"name": "X", "version": "1"}}
    after = {"base_image": {"version": "2"}, "components": {"a": "1", "c": None}}
    diff = spec_diff(before, after)
    assert diff == {"before": {"add_on": {"name": "X", "version": "1"}, "base_image": {"version": "1"},
                               "components": {"a": "1", "b": "1"}},
                    "after": {"base_image": {"version": "2"}, "components": {"a": "1", "c": None}}}
    assert list(diff["before"]) == ["add_on", "base_image", "components"]
    assert spec_changes(before, after) == ['add_on: removed (was {"name": "X", "version": "1"})',
                                           'base_image.version: "1" -> "2"', 'components.b: removed (was "1")',
                                           "components.c: added (null)"]
    assert spec_changes(after, after) == []
    assert spec_diff(None, after)["before"] == {}
