# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 8, reproduction 11: remediation_policy numbers vLCM refuses fail before any call to vCenter, naming the
module option, its range and the fix; in check mode too (no predicted change). Ranges: failure retry count and
delay 0 or more (counts in the bindings), parallel remediation 1-96 hosts (vLCM's limit)."""

from __future__ import annotations

import pytest

SIM_SCENARIO = "tiny"
SIM_TIME_SCALE = 0.001
REST_ONLY = True


def policy_of(sim):
    return {c["name"]: c for c in sim.state()["clusters"]}["Tiny-01"]["policies"]


def writes(counters):
    return {k: v for k, v in counters["calls"].items()
            if not k.startswith("GET ") and k not in ("POST /api/session", "DELETE /api/session")}


@pytest.mark.parametrize("check", [False, True], ids=["apply", "check-mode"])
@pytest.mark.parametrize(("options", "says"), [
    ({"failure_action": "RETRY", "failure_retry_count": -1}, ["failure_retry_count is -1", "give 0-100"]),
    ({"failure_action": "RETRY", "failure_retry_delay": -30}, ["failure_retry_delay is -30", "give 0 or more"]),
    ({"parallel_max_hosts": -2}, ["parallel_max_hosts is -2", "give 1-96"]),
    ({"parallel_max_hosts": 0}, ["parallel_max_hosts is 0", "give 1-96"]),
    ({"parallel_max_hosts": 97}, ["parallel_max_hosts is 97", "give 1-96"]),
    ({"failure_action": "RETRY", "failure_retry_count": -1, "failure_retry_delay": -1},
     ["failure_retry_count is -1", "failure_retry_delay is -1"]),
], ids=["retry-count", "retry-delay", "max-hosts-negative", "max-hosts-zero", "max-hosts-97", "both"])
def test_out_of_range_numbers_fail_before_any_call(sim, run_playbook, options, says, check):
    before = policy_of(sim)
    body = "".join(f"        {k}: {v}\n" for k, v in options.items())
    result = run_playbook("""
    - name: policy
      vsphere.lifecycle.remediation_policy:
        cluster: Tiny-01
""" + body, extra_args=["--check"] if check else None)
    assert not result.ok
    failure = result.task("policy")
    assert failure["changed"] is False
    for text in says:
        assert text in failure["msg"], failure["msg"]
    assert "nothing was changed" in failure["msg"]
    for api_field in ("retry_count'", "retry_delay'", "max_hosts'", "INVALID_ARGUMENT"):
        assert api_field not in failure["msg"]  # the module option is named, not vCenter's field
    counters = sim.counters()
    assert writes(counters) == {} and counters["logins"]["rest"] == 0  # checked before any call
    assert policy_of(sim) == before


@pytest.mark.parametrize(("options", "field", "expected"), [
    ({"failure_action": "RETRY", "failure_retry_count": 0, "failure_retry_delay": 0}, "failure_action",
     {"action": "RETRY", "retry_count": 0, "retry_delay": 0}),
    ({"parallel_max_hosts": 96}, "parallel_remediation_action", {"enabled": True, "max_hosts": 96}),
    ({"parallel_max_hosts": 1}, "parallel_remediation_action", {"enabled": True, "max_hosts": 1}),
], ids=["retry-zero", "max-hosts-96", "max-hosts-1"])
def test_range_limits_are_accepted(sim, run_playbook, options, field, expected):
    body = "".join(f"        {k}: {v}\n" for k, v in options.items())
    result = run_playbook("""
    - name: policy
      vsphere.lifecycle.remediation_policy:
        cluster: Tiny-01
""" + body)
    assert result.ok, result.output
    assert result.task("policy")["changed"] is True
    assert result.task("policy")["policy"][field] == expected
