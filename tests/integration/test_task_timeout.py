# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Task deadlines end to end: a 10-minute scan (tiny's 30 s x time scale 20) against a 2 s wait_timeout."""

from __future__ import annotations

SIM_SCENARIO = "tiny"
SIM_TIME_SCALE = 20.0  # a scan takes 600 s of real time: it cannot end while the module waits 2 s
REST_ONLY = True


def test_scan_outliving_wait_timeout_fails_naming_the_task(sim, run_playbook):
    result = run_playbook("""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: Tiny-01
            wait_timeout: 2
    """)
    assert not result.ok
    msg = result.task("check")["msg"]
    assert "compliance scan of cluster 'Tiny-01' did not finish within 2 seconds" in msg
    assert "task " in msg and "wait_timeout" in msg
    task_id = result.task("check")["task_id"]
    tasks = {t["id"]: t for t in sim.state()["tasks"]}
    # the module gave up while the task was still running (a module that waited for the scan would not
    # return before it ended, 600 s later, and the run would time out)
    assert tasks[task_id]["status"] == "RUNNING" and tasks[task_id]["finished"] is None
    assert sim.calls("POST /api/esx/settings/clusters/{cluster}/software?action=scan") == 1
    assert "Traceback (most recent call last)" not in result.output


def test_busy_cluster_is_a_clean_failure(sim, run_playbook):
    before = sim.counters()
    sim.add_faults({"type": "cluster_busy", "cluster": "Tiny-01"})
    result = run_playbook("""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: Tiny-01
    """)
    assert not result.ok
    failure = result.task("check")
    assert failure["error_type"] == "NOT_ALLOWED_IN_CURRENT_STATE" and failure["status"] == 400
    assert "action=scan" in failure["msg"] or "software" in failure["msg"]
    assert "Traceback (most recent call last)" not in result.output
    assert sim.mutating_calls(since=before) == {}
