# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection argument spec and its doc fragment must describe the same options."""
from __future__ import annotations

import yaml
from ansible_collections.vsphere.lifecycle.plugins.doc_fragments.vcenter import ModuleDocFragment
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import vcenter_argument_spec


def test_fragment_documents_the_spec_one_to_one():
    spec = vcenter_argument_spec()
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert set(spec) == set(documented)
    for name, option in spec.items():
        doc = documented[name]
        assert doc["type"] == option["type"], name
        assert doc.get("default") == option.get("default"), name
        assert bool(doc.get("required")) == bool(option.get("required")), name
        assert sorted(doc.get("aliases", [])) == sorted(option.get("aliases", [])), name
        for variable in (option.get("fallback") or (None, []))[1]:
            assert f"E({variable})" in " ".join(doc["description"]), (name, variable)


def test_password_is_no_log_and_env_fallbacks_are_awx_names():
    spec = vcenter_argument_spec()
    assert spec["password"]["no_log"] is True
    fallbacks = {name: option["fallback"][1][0] for name, option in spec.items() if "fallback" in option}
    assert fallbacks == {"hostname": "VMWARE_HOST", "username": "VMWARE_USER", "password": "VMWARE_PASSWORD",
                         "port": "VMWARE_PORT", "validate_certs": "VMWARE_VALIDATE_CERTS",
                         "ca_path": "VMWARE_CA_PATH"}


def test_target_fragments_document_the_target_spec_one_to_one():
    from ansible_collections.vsphere.lifecycle.plugins.doc_fragments.target import ModuleDocFragment as Target
    from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import target_argument_spec

    base = yaml.safe_load(Target.DOCUMENTATION)["options"]
    hosts = yaml.safe_load(Target.HOSTS)["options"]
    assert set(target_argument_spec(hosts=False)) == set(base)
    assert set(target_argument_spec(hosts=True)) == set(base) | set(hosts)
    for name, option in target_argument_spec(hosts=True).items():
        doc = {**base, **hosts}[name]
        assert doc["type"] == option["type"], name
        assert doc.get("elements") == option.get("elements"), name
        assert "required" not in doc and "default" not in doc, name
