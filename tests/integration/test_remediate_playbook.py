# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/remediate_cluster.yml against the demo scenario."""

from __future__ import annotations

import json
import re

from .harness import REPO

SIM_SCENARIO = "demo"
PLAYBOOK = REPO / "playbooks" / "remediate_cluster.yml"


def test_remediate_one_cluster_of_the_demo(sim, run_playbook, counters):
    result = run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_cluster": "Cluster-A",
                                                                  "vlcm_accept_eula": True})])
    assert result.ok, result.output
    state = sim.state()
    cluster_a = sorted(h["name"] for h in state["hosts"] if h["cluster"] and h["name"].startswith("esxi-a"))
    assert len(cluster_a) == 4
    stage, remediation = result.task("Stage the desired image (all hosts in parallel, outside maintenance mode)"), \
        result.task("Remediate")
    assert sorted(stage["staged_hosts"]) == cluster_a
    assert sorted(remediation["successful_hosts"]) == cluster_a and remediation["staged_hosts"] == []
    assert result.task("Compliance after")["status"] == "COMPLIANT"
    summary = "\n".join(result.task("Remediation summary")["msg"])
    assert "cluster Cluster-A: NON_COMPLIANT -> COMPLIANT" in summary
    # the summary's figures, against what the simulator recorded
    saved = re.search(r"staging saved: ([0-9.]+) host-seconds of download done before remediation, outside "
                      r"maintenance mode \((\d+) host\(s\) staged in parallel", summary)
    figures = {"window_seconds": float(re.search(r"remediation windows: ([0-9.]+) host-seconds in total",
                                                 summary).group(1)),
               "staging_seconds": float(saved.group(1)), "staged": int(saved.group(2))}
    events = sim.events()
    downloads = [e for e in events if e["phase"] == "download"]
    maintenance = [e for e in events if e["phase"] == "maintenance"]
    assert figures["staged"] == len(downloads) == counters()["downloads"] == 4     # staged hosts = downloads, one each
    # "done before remediation, outside maintenance mode": every download ended before any host entered it
    assert max(d["end"] for d in downloads) <= min(m["start"] for m in maintenance)
    # the figure is the stage task's host windows, which hold the downloads (printed to 0.1 s)
    assert figures["staging_seconds"] + 0.05 >= sum(d["end"] - d["start"] for d in downloads)
    # and the hosts' remediation windows hold the time the simulator counted in maintenance mode
    assert figures["window_seconds"] + 0.05 >= counters()["maintenance_host_seconds"] * state["time_scale"] > 0
    for name in cluster_a:
        assert f"{name}: OK, base image" in summary
    # Cluster-B untouched, nobody left in maintenance mode
    assert all(h["compliance_status"] != "COMPLIANT" for h in state["hosts"] if h["name"].startswith("esxi-b"))
    assert not any(h["in_maintenance"] for h in state["hosts"])
    assert counters()["downloads"] == 4


def test_refuses_without_accepting_the_eula(sim, run_playbook, counters):
    result = run_playbook(PLAYBOOK)
    assert not result.ok and "vlcm_accept_eula=true" in result.output
    assert counters()["logins"]["rest"] == 0
    assert sim.mutating_calls() == {}
