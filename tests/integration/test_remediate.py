# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.remediate through ansible-playbook against vlcmsim (tiny scenario, HTTPS)."""

from __future__ import annotations

from datetime import datetime

import pytest

SIM_SCENARIO = "tiny"
CLUSTER = "Tiny-01"
T1, T2 = "esxi-t1.lab.local", "esxi-t2.lab.local"
STANDALONE = "esxi-ts.lab.local"
C = "/api/esx/settings/clusters/{cluster}/software"
H = "/api/esx/settings/hosts/{host}/software"
STAGE, CHECK, APPLY = f"POST {C}?action=stage", f"POST {C}?action=check", f"POST {C}?action=apply"
HOST_APPLY = f"POST {H}?action=apply"


def hosts_by_name(sim):
    return {h["name"]: h for h in sim.state()["hosts"]}


def desired(sim):
    return {c["name"]: c for c in sim.state()["clusters"]}[CLUSTER]["desired_image"]


def seconds(start, end):
    return (datetime.fromisoformat(end.replace("Z", "+00:00")) -
            datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def test_remediate_cluster_then_second_run_makes_no_mutating_call(sim, run_playbook, counters):
    target = desired(sim)["base_image"]
    result = run_playbook(f"""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
    """)
    assert result.ok, result.output
    out = result.task("remediate")
    assert out["changed"] is True
    assert sorted(out["successful_hosts"]) == [T1, T2] and out["failed_hosts"] == []
    assert sorted(out["staged_hosts"]) == [T1, T2]           # staged first, outside maintenance mode
    assert out["precheck"]["status"] in ("OK", "WARNING") and out["precheck"]["errors"] == []
    rows = {r["name"]: r for r in out["hosts"]}
    for name in (T1, T2):
        assert rows[name]["status"] == "OK" and rows[name]["status_after"] == "COMPLIANT"
        assert rows[name]["after"]["base_image"] == target != rows[name]["before"]["base_image"]
        assert rows[name]["maintenance_seconds"] > 0
    assert out["maintenance_host_seconds"] == round(sum(rows[n]["maintenance_seconds"] for n in (T1, T2)), 3)
    # What the figure is: each host's vLCM apply window (last-apply-result start_time..end_time, wall seconds),
    # which holds the evacuation, entering, the time in maintenance mode, and exiting. So it contains what the
    # simulator counted as maintenance mode (/sim/counters, scenario seconds = wall / time scale), host by host.
    http = sim.session()
    report = http.get(f"{sim.url}/api/esx/settings/clusters/{out['target']['id']}/software/reports/last-apply-result",
                      timeout=30).json()
    http.delete(f"{sim.url}/api/session", timeout=30)
    ids = sim.ids().host
    for name in (T1, T2):
        status = report["host_status"][ids[name]]
        assert rows[name]["maintenance_seconds"] == pytest.approx(seconds(status["start_time"], status["end_time"]),
                                                                  abs=1e-3)
    in_maintenance = {e["name"]: e["end"] - e["start"] for e in sim.events() if e["phase"] == "maintenance"}
    assert sorted(in_maintenance) == [T1, T2]
    for name in (T1, T2):
        assert rows[name]["maintenance_seconds"] > in_maintenance[name]
    time_scale = sim.state()["time_scale"]
    assert out["maintenance_host_seconds"] > counters()["maintenance_host_seconds"] * time_scale > 0
    state = hosts_by_name(sim)
    for name in (T1, T2):
        assert state[name]["compliance_status"] == "COMPLIANT" and not state[name]["in_maintenance"]
        assert state[name]["installed"]["base_image"] == target
    first = counters()
    assert first["calls"].get(APPLY) == 1 and first["calls"].get(STAGE) == 1 and first["calls"].get(CHECK) == 1
    assert first["installs"] == 2 and first["downloads"] == 2

    again = run_playbook(f"""
        - name: again
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
    """)
    assert again.ok, again.output
    out2 = again.task("again")
    assert out2["changed"] is False and out2["successful_hosts"] == []
    assert sorted(s["name"] for s in out2["skipped_hosts"]) == [T1, T2]
    assert sim.mutating_calls(since=first) == {}                   # not one more POST/PUT/PATCH/DELETE


def test_check_mode_runs_only_the_precheck_and_shows_impact_and_diff(sim, run_playbook, counters):
    before = hosts_by_name(sim)
    result = run_playbook(f"""
        - name: would
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
          check_mode: true
          diff: true
    """, extra_args=["--diff"])
    assert result.ok, result.output
    out = result.task("would")
    assert out["changed"] is True and sorted(out["would_remediate"]) == [T1, T2]
    assert set(out["impact"]["hosts"]) == {T1, T2}
    assert any("maintenance mode" in text for text in out["impact"]["hosts"][T1])
    target = desired(sim)["base_image"]
    for name in (T1, T2):
        assert out["diff"]["before"][name]["base_image"] == before[name]["installed"]["base_image"]
        assert out["diff"]["after"][name]["base_image"] == target
    assert "esxi-t1.lab.local" in result.stdout and target in result.stdout   # --diff printed
    calls = counters()["calls"]
    assert calls.get(CHECK) == 1 and calls.get(STAGE) is None and calls.get(APPLY) is None
    after = hosts_by_name(sim)
    assert {n: (h["installed"], h["staged_commit"]) for n, h in after.items()} == \
        {n: (h["installed"], h["staged_commit"]) for n, h in before.items()}


def test_host_failing_mid_apply_is_named_left_staged_and_rerun_converges_without_staging(sim, run_playbook, counters):
    sim.add_faults({"type": "host_fail", "host": T1, "phase": "install", "count": 1})
    result = run_playbook(f"""
        - name: policy
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            failure_action: FAIL
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
    """)
    assert not result.ok
    out = result.task("remediate")
    assert result.status("remediate") == "failed"
    msg = out["msg"]
    assert f"host '{T1}'" in msg and "install" in msg
    assert "vLCM left this host in maintenance mode" in msg and "stays staged" in msg
    assert out["failed_hosts"] == [T1] and out["left_in_maintenance_mode"] == [T1]
    state = hosts_by_name(sim)
    assert state[T1]["in_maintenance"] is True and state[T1]["staged_commit"]   # vLCM left it so, and we said so
    assert state[T2]["in_maintenance"] is False
    staged = counters()
    assert staged["downloads"] == 2 and staged["calls"].get(STAGE) == 1

    # Re-running the whole cluster: vLCM's pre-check of both hosts fails (esxi-t2 cannot be evacuated while esxi-t1,
    # the only other host, sits in maintenance mode); the module then remediates the host in maintenance mode first
    # (it needs no evacuation) and pre-checks esxi-t2 after it: one re-run resumes. No staging, no download again.
    rerun = run_playbook(f"""
        - name: rerun
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
    """)
    assert rerun.ok, rerun.output
    out2 = rerun.task("rerun")
    assert out2["changed"] is True and out2["successful_hosts"] == [T1, T2] and out2["staged_hosts"] == []
    assert any(f"({T1}) are remediated first" in w for w in out2.get("warnings", [])), out2.get("warnings")
    assert sim.mutating_calls(since=staged) == {CHECK: 3, APPLY: 2}     # all, then esxi-t1, then esxi-t2
    t1_end = max(e["end"] for e in sim.events() if e["name"] == T1 and e["phase"] == "maintenance")
    t2_start = min(e["start"] for e in sim.events() if e["name"] == T2 and e["phase"] == "evacuate")
    assert t1_end <= t2_start                                 # esxi-t1 was out of maintenance before esxi-t2 moved
    final = counters()
    assert final["downloads"] == staged["downloads"]          # nothing downloaded again
    assert final["calls"].get(STAGE) == 1                     # no second stage call
    state = hosts_by_name(sim)
    assert all(state[n]["compliance_status"] == "COMPLIANT" and not state[n]["in_maintenance"] for n in (T1, T2))


def test_standalone_host_failing_mid_apply_then_rerun_converges_without_staging(sim, run_playbook, counters):
    sim.add_faults({"type": "host_fail", "host": STANDALONE, "phase": "reboot", "count": 1})
    result = run_playbook(f"""
        - name: policy
          vsphere.lifecycle.remediation_policy:
            host: {STANDALONE}
            failure_action: FAIL
        - name: remediate
          vsphere.lifecycle.remediate:
            host: {STANDALONE}
            accept_eula: true
    """)
    assert not result.ok
    out = result.task("remediate")
    assert f"host '{STANDALONE}'" in out["msg"] and "reboot" in out["msg"]
    assert "vLCM left this host in maintenance mode" in out["msg"]
    assert out["failed_hosts"] == [STANDALONE] and out["staged_hosts"] == [STANDALONE]
    assert hosts_by_name(sim)[STANDALONE]["in_maintenance"] is True
    before = counters()
    rerun = run_playbook(f"""
        - name: rerun
          vsphere.lifecycle.remediate:
            host: {STANDALONE}
            accept_eula: true
    """)
    assert rerun.ok, rerun.output
    assert rerun.task("rerun")["successful_hosts"] == [STANDALONE]
    after = counters()
    assert after["downloads"] == before["downloads"]
    assert after["calls"].get(f"POST {H}?action=stage") == before["calls"].get(f"POST {H}?action=stage") == 1
    state = hosts_by_name(sim)[STANDALONE]
    assert state["compliance_status"] == "COMPLIANT" and not state["in_maintenance"]


def test_failure_before_maintenance_mode_says_the_host_is_not_in_it(sim, run_playbook):
    sim.add_faults({"type": "host_fail", "host": T1, "phase": "enter_maintenance", "count": 1})
    result = run_playbook(f"""
        - name: policy
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            failure_action: FAIL
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
    """)
    assert not result.ok
    out = result.task("remediate")
    assert f"host '{T1}'" in out["msg"] and "the host is not in maintenance mode" in out["msg"]
    assert out["left_in_maintenance_mode"] == []
    assert not any(h["in_maintenance"] for h in hosts_by_name(sim).values())


def test_standalone_host_without_staging_first(sim, run_playbook, counters):
    result = run_playbook(f"""
        - name: remediate
          vsphere.lifecycle.remediate:
            host: {STANDALONE}
            accept_eula: true
            stage_first: false
    """)
    assert result.ok, result.output
    out = result.task("remediate")
    assert out["changed"] is True and out["successful_hosts"] == [STANDALONE] and out["staged_hosts"] == []
    assert out["hosts"][0]["status_after"] == "COMPLIANT"
    calls = counters()["calls"]
    assert calls.get(HOST_APPLY) == 1 and calls.get(f"POST {H}?action=stage") is None
    assert counters()["downloads"] == 1          # vLCM staged it itself as part of the remediation
    assert hosts_by_name(sim)[STANDALONE]["compliance_status"] == "COMPLIANT"


def test_accept_eula_false_is_refused_before_any_call(sim, run_playbook, counters):
    result = run_playbook(f"""
        - name: no_eula
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: false
    """)
    assert not result.ok
    assert "accept_eula must be true" in result.task("no_eula")["msg"]
    assert counters()["logins"]["rest"] == 0 and sim.mutating_calls() == {}


def test_unavailable_host_stops_the_cluster_run_before_any_change(sim, run_playbook, counters):
    sim.add_faults({"type": "host_disconnect", "host": T2})
    result = run_playbook(f"""
        - name: all
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
    """)
    assert not result.ok
    failed = result.task("all")
    assert f"host '{T2}': compliance is unavailable" in failed["msg"] and "nothing was changed" in failed["msg"]
    assert "leave them out with the hosts option" in failed["msg"]
    assert failed["blocked_hosts"] == [T2]
    assert sim.mutating_calls() == {}                                   # nothing changed vCenter ...
    assert sim.calls(f"POST {C}?action=scan") == 1                      # ... the scan of unknown compliance only
    assert not any(h["in_maintenance"] or h["staged_commit"] for h in hosts_by_name(sim).values())


def test_wait_timeout_fails_clearly_and_says_the_task_keeps_running(sim, run_playbook):
    result = run_playbook(f"""
        - name: short
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
            stage_first: false
            wait_timeout: 1
    """)
    assert not result.ok
    out = result.task("short")
    assert "remediation of cluster 'Tiny-01' did not finish within 1 seconds" in out["msg"]
    assert "keeps running in vCenter" in out["msg"] and out["task_id"]
