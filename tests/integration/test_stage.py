# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.stage through ansible-playbook against vlcmsim (tiny scenario, HTTPS)."""

from __future__ import annotations

SIM_SCENARIO = "tiny"
CLUSTER = "Tiny-01"
T1, T2 = "esxi-t1.lab.local", "esxi-t2.lab.local"   # T2: firmware cannot be staged
STANDALONE = "esxi-ts.lab.local"
C = "/api/esx/settings/clusters/{cluster}/software"
H = "/api/esx/settings/hosts/{host}/software"
STAGE, SCAN = f"POST {C}?action=stage", f"POST {C}?action=scan"
HOST_STAGE, HOST_SCAN = f"POST {H}?action=stage", f"POST {H}?action=scan"


def hosts_by_name(sim):
    return {h["name"]: h for h in sim.state()["hosts"]}


def test_stage_whole_cluster_unknown_compliance_scanned_first_firmware_not_fatal(sim, run_playbook):
    assert all(h["staged_commit"] is None for h in hosts_by_name(sim).values())
    result = run_playbook(f"""
        - name: stage
          vsphere.lifecycle.stage:
            cluster: {CLUSTER}
    """)
    assert result.ok, result.output
    out = result.task("stage")
    assert out["changed"] is True and out["target"]["name"] == CLUSTER
    # no compliance report existed: both hosts were scanned first, by us, before the stage task
    assert sorted(out["scanned_hosts"]) == [T1, T2]
    assert sorted(out["staged_hosts"]) == [T1, T2] and out["failed_hosts"] == [] and out["skipped_hosts"] == []
    # T2's firmware could not be staged: reported as a warning and a result field, the task succeeded
    assert out["firmware_not_staged"] == [T2]
    assert any(T2 in w and "firmware" in w for w in out.get("warnings", [])), out.get("warnings")
    assert {r["name"]: r["status"] for r in out["hosts"]} == {T1: "OK", T2: "OK"}
    counters = sim.counters()
    assert counters["calls"].get(SCAN) == 1 and counters["calls"].get(STAGE) == 1
    assert counters["downloads"] == 2 and counters["installs"] == 0
    state = hosts_by_name(sim)
    assert state[T1]["staged_commit"] and state[T2]["staged_commit"]
    assert not state[T1]["in_maintenance"] and not state[T2]["in_maintenance"]
    assert state[STANDALONE]["staged_commit"] is None   # not part of the cluster


def test_second_run_is_unchanged_and_stages_nothing(sim, run_playbook):
    first = run_playbook(f"""
        - name: first
          vsphere.lifecycle.stage:
            cluster: {CLUSTER}
    """)
    assert first.ok, first.output
    after_first = sim.counters()
    result = run_playbook(f"""
        - name: second
          vsphere.lifecycle.stage:
            cluster: {CLUSTER}
    """)
    assert result.ok, result.output
    assert sim.mutating_calls(since=after_first) == {}       # no POST/PUT/PATCH/DELETE at all, not only no stage
    assert sim.calls(SCAN) == 1                               # and the report was read, not refreshed
    second = result.task("second")
    assert second["changed"] is False and second["staged_hosts"] == [] and second["scanned_hosts"] == []
    reasons = {s["name"]: s["reason"] for s in second["skipped_hosts"]}
    assert reasons[T1] == "already staged"
    assert reasons[T2].startswith("software already staged; the firmware cannot be staged")
    assert second["firmware_not_staged"] == [T2]
    counters = sim.counters()
    assert counters["calls"].get(STAGE) == 1 and counters["calls"].get(SCAN) == 1 and counters["downloads"] == 2


