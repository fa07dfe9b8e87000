# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role vsphere.lifecycle.rolling_remediation through playbooks/rolling_remediation.yml over the inventory
plugin's clusters (playbooks/inventory/demo.vcenter.yml, connection from VMWARE_*), against vlcmsim's rolling
scenario. Judged by /sim/state (compliance, maintenance mode), /sim/counters (peak hosts in maintenance mode per
cluster, capacity violations, mutating calls) and /sim/events (hook order around maintenance mode)."""

from __future__ import annotations

import json
import os
import subprocess

from .harness import REPO, VENV_BIN

SIM_SCENARIO = "rolling"
PLAYBOOK = REPO / "playbooks" / "rolling_remediation.yml"
INVENTORY = REPO / "playbooks" / "inventory" / "demo.vcenter.yml"
PUT_POLICY = "PUT /api/esx/settings/clusters/{cluster}/policies/apply"


def rolling(run_playbook, *extra: str, **variables):
    """ansible-playbook -i demo.vcenter.yml playbooks/rolling_remediation.yml -e vlcm_accept_eula=true -e ..."""
    args = ["-i", str(INVENTORY), "-e", json.dumps({"vlcm_accept_eula": True, **variables}), *extra]
    return run_playbook(PLAYBOOK, extra_args=args, timeout=600)


def cluster_hosts(sim, cluster):
    cid = sim.ids().cluster[cluster]
    return {h["name"]: h for h in sim.state()["hosts"] if h["cluster"] == cid}


def peak(sim, cluster):
    return sim.counters()["max_hosts_in_maintenance_per_cluster"].get(sim.ids().cluster[cluster], 0)


def task_results(result, name, host=None):
    """Results of the role's task ``name`` (Ansible prefixes role tasks with the role's name), in order."""
    return [r["result"] for r in result.records
            if r["task"].split(" : ", 1)[-1].startswith(name) and (host is None or r["host"] == host)]


def plan_of(result, cluster):
    """The first plan the role made for ``cluster`` (task "Plan the waves")."""
    return task_results(result, "Plan the waves", cluster)[0]


def converged(sim, cluster):
    hosts = cluster_hosts(sim, cluster)
    return all(h["compliance_status"] == "COMPLIANT" and not h["in_maintenance"] for h in hosts.values())


def test_the_inventory_file_of_the_playbook_lists_the_clusters(sim, collections_path, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "ANSIBLE_"))}
    env.update(sim.env(), ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(tmp_path / "home"),
               PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run([str(VENV_BIN / "ansible-inventory"), "-i", str(INVENTORY), "--graph"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    clusters = sorted(c["name"] for c in sim.state()["clusters"])
    graph = proc.stdout
    assert "@vlcm_clusters:" in graph
    for name in clusters:
        assert f"|--{name}" in graph
    assert sim.mutating_calls() == {}


def test_rolling_16_in_waves_within_capacity_then_a_rerun_changes_nothing(sim, run_playbook):
    result = rolling(run_playbook, vlcm_clusters_pattern="Rolling-16")
    assert result.ok, result.output[-4000:]
    plan = plan_of(result, "Rolling-16")
    assert [w["size"] for w in plan["waves"]] == [4, 4, 4, 4]     # the scenario's room: 4 at once
    assert converged(sim, "Rolling-16")
    counters = sim.counters()
    assert peak(sim, "Rolling-16") == 4 == plan["waves"][0]["size"]
    assert counters["capacity_violations"] == 0, counters["capacity_violation_log"]
    assert "wave 4/4" in result.output and "16/16 compliant" in result.output
    # the policy was changed for each wave and restored (read back by the module each time)
    batches = task_results(result, "Remediate the wave")
    assert len(batches) == 4 and all(b["policy_restored"] is True for b in batches)

    snapshot = sim.counters()
    again = rolling(run_playbook, vlcm_clusters_pattern="Rolling-16")
    assert again.ok, again.output[-3000:]
    assert sim.mutating_calls(since=snapshot) == {}
    assert "changed=0" in again.output
    assert "nothing to remediate" in again.output


def test_ha_admission_control_makes_smaller_waves_and_vsan_one_host_at_a_time(sim, run_playbook):
    result = rolling(run_playbook, vlcm_clusters_pattern="HA-08:VSAN-04", vlcm_serial=2)
    assert result.ok, result.output[-4000:]
    ha, vsan = plan_of(result, "HA-08"), plan_of(result, "VSAN-04")
    # HA-08: two hosts fit with one host of failover capacity kept; three would without admission control
    assert ha["waves"][0]["size"] == 2 and ha["waves"][0]["limit"] == "ha"
    assert all(w["size"] <= 2 for w in ha["waves"])
    assert peak(sim, "HA-08") == 2
    # VSAN-04: one host per wave, no parallel remediation policy written
    assert [w["size"] for w in vsan["waves"]] == [1, 1, 1, 1] and vsan["waves"][0]["limit"] == "vsan"
    assert peak(sim, "VSAN-04") == 1
    vsan_batches = task_results(result, "Remediate the wave", "VSAN-04")
    assert len(vsan_batches) == 4 and not any(b["policy_changed"] for b in vsan_batches)
    assert converged(sim, "HA-08") and converged(sim, "VSAN-04")
    assert sim.counters()["capacity_violations"] == 0


def _fail_all_but_the_first_wave(sim):
    """History-04 with a cap of 1: wave 1 is esxi-y01 (all hosts equal, the planner takes names in order); every
    other host fails for good at install (4 failures: the effective policy retries 3 times), so wave 2 fails
    whichever host the re-plan picks, and waves 3 and 4 must never start."""
    others = ["esxi-y02.lab.local", "esxi-y03.lab.local", "esxi-y04.lab.local"]
    sim.add_faults([{"type": "host_fail", "host": h, "phase": "install", "count": 4} for h in others])
    return others


def test_a_failure_in_wave_2_stops_that_cluster_others_go_on_and_a_rerun_converges(sim, run_playbook):
    others = _fail_all_but_the_first_wave(sim)
    result = rolling(run_playbook, vlcm_clusters_pattern="History-04:VSAN-04", vlcm_serial=2,
                     vlcm_max_fail_percentage=50, vlcm_max_hosts_in_maintenance=1)
    assert not result.ok
    hosts = cluster_hosts(sim, "History-04")
    failed = [n for n, h in hosts.items() if h["in_maintenance"]]
    assert len(failed) == 1 and failed[0] in others
    assert hosts["esxi-y01.lab.local"]["compliance_status"] == "COMPLIANT"
    assert [n for n, h in hosts.items() if h["compliance_status"] == "COMPLIANT"] == ["esxi-y01.lab.local"]
    installs = {e["name"] for e in sim.events() if e["phase"] == "install"}
    untouched = set(others) - set(failed)
    assert not untouched & installs                               # waves 3 and 4 never started
    message = task_results(result, "The wave failed; stop this cluster", "History-04")[0]["msg"]
    assert "wave 2/" in message and failed[0] in message and "left in maintenance mode" in message
    # the other cluster of the batch went on: 1 of 2 failed is not more than 50%
    assert converged(sim, "VSAN-04")
    assert sim.counters()["capacity_violations"] == 0

    sim.clear_faults()
    again = rolling(run_playbook, vlcm_clusters_pattern="History-04:VSAN-04", vlcm_serial=2,
                    vlcm_max_hosts_in_maintenance=1)
    assert again.ok, again.output[-4000:]
    assert converged(sim, "History-04") and converged(sim, "VSAN-04")
    stages = task_results(again, "Stage the desired image", "History-04")
    assert stages and stages[0]["staged_hosts"] == []           # staged by the first run, not again


def test_control_a_failing_canary_stops_the_clusters_after_it(sim, run_playbook):
    _fail_all_but_the_first_wave(sim)
    result = rolling(run_playbook, vlcm_clusters_pattern="History-04:VSAN-04", vlcm_serial=[1, "100%"],
                     vlcm_max_hosts_in_maintenance=1)
    assert not result.ok
    vsan = cluster_hosts(sim, "VSAN-04")
    assert all(h["compliance_status"] != "COMPLIANT" for h in vsan.values())   # never started


def test_hooks_run_in_order_around_each_host(sim, run_playbook, tmp_path):
    log = tmp_path / "hooks.log"
    for kind in ("pre", "post"):
        (tmp_path / f"{kind}.yml").write_text(
            "- name: record\n"
            "  ansible.builtin.shell: >-\n"
            f"    echo \"{kind} {{{{ vlcm_host }}}} {{{{ vlcm_wave_number }}}} $(date +%s.%N)\" >> {log}\n"
            "  changed_when: false\n")
    result = rolling(run_playbook, vlcm_clusters_pattern="History-04", vlcm_max_hosts_in_maintenance=2,
                     vlcm_pre_host_tasks=str(tmp_path / "pre.yml"), vlcm_post_host_tasks=str(tmp_path / "post.yml"))
    assert result.ok, result.output[-4000:]
    lines = [line.split() for line in log.read_text().splitlines()]
    hosts = sorted(cluster_hosts(sim, "History-04"))
    assert sorted(h for kind, h, _w, _t in lines if kind == "pre") == hosts
    assert sorted(h for kind, h, _w, _t in lines if kind == "post") == hosts
    events = {(e["name"], e["phase"]): e for e in sim.events()}
    for kind, host, _wave, stamp in lines:
        if kind == "pre":       # right before the host starts entering maintenance mode (its evacuation)
            assert float(stamp) < events[(host, "evacuate")]["start"], (host, "pre")
        else:                   # right after it left maintenance mode
            assert float(stamp) > events[(host, "maintenance")]["end"], (host, "post")
    # per wave: every pre hook of the wave, then the wave's post hooks; waves in order
    order = [(int(w), kind) for kind, _h, w, _t in lines]
    assert order == sorted(order, key=lambda x: (x[0], x[1] == "post"))
    assert converged(sim, "History-04")


def test_bad_role_variables_change_nothing(sim, run_playbook, tmp_path):
    cases = {
        "eula": ({"vlcm_accept_eula": False}, "vlcm_accept_eula"),
        "cap": ({"vlcm_max_hosts_in_maintenance": "0"}, "vlcm_max_hosts_in_maintenance"),
        "percent": ({"vlcm_max_hosts_in_maintenance": "150%"}, "vlcm_max_hosts_in_maintenance"),
        "live patch": ({"vlcm_live_patch": "auto"}, "vlcm_live_patch"),
        "hook": ({"vlcm_pre_host_tasks": str(tmp_path / "missing.yml")}, "vlcm_pre_host_tasks"),
        "timeout": ({"vlcm_wait_timeout": 0}, "vlcm_wait_timeout"),
    }
    for label, (variables, needle) in cases.items():
        result = rolling(run_playbook, vlcm_clusters_pattern="VSAN-04", **variables)
        assert not result.ok, label
        assert needle in result.output, (label, result.output[-2000:])
        assert sim.mutating_calls() == {}, label
        assert sim.calls("POST /api/esx/settings/clusters/{cluster}/software?action=scan") == 0, label
