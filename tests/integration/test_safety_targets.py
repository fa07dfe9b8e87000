# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 8, reproductions 1-3: a target is only what the user named, and bad input changes nothing.

On main before the fix: `{"host": null}`, `host: ''`, `{"cluster": null}` and `defaults: false` on
remediation_policy wrote the policy of cluster Tiny-01; `hosts: []` meant the whole cluster; a negative
wait_timeout started the stage task and then failed with changed: false. Each case here must fail with a
message naming the option, before any mutating call (the simulator's call counters prove it).
"""

from __future__ import annotations

import json

import pytest

SIM_SCENARIO = "tiny"
REST_ONLY = True
CLUSTER = "Tiny-01"
T1 = "esxi-t1.lab.local"


def run_module(run_playbook, module, args, extra=None):
    result = run_playbook(f"""
        - name: act
          vsphere.lifecycle.{module}: {json.dumps(args)}
    """, extra_args=extra)
    return result, result.task("act")


@pytest.mark.parametrize(("args", "option", "text"), [
    ({"host": None, "failure_action": "FAIL"}, "cluster / host / defaults", "no target"),
    ({"host": "", "failure_action": "FAIL"}, "host", "host is empty"),
    ({"cluster": None, "failure_action": "FAIL"}, "cluster / host / defaults", "no target"),
    ({"cluster": "   ", "failure_action": "FAIL"}, "cluster", "cluster is empty"),
    ({"defaults": False, "failure_action": "FAIL"}, "cluster / host / defaults", "defaults: false selects nothing"),
    ({"cluster": CLUSTER, "datacenter": "", "failure_action": "FAIL"}, "datacenter", "datacenter is empty"),
])
def test_policy_with_an_empty_or_null_target_writes_nothing(sim, run_playbook, counters, args, option, text):
    before = {c["name"]: c["policies"] for c in sim.state()["clusters"]}
    result, out = run_module(run_playbook, "remediation_policy", args)
    assert not result.ok and result.status("act") == "failed", out
    assert text in out["msg"] and out.get("option") == option and out["changed"] is False, out
    assert sim.mutating_calls() == {}
    assert counters()["logins"]["rest"] == 0          # refused before the first call to vCenter
    assert {c["name"]: c["policies"] for c in sim.state()["clusters"]} == before


@pytest.mark.parametrize("module", ["compliance", "stage", "remediate"])
@pytest.mark.parametrize(("args", "option", "text"), [
    ({"cluster": CLUSTER, "hosts": []}, "hosts", "hosts is an empty list"),
    ({"cluster": CLUSTER, "hosts": [T1, ""]}, "hosts[1]", "hosts[1] is empty"),
    ({"host": ""}, "host", "host is empty"),
    ({"host": None}, "cluster / host", "no target"),
])
def test_empty_host_lists_and_names_never_mean_everything(sim, run_playbook, counters, module, args, option, text):
    if module == "remediate":
        args = {**args, "accept_eula": True}
    result, out = run_module(run_playbook, module, args, extra=["--check"] if module == "remediate" else None)
    assert not result.ok and text in out["msg"] and out.get("option") == option, out
    assert "unexpected error" not in out["msg"]
    assert counters()["logins"]["rest"] == 0 and sim.mutating_calls() == {}


@pytest.mark.parametrize("value", [-1, 0])
def test_a_wait_timeout_that_cannot_be_waited_is_refused_before_the_stage(sim, run_playbook, counters, value):
    result, out = run_module(run_playbook, "stage", {"cluster": CLUSTER, "hosts": [T1], "wait_timeout": value})
    assert not result.ok and out["msg"].startswith(f"wait_timeout must be a positive number of seconds (got {value})")
    assert sim.mutating_calls() == {} and counters()["downloads"] == 0
    assert {h["name"]: h["staged_commit"] for h in sim.state()["hosts"]}[T1] is None


def test_a_stage_that_outlasts_wait_timeout_reports_the_change(sim, run_playbook, counters):
    """The task started (something changes in vCenter) and was still running when the module gave up."""
    sim.add_faults({"type": "host_stall", "host": T1, "phase": "download", "seconds": 60})
    result, out = run_module(run_playbook, "stage", {"cluster": CLUSTER, "hosts": [T1], "wait_timeout": 1})
    assert not result.ok
    assert out["changed"] is True and out["stage_task"] and "did not finish within 1 seconds" in out["msg"]
    assert sim.faults() == []                          # the stall was taken by the download
    task = next(t for t in sim.state()["tasks"] if t["id"] == out["stage_task"])
    assert task["operation"].endswith(".stage") and task["status"] == "RUNNING"
    assert counters()["calls"]["POST /api/esx/settings/clusters/{cluster}/software?action=stage"] == 1
