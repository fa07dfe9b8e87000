# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Task deadlines end to end: a real-time scan (30 s in the tiny scenario) against a 2 s wait_timeout."""

from __future__ import annotations

import time

SIM_SCENARIO = "tiny"
SIM_TIME_SCALE = 1.0  # scenario seconds are real seconds here
REST_ONLY = True


def test_scan_outliving_wait_timeout_fails_naming_the_task(sim, run_playbook):
    started = time.monotonic()
    result = run_playbook("""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: Tiny-01
            wait_timeout: 2
    """)
    elapsed = time.monotonic() - started
    assert not result.ok
    msg = result.task("check")["msg"]
    assert "compliance scan of cluster 'Tiny-01' did not finish within 2 seconds" in msg
    assert "task " in msg and "wait_timeout" in msg
    task_id = result.task("check")["task_id"]
    assert any(t.get("id") == task_id for t in sim.state()["tasks"]), task_id
    assert elapsed < 25  # gave up at the deadline instead of waiting for the scan
    assert "Traceback (most recent call last)" not in result.output


def test_busy_cluster_is_a_clean_failure(sim, run_playbook):
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
