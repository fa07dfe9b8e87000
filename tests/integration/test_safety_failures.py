# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 8, reproductions 4-6: a failed run reports everything it changed, and what to do next.

On main before the fix: a host failing at install after another host was remediated ended with
changed: false; so did a connection reset on the apply POST after 4 hosts were staged; a stage whose
download failed on one host returned only msg/task_id/task_messages (no failed_hosts); and with the
POWER_OFF_VMS policy a host failing to enter maintenance mode left gpu-render-01 powered off without a word.
"""

from __future__ import annotations

SIM_SCENARIO = "demo"
A = ["esxi-a1.lab.local", "esxi-a2.lab.local", "esxi-a3.lab.local", "esxi-a4.lab.local"]
APPLY = "POST /api/esx/settings/clusters/{cluster}/software?action=apply"


def state(sim):
    s = sim.state()
    return {h["name"]: h for h in s["hosts"]}, {v["name"]: v for v in s["vms"]}


def remediate(run_playbook, cluster, **extra):
    args = "".join(f"\n            {k}: {v}" for k, v in extra.items())
    result = run_playbook(f"""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: {cluster}
            accept_eula: true{args}
    """)
    return result, result.task("remediate")


def test_a_host_failing_at_install_after_another_was_remediated(sim, run_playbook, counters):
    # vLCM's default failure action retries a host 3 times: fail all 4 attempts
    sim.add_faults({"type": "host_fail", "host": A[2], "phase": "install", "count": 4})
    result, out = remediate(run_playbook, "Cluster-A")
    assert not result.ok
    assert out["changed"] is True
    assert out["successful_hosts"] == A[:2] and out["failed_hosts"] == [A[2]]
    assert sorted(out["staged_hosts"]) == A
    assert out["left_in_maintenance_mode"] == [A[2]] and out["task_id"]
    hosts, _ = state(sim)
    assert [n for n, h in hosts.items() if h["in_maintenance"]] == [A[2]]          # the simulator agrees
    assert hosts[A[0]]["compliance_status"] == "COMPLIANT" and counters()["evacuations"] > 0
    assert f"host '{A[2]}'" in out["msg"] and "maintenance mode" in out["msg"] and "re-run" in out["msg"]
    assert sim.faults() == []


def test_a_reset_on_the_apply_post_after_staging_says_what_happened(sim, run_playbook, counters):
    sim.add_faults({"type": "reset_connection", "method": "POST", "path": "/api/esx/settings/clusters/*/software",
                    "action": "apply"})
    result, out = remediate(run_playbook, "Cluster-A")
    assert not result.ok and sim.faults() == []
    assert out["changed"] is True and sorted(out["staged_hosts"]) == A          # staging did change the hosts
    assert "started no task on cluster 'Cluster-A'" in out["msg"] and "changed nothing" in out["msg"]
    assert counters()["installs"] == 0 and counters()["calls"][APPLY] == 1
    hosts, _ = state(sim)
    assert all(hosts[n]["staged_commit"] for n in A) and not any(h["in_maintenance"] for h in hosts.values())


def test_a_reset_after_vcenter_started_the_apply_follows_that_task(sim, run_playbook, counters):
    sim.add_faults({"type": "reset_connection", "method": "POST", "path": "/api/esx/settings/clusters/*/software",
                    "action": "apply", "after_response": True})
    result, out = remediate(run_playbook, "Cluster-A")
    assert result.ok, result.output
    assert sim.faults() == [] and counters()["calls"][APPLY] == 1
    assert out["changed"] is True and out["successful_hosts"] == A and out["apply_task"]
    hosts, _ = state(sim)
    assert all(hosts[n]["compliance_status"] == "COMPLIANT" for n in A)


def test_a_stage_failing_on_one_host_names_it_and_the_staged_ones(sim, run_playbook, counters):
    sim.add_faults({"type": "host_fail", "host": A[1], "phase": "download"})
    result = run_playbook("""
        - name: stage
          vsphere.lifecycle.stage:
            cluster: Cluster-A
    """)
    out = result.task("stage")
    assert not result.ok and sim.faults() == []
    assert out["changed"] is True and out["stage_task"]
    assert out["failed_hosts"] == [A[1]] and out["staged_hosts"] == [A[0], A[2], A[3]]
    assert f"failed on host(s) {A[1]}" in out["msg"] and "re-run" in out["msg"]
    hosts, _ = state(sim)
    assert [n for n in A if hosts[n]["staged_commit"]] == out["staged_hosts"]
    assert counters()["downloads"] == 3


def test_vms_powered_off_by_the_policy_and_left_off_are_named(sim, run_playbook):
    _, vms = state(sim)
    assert vms["gpu-render-01"]["power_state"] == "poweredOn"
    sim.add_faults({"type": "host_fail", "host": "esxi-b1.lab.local", "phase": "enter_maintenance", "count": 4})
    result, out = remediate(run_playbook, "Cluster-B", hosts="[esxi-b1.lab.local]")
    assert not result.ok and sim.faults() == []
    _, vms = state(sim)
    assert vms["gpu-render-01"]["power_state"] == "poweredOff"                     # the simulator's truth
    assert out["vms_not_restored"] == [{"name": "gpu-render-01", "power_state": "POWERED_OFF"}]
    assert "'gpu-render-01' (powered off); power them on" in out["msg"]
    assert out["failed_hosts"] == ["esxi-b1.lab.local"] and out["changed"] is True
