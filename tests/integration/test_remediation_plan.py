# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.remediation_plan through ansible-playbook against vlcmsim's demo scenario.

Cluster-A: 4 hosts of 64000 MHz / 512 GB, HA admission control (1 host failure), VMs that all can move (the
shared-disk pair is powered off). Cluster-B: the same with a DirectPath I/O VM on esxi-b1 and the apply policy
POWER_OFF_VMS.
"""

from __future__ import annotations

import datetime as dt

import requests

SIM_SCENARIO = "demo"
MUTATING = ("POST /api/esx/settings/clusters/{cluster}/software?action=apply",
            "POST /api/esx/settings/clusters/{cluster}/software?action=stage",
            "POST /api/esx/settings/clusters/{cluster}/software?action=scan")


def no_mutation(sim) -> None:
    for key in MUTATING:
        assert sim.calls(key) == 0, key


def test_cluster_a_keeps_ha_capacity(sim, run_playbook):
    result = run_playbook("""
        - name: scan
          vsphere.lifecycle.compliance:
            cluster: Cluster-A
        - name: plan
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-A
    """)
    assert result.ok, result.output
    plan = result.task("plan")
    assert plan["changed"] is False
    assert plan["target"] == {"type": "cluster", "id": plan["target"]["id"], "name": "Cluster-A"}
    assert plan["hosts_to_remediate"] == [f"esxi-a{i}.lab.local" for i in range(1, 5)]
    waves = plan["waves"]
    # one host's capacity stays free for HA: with 2 hosts in maintenance the other 2 keep 1 host spare,
    # a third would leave 1 host and no reserve
    assert [w["size"] for w in waves] == [2, 2]
    assert waves[0]["limit"] == "ha"
    assert waves[0]["reason"].startswith("HA failover capacity kept (1 host failure tolerated)")
    assert waves[1]["limit"] == "remaining"
    planned = [h for w in waves for h in w["hosts"]]
    assert sorted(planned) == plan["hosts_to_remediate"]
    assert sum(w["vms_to_evacuate"] for w in waves) >= 4      # app-a-01..04 and ft-payments, moved once or more
    assert plan["cluster_settings"]["ha"]["admission_control"] is True
    assert plan["cluster_settings"]["drs"] == {"enabled": True, "behavior": "fullyAutomated"}
    assert plan["blocked_hosts"] == []
    assert plan["forecast"]["recorded_hosts"] == 0
    # each host 900 s (host_seconds: no history), plus 5 s (evacuation_seconds_per_vm) per VM that the first wave
    # sends to a host of the second; the VMs each host runs now come from /sim/state
    state = sim.state()
    running = {h["name"]: sum(1 for v in state["vms"] if v["host"] == h["id"] and v["power_state"] == "poweredOn")
               for h in state["hosts"]}
    rows = {r["name"]: r for r in plan["forecast"]["hosts"]}
    assert all(rows[n]["vms_now"] == running[n] for n in planned)
    assert all(rows[n]["vms_at_its_turn"] == running[n] for n in waves[0]["hosts"])
    received = sum(rows[n]["vms_at_its_turn"] - rows[n]["vms_now"] for n in waves[1]["hosts"])
    assert received == waves[0]["vms_to_evacuate"] > 0
    assert [w["forecast_seconds"] for w in waves] == [
        900, max(900 + 5 * (rows[n]["vms_at_its_turn"] - rows[n]["vms_now"]) for n in waves[1]["hosts"])]
    assert plan["forecast"]["total_seconds"] == sum(w["forecast_seconds"] for w in waves)
    assert plan["forecast"]["sequential_seconds"] == 4 * 900
    assert all(w["forecast_basis"] == ["host_seconds"] for w in waves)
    assert sim.counters()["logins"]["soap"] == 1


def test_without_ha_reserve_and_with_a_cap(sim, run_playbook):
    result = run_playbook("""
        - name: no reserve
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-A
            ha_failover_hosts: 0
        - name: capped
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-A
            ha_failover_hosts: 0
            max_hosts_in_maintenance: 25%
          check_mode: true
    """)
    assert result.ok, result.output
    free = result.task("no reserve")
    assert [w["size"] for w in free["waves"]] == [3, 1]          # the last host's VMs need one host left
    assert free["waves"][0]["limit"] == "capacity"
    assert free["waves"][0]["reason"].startswith("capacity: 3 host(s)' VMs fit on the other 1")
    capped = result.task("capped")
    assert [w["size"] for w in capped["waves"]] == [1, 1, 1, 1]
    assert capped["waves"][0]["limit"] == "user_cap"
    assert "1 (25% of 4 hosts)" in capped["waves"][0]["reason"]
    assert any("no compliance report" in w for w in free.get("warnings", []))
    no_mutation(sim)


def test_cluster_b_powers_off_the_directpath_vm(sim, run_playbook):
    result = run_playbook("""
        - name: plan
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-B
    """)
    assert result.ok, result.output
    plan = result.task("plan")
    assert plan["cluster_settings"]["pre_remediation_power_action"] == "POWER_OFF_VMS"
    wave = next(w for w in plan["waves"] if "esxi-b1.lab.local" in w["hosts"])
    assert wave["powered_off_vms"] == ["gpu-render-01"]
    assert plan["blocked_hosts"] == []


def test_unmovable_vm_blocks_its_host_when_the_policy_keeps_it_running(sim, run_playbook):
    result = run_playbook("""
        - name: policy
          vsphere.lifecycle.remediation_policy:
            cluster: Cluster-B
            pre_remediation_power_action: DO_NOT_CHANGE_VMS_POWER_STATE
        - name: plan
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-B
    """)
    assert result.ok, result.output
    plan = result.task("plan")
    assert [b["name"] for b in plan["blocked_hosts"]] == ["esxi-b1.lab.local"]
    assert "gpu-render-01" in plan["blocked_hosts"][0]["reason"]
    assert "esxi-b1.lab.local" not in [h for w in plan["waves"] for h in w["hosts"]]


def test_forecast_from_the_last_apply_and_hosts_without_history(sim, run_playbook):
    result = run_playbook("""
        - name: remediate one host
          vsphere.lifecycle.remediate:
            cluster: Cluster-B
            hosts: [esxi-b2.lab.local]
            accept_eula: true
        - name: plan
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-B
            host_seconds: 1234
    """)
    assert result.ok, result.output
    plan = result.task("plan")
    assert {"name": "esxi-b2.lab.local", "status": "COMPLIANT"} in plan["skipped_hosts"]
    assert "esxi-b2.lab.local" not in plan["hosts_to_remediate"]
    # what vLCM recorded for esxi-b2, read here with the simulator's own REST API
    cid = plan["target"]["id"]
    session = requests.post(f"{sim.url}/api/session", auth=(sim.username, sim.password), verify=sim.ca).json()
    headers = {"vmware-api-session-id": session}
    try:
        report = requests.get(f"{sim.url}/api/esx/settings/clusters/{cid}/software/reports/last-apply-result",
                              headers=headers, verify=sim.ca).json()
    finally:
        requests.delete(f"{sim.url}/api/session", headers=headers, verify=sim.ca)
    (status,) = [s for s in report["host_status"].values() if s["status"] == "OK"]
    recorded = (dt.datetime.fromisoformat(status["end_time"].replace("Z", "+00:00"))
                - dt.datetime.fromisoformat(status["start_time"].replace("Z", "+00:00"))).total_seconds()
    assert plan["forecast"]["recorded_hosts"] == 1
    assert {h["basis"] for h in plan["forecast"]["hosts"]} == {"cluster_median"}   # the others have no record
    assert all(h["recorded_or_given_seconds"] == round(recorded) for h in plan["forecast"]["hosts"])
    assert all(h["seconds"] == round(recorded + 5 * (h["vms_at_its_turn"] - h["vms_now"]))
               for h in plan["forecast"]["hosts"])
    assert plan["forecast"]["total_seconds"] == sum(w["forecast_seconds"] for w in plan["waves"])


def test_hosts_option_plans_only_those(sim, run_playbook):
    result = run_playbook("""
        - name: plan
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-A
            hosts: [esxi-a3.lab.local, esxi-a1.lab.local]
    """)
    assert result.ok, result.output
    plan = result.task("plan")
    assert sorted(h for w in plan["waves"] for h in w["hosts"]) == ["esxi-a1.lab.local", "esxi-a3.lab.local"]


def test_bad_options_fail_before_any_call(sim, run_playbook):
    result = run_playbook("""
        - name: percent
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-A
            max_hosts_in_maintenance: 150%
          ignore_errors: true
        - name: zero
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-A
            max_hosts_in_maintenance: 0
          ignore_errors: true
        - name: seconds
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-A
            host_seconds: -5
          ignore_errors: true
        - name: failover
          vsphere.lifecycle.remediation_plan:
            cluster: Cluster-A
            ha_failover_hosts: -1
          ignore_errors: true
        - name: standalone
          vsphere.lifecycle.remediation_plan:
            host: esxi-s1.lab.local
          ignore_errors: true
    """)
    for name, option in (("percent", "max_hosts_in_maintenance"), ("zero", "max_hosts_in_maintenance"),
                         ("seconds", "host_seconds"), ("failover", "ha_failover_hosts"), ("standalone", "host")):
        task = result.task(name)
        assert result.status(name) == "failed", name
        assert task["msg"].startswith(option), task["msg"]
        assert task.get("option") == option
    assert "at most 100%" in result.task("percent")["msg"]
    counters = sim.counters()
    assert counters["logins"].get("rest", 0) == 0 and counters["logins"].get("soap", 0) == 0
