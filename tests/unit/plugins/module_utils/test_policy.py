# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of _policy: scope paths, validation, building the ConfiguredPolicySpec, comparing."""

from __future__ import annotations

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _policy as pol
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import DEFAULTS as DEFAULTS_TARGET
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

CLUSTER = Target("cluster", "domain-c1", "Prod-01")
HOST = Target("host", "host-9", "esx-s")
DEFAULTS = DEFAULTS_TARGET
EFFECTIVE = {"failure_action": {"action": "RETRY", "retry_delay": 300, "retry_count": 3},
             "parallel_remediation_action": {"enabled": False}}


def test_scope_paths():
    assert pol.policy_path(CLUSTER) == "/api/esx/settings/clusters/domain-c1/policies/apply"
    assert pol.effective_path(CLUSTER) == pol.policy_path(CLUSTER) + "/effective"
    assert pol.policy_path(HOST) == "/api/esx/settings/hosts/host-9/policies/apply" and pol.effective_path(HOST) is None
    assert pol.policy_path(DEFAULTS) == "/api/esx/settings/defaults/clusters/policies/apply"


def test_parse_api_version():
    assert pol.parse_api_version("9.1.0.0") == (9, 1, 0, 0)
    assert pol.parse_api_version("8.0.3.0") == (8, 0, 3, 0)
    assert pol.parse_api_version(None) is None and pol.parse_api_version("") is None


def test_managed_options_are_only_the_set_ones():
    params = {"cluster": "x", "enable_quick_boot": False, "disable_dpm": None, "live_patch_mode": None}
    assert pol.managed_options(params) == {"enable_quick_boot": False}


def test_validate_live_patch_mode_needs_91():
    with pytest.raises(pol.PolicyError, match="live_patch_mode needs vCenter Server 9.1.*8.0.3.0.*enforce_quick_patch"):
        pol.validate(CLUSTER, {"live_patch_mode": "AUTO"}, (8, 0, 3, 0), "8.0.3.0")
    pol.validate(CLUSTER, {"live_patch_mode": "AUTO"}, (9, 1, 0, 0), "9.1.0.0")
    pol.validate(CLUSTER, {"enforce_quick_patch": True}, None)   # 8.0 U3 field: no version needed


def test_validate_host_scope_has_only_three_fields():
    pol.validate(HOST, {"failure_action": "FAIL", "enable_quick_boot": True,
                        "pre_remediation_power_action": "POWER_OFF_VMS"}, None)
    with pytest.raises(pol.PolicyError, match="disable_hac, parallel_remediation cannot be set for host 'esx-s'"):
        pol.validate(HOST, {"disable_hac": True, "parallel_remediation": True}, None)


def test_validate_live_patch_fields_mutually_exclusive():
    with pytest.raises(pol.PolicyError, match="mutually exclusive"):
        pol.validate(CLUSTER, {"live_patch_mode": "AUTO", "enforce_quick_patch": True}, (9, 1))


def test_desired_spec_keeps_unmanaged_fields_and_merges_structs():
    configured = {"disable_hac": True, "failure_action": {"action": "RETRY", "retry_count": 1, "retry_delay": None}}
    new = pol.desired_spec(configured, EFFECTIVE, {"failure_retry_delay": 30, "enable_quick_boot": True})
    assert new == {"disable_hac": True, "enable_quick_boot": True,
                   "failure_action": {"action": "RETRY", "retry_count": 1, "retry_delay": 30}}
    assert pol.changed_fields(configured, new) == ["enable_quick_boot", "failure_action"]


def test_retry_options_without_a_configured_action_use_the_effective_one():
    new = pol.desired_spec({}, EFFECTIVE, {"failure_retry_count": 5})
    assert new["failure_action"] == {"action": "RETRY", "retry_delay": 300, "retry_count": 5}
    with pytest.raises(pol.PolicyError, match="set failure_action"):
        pol.desired_spec({}, None, {"failure_retry_count": 5})


def test_fail_drops_retries_and_rejects_them():
    configured = {"failure_action": {"action": "RETRY", "retry_count": 2, "retry_delay": 10}}
    assert pol.desired_spec(configured, None, {"failure_action": "FAIL"})["failure_action"] == {"action": "FAIL"}
    with pytest.raises(pol.PolicyError, match="only with failure_action: RETRY"):
        pol.desired_spec({}, None, {"failure_action": "FAIL", "failure_retry_count": 1})


def test_parallel_remediation():
    new = pol.desired_spec({}, EFFECTIVE, {"parallel_max_hosts": 4})
    assert new["parallel_remediation_action"] == {"enabled": True, "max_hosts": 4}
    off = pol.desired_spec(new, EFFECTIVE, {"parallel_remediation": False})
    assert off["parallel_remediation_action"] == {"enabled": False}
    with pytest.raises(pol.PolicyError, match="only with parallel_remediation: true"):
        pol.desired_spec({}, EFFECTIVE, {"parallel_remediation": False, "parallel_max_hosts": 2})


def test_live_patch_mode_written_in_software_policy_spec_without_enforce_quick_patch():
    configured = {"enforce_quick_patch": True, "software_policy_spec": {"skip_reserved_vibs_caching": True}}
    new = pol.desired_spec(configured, None, {"live_patch_mode": "ENFORCE"})
    assert new == {"software_policy_spec": {"skip_reserved_vibs_caching": True,
                                            "live_patch_action": {"live_patch_mode": "ENFORCE_LIVE_PATCH"}}}


def test_equal_values_are_no_change_and_nulls_are_ignored():
    configured = {"enable_quick_boot": True, "disable_dpm": None}
    new = pol.desired_spec(configured, None, {"enable_quick_boot": True})
    assert pol.changed_fields(configured, new) == []
