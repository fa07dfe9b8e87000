# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/rolling_remediation.yml with vlcm_live_patch: on against vlcmsim's livepatch91 scenario: the rolling
role hands the cluster to the role vsphere.lifecycle.live_patch (no waves, nothing evacuated, no reboot), the
cluster ends compliant, a re-run changes nothing. Judged by /sim/state and /sim/counters."""

from __future__ import annotations

import json

from .harness import REPO

SIM_SCENARIO = "livepatch91"
PLAYBOOK = REPO / "playbooks" / "rolling_remediation.yml"
INVENTORY = REPO / "playbooks" / "inventory" / "demo.vcenter.yml"


def rolling(run_playbook, **variables):
    args = ["-i", str(INVENTORY), "-e", json.dumps({"vlcm_accept_eula": True, **variables})]
    return run_playbook(PLAYBOOK, extra_args=args, timeout=600)


def task_results(result, name):
    return [r for r in result.records if r["task"].split(" : ", 1)[-1].startswith(name)]


def hosts_of(sim, cluster):
    cid = sim.ids().cluster[cluster]
    return {h["name"]: h for h in sim.state()["hosts"] if h["cluster"] == cid}


def test_live_patch_on_hands_the_cluster_to_the_live_patch_role(sim, run_playbook):
    """LP91-Off (live patch disabled): with vlcm_live_patch on and vlcm_live_patch_mode AUTO every host is live
    patched in partial maintenance mode: no wave planned, no VM evacuated, no reboot; compliant at the end."""
    hosts = sorted(hosts_of(sim, "LP91-Off"))
    result = rolling(run_playbook, vlcm_clusters_pattern="LP91-Off", vlcm_live_patch="on", vlcm_live_patch_mode="AUTO")
    assert result.ok, result.output[-3000:]
    assert task_results(result, "Plan the waves") == [] and task_results(result, "Remediate the wave") == []
    remediation = task_results(result, "Remediate (live patch where it can)")
    assert len(remediation) == 1 and remediation[0]["status"] == "ok"
    assert sorted(remediation[0]["result"]["live_patched_hosts"]) == hosts
    c = sim.counters()
    assert c["evacuations"] == 0 and c["reboots"] == 0 and c["fsrs"] > 0
    assert c["capacity_violations"] == 0
    after = hosts_of(sim, "LP91-Off")
    assert all(h["compliance_status"] == "COMPLIANT" and not h["in_maintenance"] for h in after.values()), after
    summary = "\n".join(task_results(result, "Summary")[-1]["result"]["msg"])
    assert "NON_COMPLIANT -> COMPLIANT" in summary and "handed to the role vsphere.lifecycle.live_patch" in summary

    snapshot = sim.counters()
    again = rolling(run_playbook, vlcm_clusters_pattern="LP91-Off", vlcm_live_patch="on", vlcm_live_patch_mode="AUTO")
    assert again.ok, again.output[-3000:]
    assert sim.mutating_calls(since=snapshot) == {}
    assert task_results(again, "Remediate (live patch where it can)") == []
    assert "nothing to remediate" in "\n".join(task_results(again, "Summary")[-1]["result"]["msg"])


def test_live_patch_off_still_remediates_in_waves(sim, run_playbook):
    """The default (off) on the same cluster: capacity waves, full maintenance mode, VMs evacuated and hosts
    rebooted; the live_patch role is not run."""
    result = rolling(run_playbook, vlcm_clusters_pattern="LP91-Off", vlcm_task_poll_max=0.5)
    assert result.ok, result.output[-3000:]
    assert task_results(result, "Plan the waves") and task_results(result, "Remediate the wave")
    assert task_results(result, "Remediate (live patch where it can)") == []
    c = sim.counters()
    assert c["evacuations"] > 0 and c["reboots"] == len(hosts_of(sim, "LP91-Off")) and c["fsrs"] == 0
    assert c["capacity_violations"] == 0
    assert all(h["compliance_status"] == "COMPLIANT" and not h["in_maintenance"]
               for h in hosts_of(sim, "LP91-Off").values())