def test_stage_two_hosts_then_one_more(sim, run_playbook):
    result = run_playbook(f"""
        - name: one
          vsphere.lifecycle.stage:
            cluster: {CLUSTER}
            hosts: [{T1}]
        - name: both
          vsphere.lifecycle.stage:
            cluster: {CLUSTER}
            hosts: [{T1}, {T2}]
    """)
    assert result.ok, result.output
    one, both = result.task("one"), result.task("both")
    assert one["staged_hosts"] == [T1] and one["changed"] is True
    assert both["staged_hosts"] == [T2] and both["changed"] is True
    assert both["skipped_hosts"] == [{"name": T1, "reason": "already staged"}]
    assert sim.counters()["downloads"] == 2


def test_standalone_host(sim, run_playbook):
    result = run_playbook(f"""
        - name: stage
          vsphere.lifecycle.stage:
            host: {STANDALONE}
        - name: again
          vsphere.lifecycle.stage:
            host: {STANDALONE}
    """)
    assert result.ok, result.output
    first, again = result.task("stage"), result.task("again")
    assert first["changed"] is True and first["staged_hosts"] == [STANDALONE]
    assert first["target"]["type"] == "host" and first["scanned_hosts"] == [STANDALONE]
    assert again["changed"] is False and again["skipped_hosts"] == [{"name": STANDALONE, "reason": "already staged"}]
    counters = sim.counters()
    assert counters["calls"].get(HOST_STAGE) == 1 and counters["calls"].get(HOST_SCAN) == 1
    assert counters["calls"].get(STAGE) is None
    assert hosts_by_name(sim)[STANDALONE]["staged_commit"]


def test_check_mode_reports_hosts_and_stages_nothing(sim, run_playbook):
    result = run_playbook(f"""
        - name: would
          vsphere.lifecycle.stage:
            cluster: {CLUSTER}
          check_mode: true
          diff: true
    """, extra_args=["--diff"])
    assert result.ok, result.output
    out = result.task("would")
    assert out["changed"] is True and sorted(out["staged_hosts"]) == [T1, T2]
    assert out["diff"]["before"]["stage_status"] == {T1: "NOT_STAGED", T2: "NOT_STAGED"}
    assert out["diff"]["after"]["stage_status"] == {T1: "STAGED", T2: "NOT_STAGED (software staged)"}
    assert out["firmware_not_staged"] == [T2]
    counters = sim.counters()
    assert counters["calls"].get(STAGE) is None and counters["downloads"] == 0
    assert all(h["staged_commit"] is None for h in hosts_by_name(sim).values())


def test_compliant_host_is_left_alone(sim, run_playbook):
    # remediate the standalone host directly through vLCM first, then ask to stage it
    result = run_playbook(f"""
        - name: remediate
          vsphere.lifecycle.remediate:
            host: {STANDALONE}
            accept_eula: true
        - name: stage
          vsphere.lifecycle.stage:
            host: {STANDALONE}
    """)
    assert result.ok, result.output
    out = result.task("stage")
    assert out["changed"] is False
    assert out["skipped_hosts"] == [{"name": STANDALONE, "reason": "compliant with the desired image"}]
    assert sim.counters()["calls"].get(HOST_STAGE) == 1   # only the remediation's own staging


def test_unknown_cluster_fails_clearly(sim, run_playbook):
    result = run_playbook("""
        - name: bad
          vsphere.lifecycle.stage:
            cluster: Nope-01
    """)
    assert not result.ok
    out = result.task("bad")
    assert "cluster 'Nope-01' not found" in out["msg"] and "Tiny-01" in out["msg"]
    assert "Traceback" not in result.output
    assert sim.mutating_calls() == {} and sim.calls(SCAN) == 0


def test_a_failed_download_fails_the_task_naming_the_host(sim, run_playbook):
    sim.add_faults({"type": "host_fail", "host": T1, "phase": "download", "count": 1})
    result = run_playbook(f"""
        - name: stage
          vsphere.lifecycle.stage:
            cluster: {CLUSTER}
    """)
    assert not result.ok
    msg = result.task("stage")["msg"]
    assert "staging of cluster 'Tiny-01' failed" in msg and T1 in msg
    state = hosts_by_name(sim)
    assert state[T1]["staged_commit"] is None and state[T2]["staged_commit"]   # the other host was staged
