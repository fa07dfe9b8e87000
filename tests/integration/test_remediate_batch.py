# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.remediate_batch through ansible-playbook against vlcmsim's rolling scenario (HTTPS): a batch
enters maintenance mode together, is remediated in parallel and exits; the parallel remediation policy is restored
(read back); a failing host is the only one left in maintenance mode and is named; check mode, a second run and
bad input change nothing. Judged by /sim/state, /sim/counters and /sim/events."""

from __future__ import annotations

SIM_SCENARIO = "rolling"
CLUSTER = "Rolling-16"
BATCH = ["esxi-r01.lab.local", "esxi-r02.lab.local", "esxi-r03.lab.local"]
APPLY = "POST /api/esx/settings/clusters/{cluster}/software?action=apply"


def hosts_by_name(sim):
    return {h["name"]: h for h in sim.state()["hosts"]}


def policy(sim, cluster=CLUSTER):
    """The configured apply policy, read back through the REST API."""
    http = sim.session()
    try:
        path = f"{sim.url}/api/esx/settings/clusters/{sim.ids().cluster[cluster]}/policies/apply"
        return http.get(path, timeout=30).json()
    finally:
        http.delete(f"{sim.url}/api/session", timeout=30)


def batch_task(hosts, **extra):
    lines = "".join(f"\n    {k}: {v}" for k, v in extra.items())
    return f"""
        - name: batch
          vsphere.lifecycle.remediate_batch:
            cluster: {CLUSTER}
            hosts: {hosts}
            accept_eula: true{lines.replace(chr(10) + '    ', chr(10) + '            ')}
    """


def overlap(events, phase, names):
    """True when the ``phase`` of every host in ``names`` overlaps the others' (all started before any ended)."""
    spans = [e for e in events if e["phase"] == phase and e["name"] in names]
    assert sorted(e["name"] for e in spans) == sorted(names), spans
    return max(e["start"] for e in spans) < min(e["end"] for e in spans)


def test_batch_enters_together_applies_in_parallel_exits_and_restores_the_policy(sim, run_playbook):
    before_policy = policy(sim)
    result = run_playbook(batch_task(BATCH, max_hosts_in_maintenance=4))
    assert result.ok, result.output
    out = result.task("batch")
    assert out["changed"] is True
    assert sorted(out["entered_maintenance_mode"]) == BATCH == sorted(out["exited_maintenance_mode"])
    assert sorted(out["successful_hosts"]) == BATCH and out["failed_hosts"] == []
    assert out["left_in_maintenance_mode"] == [] and out["vms_not_restored"] == []
    assert out["parallel_remediation"]["during"] == {"enabled": True, "max_hosts": 3}
    assert out["policy_changed"] is True and out["policy_restored"] is True
    assert policy(sim) == before_policy                           # read back: as it was
    events = sim.events()
    assert overlap(events, "evacuate", BATCH)                     # DRS evacuated the three at the same time
    assert overlap(events, "maintenance", BATCH)                  # in maintenance mode together
    assert overlap(events, "install", BATCH)                      # and remediated in parallel
    state = hosts_by_name(sim)
    for name, host in state.items():
        assert not host["in_maintenance"], name
        assert host["compliance_status"] == ("COMPLIANT" if name in BATCH else host["compliance_status"])
    counters = sim.counters()
    assert counters["max_hosts_in_maintenance"] == 3
    assert counters["capacity_violations"] == 0, counters["capacity_violation_log"]
    assert counters["evacuations"] == 3 * 23                      # no VM moved twice
    assert counters["calls"].get(APPLY) == 1

    snapshot = sim.counters()
    again = run_playbook(batch_task(BATCH))
    assert again.ok, again.output
    assert again.task("batch")["changed"] is False
    assert sorted(r["name"] for r in again.task("batch")["skipped_hosts"]) == BATCH
    assert sim.mutating_calls(since=snapshot) == {}


def test_a_host_failing_at_install_is_the_only_one_left_in_maintenance_mode_and_is_named(sim, run_playbook):
    failing = BATCH[1]
    before_policy = policy(sim)
    # the effective failure action retries 3 times: 4 failures make the host fail for good
    sim.add_faults({"type": "host_fail", "host": failing, "phase": "install", "count": 4})
    result = run_playbook(batch_task(BATCH))
    assert not result.ok
    assert sim.faults() == []
    out = result.task("batch")
    assert out["changed"] is True
    assert failing in out["msg"] and "maintenance mode" in out["msg"]
    assert out["failed_hosts"] == [failing]
    assert sorted(out["successful_hosts"]) == sorted(set(BATCH) - {failing})
    assert out["left_in_maintenance_mode"] == [failing]
    assert out["policy_restored"] is True and policy(sim) == before_policy
    state = hosts_by_name(sim)
    assert [n for n, h in state.items() if h["in_maintenance"]] == [failing]
    for name in set(BATCH) - {failing}:
        assert state[name]["compliance_status"] == "COMPLIANT"
    assert state[failing]["compliance_status"] == "NON_COMPLIANT"
    assert sim.counters()["capacity_violations"] == 0

    # a re-run resumes: the failed host (still in maintenance mode) is remediated and taken out
    again = run_playbook(batch_task(BATCH))
    assert again.ok, again.output
    out = again.task("batch")
    assert out["successful_hosts"] == [failing] and out["already_in_maintenance_mode"] == [failing]
    assert out["entered_maintenance_mode"] == [] and out["exited_maintenance_mode"] == [failing]
    state = hosts_by_name(sim)
    assert not any(h["in_maintenance"] for h in state.values())
    assert all(state[n]["compliance_status"] == "COMPLIANT" for n in BATCH)


