# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rolling role and a VM that vMotion cannot move (demo scenario, Cluster-B: gpu-render-01 has a DirectPath I/O
device on esxi-b1). The cluster's pre_remediation_power_action decides: the planner keeps the host out of every wave
(the role stops before any maintenance mode, naming the host and the VM), or, only with the opt-in policy
POWER_OFF_VMS, the VM is powered off for its host's wave and on again after it, and the result names it. Judged by
/sim/state (power state, compliance, maintenance mode), /sim/events and /sim/counters."""

from __future__ import annotations

import json

from .harness import REPO

SIM_SCENARIO = "demo"
PLAYBOOK = REPO / "playbooks" / "rolling_remediation.yml"
INVENTORY = REPO / "playbooks" / "inventory" / "demo.vcenter.yml"
VM, HOST = "gpu-render-01", "esxi-b1.lab.local"


def rolling(run_playbook, **variables):
    args = ["-i", str(INVENTORY), "-e", json.dumps({"vlcm_accept_eula": True, "vlcm_clusters_pattern": "Cluster-B",
                                                     **variables})]
    return run_playbook(PLAYBOOK, extra_args=args, timeout=600)


def task_results(result, name):
    return [r["result"] for r in result.records if r["task"].split(" : ", 1)[-1].startswith(name)]


def vm_state(sim, name):
    return next(v for v in sim.state()["vms"] if v["name"] == name)


def cluster_b(sim):
    cid = sim.ids().cluster["Cluster-B"]
    return {h["name"]: h for h in sim.state()["hosts"] if h["cluster"] == cid}


def test_the_planner_keeps_the_host_of_a_vm_that_cannot_move_out_when_the_policy_keeps_vms_running(sim, run_playbook):
    policy = run_playbook("""
        - name: keep VMs running during remediation
          vsphere.lifecycle.remediation_policy:
            cluster: Cluster-B
            pre_remediation_power_action: DO_NOT_CHANGE_VMS_POWER_STATE
    """)
    assert policy.ok, policy.output
    host_id = cluster_b(sim)[HOST]["id"]
    assert vm_state(sim, VM)["host"] == host_id and vm_state(sim, VM)["power_state"] == "poweredOn"

    result = rolling(run_playbook)
    assert not result.ok
    plan = task_results(result, "Plan the waves")[0]
    assert [b["name"] for b in plan["blocked_hosts"]] == [HOST]
    assert VM in plan["blocked_hosts"][0]["reason"]
    assert HOST not in [h for w in plan["waves"] for h in w["hosts"]]
    message = task_results(result, "Every host to remediate fits in a wave")[0]["msg"]
    assert "no host was remediated" in message and HOST in message and VM in message
    # nothing entered maintenance mode, nothing was powered off, nothing was applied
    assert not any(e["phase"] in ("evacuate", "maintenance", "install") for e in sim.events())
    assert sim.counters()["max_hosts_in_maintenance_per_cluster"].get(sim.ids().cluster["Cluster-B"], 0) == 0
    assert sim.calls("POST /api/esx/settings/clusters/{cluster}/software?action=apply") == 0
    assert sim.calls("POST /api/esx/settings/clusters/{cluster}/software?action=check") == 0   # stopped before it
    assert vm_state(sim, VM)["power_state"] == "poweredOn" and vm_state(sim, VM)["host"] == host_id


def test_with_the_power_off_policy_the_vm_is_stopped_for_its_wave_only_and_named(sim, run_playbook):
    host_id = cluster_b(sim)[HOST]["id"]
    assert vm_state(sim, VM)["power_state"] == "poweredOn"

    result = rolling(run_playbook)
    assert result.ok, result.output[-4000:]
    plan = task_results(result, "Plan the waves")[0]
    assert plan["cluster_settings"]["pre_remediation_power_action"] == "POWER_OFF_VMS"
    assert plan["blocked_hosts"] == []
    wave = next(w for w in plan["waves"] if HOST in w["hosts"])
    assert wave["powered_off_vms"] == [VM]
    assert all(w["powered_off_vms"] == [] for w in plan["waves"] if HOST not in w["hosts"])
    batches = task_results(result, "Remediate the wave")
    stopped = [b for b in batches if b.get("stopped_vms")]
    assert len(stopped) == 1 and stopped[0]["stopped_vms"] == [VM] and HOST in stopped[0]["successful_hosts"]
    assert all(b["vms_not_restored"] == [] for b in batches)
    assert f"stopped for the wave and started again: {VM}" in result.output
    # the VM stayed on its host (never migrated), runs again, and every host converged within capacity
    assert vm_state(sim, VM)["power_state"] == "poweredOn" and vm_state(sim, VM)["host"] == host_id
    hosts = cluster_b(sim)
    assert all(h["compliance_status"] == "COMPLIANT" and not h["in_maintenance"] for h in hosts.values())
    assert sim.counters()["capacity_violations"] == 0
    # the host was remediated while the VM was off: PowerOff before its evacuation, PowerOn after maintenance
    events = {(e["name"], e["phase"]): e for e in sim.events()}
    assert events[(HOST, "install")]["start"] > events[(HOST, "evacuate")]["start"]
    methods = sim.counters()["soap_methods"]
    assert methods.get("PowerOffVM_Task") == 1 and methods.get("PowerOnVM_Task") == 1
