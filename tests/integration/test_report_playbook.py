# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/compliance_report.yml against the demo scenario (what `make demo` runs)."""

from __future__ import annotations

import json

from .harness import REPO

SIM_SCENARIO = "demo"
REST_ONLY = True
PLAYBOOK = REPO / "playbooks" / "compliance_report.yml"
ROLE = "vsphere.lifecycle.compliance_report : "     # how role task names reach the results callback


def test_report_of_every_image_managed_cluster(sim, run_playbook, tmp_path):
    out = tmp_path / "report.json"
    result = run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_report_file": str(out),
                                                                  "vlcm_report_dir": str(tmp_path / "report"),
                                                                  "vlcm_standalone_hosts": ["esxi-s1.lab.local"]})])
    assert result.ok, result.output
    state = sim.state()
    managed = sorted(c["name"] for c in state["clusters"] if c["image_managed"])
    assert managed and {"Cluster-A", "Cluster-B"} <= set(managed)
    summary = "\n".join(result.task(ROLE + "Compliance summary")["msg"])
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
    # the same document in the report folder, the HTML page beside it, its path printed
    assert json.loads((tmp_path / "report" / "compliance-report.json").read_text()) == report
    html = tmp_path / "report" / "compliance-report.html"
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert f"HTML: {html}" in result.stdout
    # one module run: one login for the whole report, one scan per target, nothing changed in vCenter
    counters = sim.counters()
    assert counters["logins"].get("rest", 0) == 1
    assert sim.calls("POST /api/esx/settings/clusters/{cluster}/software?action=scan") == len(managed)
    assert sim.calls("POST /api/esx/settings/hosts/{host}/software?action=scan") == 1
    assert sim.mutating_calls() == {}


def test_report_of_named_cluster_from_last_report(sim, run_playbook):
    result = run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_clusters": ["Cluster-B"]})])
    assert result.ok, result.output
    summary = "\n".join(result.task(ROLE + "Compliance summary")["msg"])
    assert "cluster Cluster-B:" in summary and "Cluster-A" not in summary


def test_report_fails_on_unknown_cluster_before_any_scan(sim, run_playbook, tmp_path):
    result = run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_clusters": ["Cluster-A", "No-Such"],
                                                                  "vlcm_report_dir": str(tmp_path / "r")})])
    assert not result.ok
    msg = result.task(ROLE + "Check compliance of the clusters and standalone hosts, write the report")["msg"]
    assert "'No-Such' not found" in msg and "Cluster-A" in msg
    assert sim.calls("POST /api/esx/settings/clusters/{cluster}/software?action=scan") == 0
    assert sim.mutating_calls() == {}
    assert not (tmp_path / "r").exists()


def test_module_refuses_bad_input_before_any_call(sim, run_playbook):
    before = sim.counters()
    result = run_playbook("""
        - name: empty cluster list
          vsphere.lifecycle.fleet_compliance:
            clusters: []
          ignore_errors: true
        - name: parallel out of range
          vsphere.lifecycle.fleet_compliance:
            parallel: 0
          ignore_errors: true
        - name: empty standalone host name
          vsphere.lifecycle.fleet_compliance:
            standalone_hosts: [""]
          ignore_errors: true
        - name: empty report folder
          vsphere.lifecycle.fleet_compliance:
            report_dir: ""
          ignore_errors: true
    """)
    assert "clusters is an empty list" in result.task("empty cluster list")["msg"]
    assert "parallel is 0" in result.task("parallel out of range")["msg"]
    assert "standalone_hosts[0]" in result.task("empty standalone host name")["msg"]
    assert "report_dir is empty" in result.task("empty report folder")["msg"]
    for name in ("empty cluster list", "parallel out of range", "empty standalone host name", "empty report folder"):
        assert result.status(name) == "failed"
        assert "Traceback" not in result.task(name)["msg"]
    after = sim.counters()
    assert after["logins"] == before["logins"]
    assert sim.mutating_calls(since=before) == {}


def test_session_expired_mid_report_one_login_again_none_left_open(sim, run_playbook, tmp_path):
    # every worker polls its scan task; the session expires under them: one login again, the old session gone
    sim.add_faults({"type": "expire_session", "path": "/api/cis/tasks/*"})
    result = run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_report_dir": str(tmp_path / "r"),
                                                                  "vlcm_standalone_hosts": ["esxi-s1.lab.local"],
                                                                  "vlcm_parallel": 3})])
    assert result.ok, result.output
    assert sim.faults() == []
    assert sim.counters()["logins"].get("rest", 0) == 2
    report = json.loads((tmp_path / "r" / "compliance-report.json").read_text())
    assert [e["status"] for e in report["clusters"] + report["standalone_hosts"]] == ["NON_COMPLIANT"] * 3
    # (the sim fixture then asserts that no REST session is left open)


def test_check_mode_scans_and_writes_no_file(sim, run_playbook, tmp_path):
    result = run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_report_dir": str(tmp_path / "r")}),
                                                "--check"])
    assert result.ok, result.output
    assert not (tmp_path / "r").exists()
    assert "(check mode: not written)" in result.stdout
    summary = "\n".join(result.task(ROLE + "Compliance summary")["msg"])
    assert "cluster Cluster-A:" in summary and "cluster Cluster-B:" in summary
    assert sim.mutating_calls() == {}
