# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/live_patch.yml (role vsphere.lifecycle.live_patch) against vlcmsim's livepatch91 scenario: AUTO set by
the role, live patch with fallback, the VMs fixed, compliant at the end; ENFORCE refused with reasons before any
change."""

from __future__ import annotations

import json

from .harness import REPO

SIM_SCENARIO = "livepatch91"
PLAYBOOK = REPO / "playbooks" / "live_patch.yml"


def role_task(result, name):
    return [r for r in result.records if r["task"].split(" : ", 1)[-1] == name][-1]


def hosts_of(sim, cluster):
    st = sim.state()
    cid = next(c["id"] for c in st["clusters"] if c["name"] == cluster)
    return {h["name"]: h for h in st["hosts"] if h["cluster"] == cid}


def run(run_playbook, **extra):
    return run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_accept_eula": True, **extra})], timeout=600)


def test_policy_then_live_patch_then_vms_then_compliant(sim, run_playbook):
    """LP91-Off has live patch disabled: the role sets AUTO, then every host is live patched (no reboot, no
    evacuation) and the cluster ends compliant."""
    result = run(run_playbook, vlcm_cluster="LP91-Off", vlcm_live_patch_mode="AUTO")
    assert result.ok, result.output
    assert role_task(result, "Live patch policy")["result"]["changed"] is True
    assert role_task(result, "Readiness")["result"]["verdict"]["status"] == "REGULAR"
    assert role_task(result, "Readiness under the policy set")["result"]["verdict"]["status"] == "LIVE_PATCH"
    rem = role_task(result, "Remediate (live patch where it can)")["result"]
    assert sorted(rem["live_patched_hosts"]) == sorted(hosts_of(sim, "LP91-Off"))
    c = sim.counters()
    assert c["evacuations"] == 0 and c["reboots"] == 0 and c["fsrs"] == rem["fsr_count"] > 0
    assert all(h["compliance_status"] == "COMPLIANT" for h in hosts_of(sim, "LP91-Off").values())
    assert role_task(result, "Compliance after")["result"]["status"] == "COMPLIANT"
    summary = "\n".join(role_task(result, "Summary")["result"]["msg"])
    assert "Live patched: esxi-91o1.lab.local" in summary and "(24 VM fast-suspend-resumes)" in summary


def test_auto_with_fallback_and_named_power_cycle(sim, run_playbook):
    result = run(run_playbook, vlcm_cluster="LP91-Auto", vlcm_power_cycle=["all"])
    assert result.ok, result.output
    rem = role_task(result, "Remediate (live patch where it can)")["result"]
    assert rem["maintenance_mode_hosts"] == ["esxi-91a3.lab.local"]
    vms = role_task(result, "The VMs that could not fast-suspend-resume")["result"]
    assert vms["vms_left"] == [] and [m["name"] for m in vms["migrated"]] == ["91a1-ft-01"]
    assert all(h["compliance_status"] == "COMPLIANT" for h in hosts_of(sim, "LP91-Auto").values())
    summary = "\n".join(role_task(result, "Summary")["result"]["msg"])
    assert "fell back: esxi-91a3.lab.local (TPM" in summary


def test_enforce_refuses_with_reasons_before_any_change(sim, run_playbook):
    result = run(run_playbook, vlcm_cluster="LP91-DRS")
    assert not result.ok
    refusal = role_task(result, "Refuse when live patch is enforced and a host cannot be live patched")
    assert refusal["status"] == "failed"
    assert "DRS is partially automated on cluster LP91-DRS; set it to fully automated" in refusal["result"]["msg"]
    assert sim.mutating_calls() == {}


def test_bad_variables_send_nothing(sim, run_playbook):
    result = run(run_playbook, vlcm_cluster="LP91-Auto", vlcm_live_patch_mode="AUTO", vlcm_enforce_quick_patch=True)
    assert not result.ok
    assert sim.counters()["logins"].get("rest", 0) == 0
