# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.remediation_policy through ansible-playbook against vlcmsim (tiny scenario = vCenter 8.0 U3)."""

from __future__ import annotations

import pytest

SIM_SCENARIO = "tiny"
CLUSTER = "Tiny-01"
STANDALONE = "esxi-ts.lab.local"
PUT_CLUSTER = "PUT /api/esx/settings/clusters/{cluster}/policies/apply"
PUT_HOST = "PUT /api/esx/settings/hosts/{host}/policies/apply"
PUT_DEFAULTS = "PUT /api/esx/settings/defaults/clusters/policies/apply"


def cluster_policies(sim):
    return {c["name"]: c for c in sim.state()["clusters"]}[CLUSTER]["policies"]


# (module options, expected ConfiguredPolicySpec fields written)
CASES = [
    ({"failure_action": "RETRY", "failure_retry_count": 2, "failure_retry_delay": 60},
     {"failure_action": {"action": "RETRY", "retry_count": 2, "retry_delay": 60}}),
    ({"failure_action": "FAIL"}, {"failure_action": {"action": "FAIL"}}),
    ({"pre_remediation_power_action": "POWER_OFF_VMS"}, {"pre_remediation_power_action": "POWER_OFF_VMS"}),
    ({"enable_quick_boot": True}, {"enable_quick_boot": True}),
    ({"disable_dpm": False}, {"disable_dpm": False}),
    ({"disable_hac": True}, {"disable_hac": True}),
    ({"evacuate_offline_vms": True}, {"evacuate_offline_vms": True}),
    ({"enforce_hcl_validation": True}, {"enforce_hcl_validation": True}),
    ({"parallel_remediation": True, "parallel_max_hosts": 2},
     {"parallel_remediation_action": {"enabled": True, "max_hosts": 2}}),
    ({"enforce_quick_patch": True}, {"enforce_quick_patch": True}),
]


def _yaml_options(options):
    return "\n".join(f"            {k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in options.items())


@pytest.mark.parametrize(("options", "expected"), CASES, ids=[next(iter(o)) for o, _ in CASES])
def test_each_option_set_then_unchanged_with_diff(sim, run_playbook, counters, options, expected):
    body = _yaml_options(options)
    result = run_playbook(f"""
        - name: set
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
{body}
          diff: true
        - name: again
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
{body}
    """, extra_args=["--diff"])
    assert result.ok, result.output
    first, again = result.task("set"), result.task("again")
    assert first["changed"] is True and sorted(first["changed_fields"]) == sorted(expected)
    for key, value in expected.items():
        assert first["policy"][key] == value
        assert first["diff"]["after"][key] == value and key not in first["diff"]["before"]
        assert cluster_policies(sim)[key] == value          # written to vCenter
        assert first["effective"][key] == value              # and in effect
    assert again["changed"] is False and again["changed_fields"] == []
    assert counters()["calls"].get(PUT_CLUSTER) == 1         # the second run wrote nothing


def test_unset_options_are_unmanaged(sim, run_playbook):
    result = run_playbook(f"""
        - name: first
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            enable_quick_boot: true
            failure_action: RETRY
            failure_retry_count: 1
        - name: second
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            disable_hac: true
            failure_retry_delay: 30
    """)
    assert result.ok, result.output
    assert result.task("second")["changed_fields"] == ["disable_hac", "failure_action"]
    assert cluster_policies(sim) == {"enable_quick_boot": True, "disable_hac": True,
                                     "failure_action": {"action": "RETRY", "retry_count": 1, "retry_delay": 30}}


def test_check_mode_writes_nothing(sim, run_playbook, counters):
    result = run_playbook(f"""
        - name: would
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            disable_dpm: false
          check_mode: true
    """)
    assert result.ok, result.output
    out = result.task("would")
    assert out["changed"] is True and out["policy"]["disable_dpm"] is False
    assert counters()["calls"].get(PUT_CLUSTER) is None and cluster_policies(sim) == {}


def test_standalone_host_and_global_defaults(sim, run_playbook, counters):
    result = run_playbook(f"""
        - name: host
          vsphere.lifecycle.remediation_policy:
            host: {STANDALONE}
            enable_quick_boot: true
            pre_remediation_power_action: SUSPEND_VMS
        - name: defaults
          vsphere.lifecycle.remediation_policy:
            defaults: true
            parallel_remediation: true
            parallel_max_hosts: 4
        - name: cluster_inherits
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            enable_quick_boot: false
        - name: host_only_option
          vsphere.lifecycle.remediation_policy:
            host: {STANDALONE}
            disable_hac: true
          ignore_errors: true
    """)
    assert result.ok, result.output
    host, defaults, cluster = result.task("host"), result.task("defaults"), result.task("cluster_inherits")
    assert host["changed"] is True and host["policy"] == {"enable_quick_boot": True,
                                                          "pre_remediation_power_action": "SUSPEND_VMS"}
    assert "effective" not in host
    assert defaults["changed"] is True and defaults["scope"]["type"] == "defaults"
    assert defaults["policy"]["parallel_remediation_action"] == {"enabled": True, "max_hosts": 4}
    # the cluster did not configure parallel remediation: the global default is in effect there
    assert cluster["effective"]["parallel_remediation_action"] == {"enabled": True, "max_hosts": 4}
    bad = result.task("host_only_option")
    assert "disable_hac" in bad["msg"] and "standalone host" in bad["msg"]
    calls = counters()["calls"]
    assert calls.get(PUT_HOST) == 1 and calls.get(PUT_DEFAULTS) == 1 and calls.get(PUT_CLUSTER) == 1
    # the rejected set left the host's policy as the first task wrote it: read it back from vCenter
    assert host_policies(sim, STANDALONE) == host["policy"]


def host_policies(sim, name):
    """The host's configured apply policy as vCenter returns it (GET .../hosts/{host}/policies/apply)."""
    http = sim.session()
    try:
        r = http.get(f"{sim.url}/api/esx/settings/hosts/{sim.ids().host[name]}/policies/apply", timeout=30)
        assert r.status_code == 200, r.text
        return r.json()
    finally:
        http.delete(f"{sim.url}/api/session", timeout=30)


def test_live_patch_mode_on_80u3_is_a_clear_error_before_any_put(sim, run_playbook, counters):
    result = run_playbook(f"""
        - name: live
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            live_patch_mode: AUTO
    """)
    assert not result.ok
    msg = result.task("live")["msg"]
    assert "live_patch_mode needs vCenter Server 9.1" in msg and "8.0.3" in msg and "enforce_quick_patch" in msg
    assert sim.mutating_calls() == {}
    assert cluster_policies(sim) == {}                       # re-read: nothing was written
