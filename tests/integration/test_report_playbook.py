# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/compliance_report.yml against the demo scenario (what `make demo` runs)."""

from __future__ import annotations

import json

from .harness import REPO

SIM_SCENARIO = "demo"
REST_ONLY = True
PLAYBOOK = REPO / "playbooks" / "compliance_report.yml"


def test_report_of_every_image_managed_cluster(sim, run_playbook, tmp_path):
    out = tmp_path / "report.json"
    result = run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_report_file": str(out),
                                                                  "vlcm_standalone_hosts": ["esxi-s1.lab.local"]})])
    assert result.ok, result.output
    state = sim.state()
    managed = sorted(c["name"] for c in state["clusters"] if c["image_managed"])
    assert managed and {"Cluster-A", "Cluster-B"} <= set(managed)
    summary = "\n".join(result.task("Compliance summary")["msg"])
    for cluster in managed:
        assert f"cluster {cluster}:" in summary
    for host in state["hosts"]:
        assert host["name"] in summary
    report = json.loads(out.read_text())
    assert sorted(r["target"]["name"] for r in report["clusters"]) == managed
    assert [r["target"]["name"] for r in report["standalone_hosts"]] == ["esxi-s1.lab.local"]
    for entry in report["clusters"]:
        assert entry["counts"]["total"] == len(entry["hosts"]) == 4
    assert "Cluster-A" in result.stdout and "esxi-a1.lab.local" in result.stdout


def test_report_of_named_cluster_from_last_report(sim, run_playbook):
    result = run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_clusters": ["Cluster-B"]})])
    assert result.ok, result.output
    summary = "\n".join(result.task("Compliance summary")["msg"])
    assert "cluster Cluster-B:" in summary and "Cluster-A" not in summary