def test_check_mode_reports_and_changes_nothing(sim, run_playbook):
    result = run_playbook(batch_task(BATCH), extra_args=["--check"])
    assert result.ok, result.output
    out = result.task("batch")
    assert out["changed"] is True
    assert sorted(out["would_remediate"]) == BATCH == sorted(out["would_enter_maintenance_mode"])
    assert out["would_change_policy"] is True
    assert sim.mutating_calls() == {}
    assert not any(h["in_maintenance"] for h in sim.state()["hosts"])


def test_bad_input_changes_nothing(sim, run_playbook):
    cases = {
        "empty hosts": (batch_task([]), "hosts"),
        "more hosts than the cap": (batch_task(BATCH, max_hosts_in_maintenance=2), "max_hosts_in_maintenance"),
        "more than vLCM's limit": (batch_task([f"h{i}" for i in range(97)]), "96"),
        "eula not accepted": (batch_task(BATCH).replace("accept_eula: true", "accept_eula: false"), "accept_eula"),
        "a standalone host": ("""
            - name: batch
              vsphere.lifecycle.remediate_batch:
                host: esxi-r01.lab.local
                accept_eula: true
        """, "host"),
        "two hosts of a vSAN cluster": (batch_task(["esxi-v01.lab.local", "esxi-v02.lab.local"]).replace(
            CLUSTER, "VSAN-04"), "vSAN"),
        "a host not in the cluster": (batch_task(["esxi-r01.lab.local", "esxi-h01.lab.local"]), "esxi-h01"),
        "zero maintenance timeout": (batch_task(BATCH, maintenance_timeout=0), "maintenance_timeout"),
        "empty plan_next": (batch_task(BATCH, plan_next=[]), "plan_next"),
        "plan_next names a host of no cluster here": (batch_task(BATCH, plan_next=["esxi-zz.lab.local"]), "esxi-zz"),
        "plan_next names a host of another cluster": (batch_task(BATCH, plan_next=["esxi-h01.lab.local"]), "esxi-h01"),
    }
    for label, (play, needle) in cases.items():
        sim.reset()
        result = run_playbook(play)
        assert not result.ok, label
        assert needle in result.task("batch")["msg"], (label, result.task("batch")["msg"])
        assert sim.mutating_calls() == {}, label


def test_hosts_already_in_maintenance_mode_outside_the_batch_count_against_the_cap(sim, run_playbook):
    # r06 fails for good and stays in maintenance mode; then three more with a cap of 3 would make four
    sim.add_faults({"type": "host_fail", "host": "esxi-r06.lab.local", "phase": "install", "count": 4})
    failed = run_playbook(batch_task(["esxi-r06.lab.local"]))
    assert not failed.ok and failed.task("batch")["left_in_maintenance_mode"] == ["esxi-r06.lab.local"]
    snapshot = sim.counters()
    result = run_playbook(batch_task(BATCH, max_hosts_in_maintenance=3))
    assert not result.ok
    assert "esxi-r06.lab.local" in result.task("batch")["msg"]
    assert sim.mutating_calls(since=snapshot) == {}


def test_plan_next_plans_the_waves_left_while_the_apply_runs(sim, run_playbook):
    batch = [f"esxi-r{i:02d}.lab.local" for i in range(1, 5)]
    left = [f"esxi-r{i:02d}.lab.local" for i in range(5, 17)]
    result = run_playbook(batch_task(batch, max_hosts_in_maintenance=4, plan_next=left))
    assert result.ok, result.output
    out = result.task("batch")
    assert sorted(out["successful_hosts"]) == batch
    nxt = out["next_plan"]
    assert nxt is not None and nxt["planned_during_apply"] is True
    assert nxt["blocked_hosts"] == [] and nxt["wave_limit"] == 4
    assert sorted(h for w in nxt["waves"] for h in w["hosts"]) == left          # every host named, once
    assert all(w["size"] <= 4 for w in nxt["waves"])
    # control: the same hosts planned by remediation_plan now that the batch is out of maintenance mode; the plan
    # made during the apply counted the batch's hosts as back, so it has the same waves
    after = run_playbook(f"""
        - name: plan
          vsphere.lifecycle.remediation_plan:
            cluster: {CLUSTER}
            hosts: {left}
            max_hosts_in_maintenance: 4
    """)
    assert after.ok, after.output
    plan = after.task("plan")
    assert [w["hosts"] for w in plan["waves"]] == [w["hosts"] for w in nxt["waves"]]
    assert [w["vms_to_evacuate"] for w in plan["waves"]] == [w["vms_to_evacuate"] for w in nxt["waves"]]
    assert sim.counters()["capacity_violations"] == 0
    # without plan_next there is no plan
    sim.reset()
    plain = run_playbook(batch_task(batch, max_hosts_in_maintenance=4))
    assert plain.ok, plain.output
    assert "next_plan" not in plain.task("batch")
