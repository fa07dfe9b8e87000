# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 8, reproductions 8, 9 and the playbook parts of 12, through ansible-playbook against vlcmsim (demo
scenario: Cluster-A, Cluster-B, standalone esxi-s1; nothing scanned yet; time scale 0.001).

- remediate_cluster.yml has no default cluster: unnamed, empty or null stops before any call.
- its pre-check reports no change; in check mode the summary says what would be staged and remediated.
- compliance_report.yml isolates a busy cluster (reports it, finishes the others, leaves no async job file:
  since issue 12 it starts none), reports never-scanned targets under vlcm_refresh=false with "set vlcm_refresh=true", and a healthy
  run prints nothing that looks like a failure.
- the playbooks run by their collection names (vsphere.lifecycle.compliance_report) from any directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import REPO, VENV_BIN

SIM_SCENARIO = "demo"
SIM_TIME_SCALE = 0.001
REMEDIATE = REPO / "playbooks" / "remediate_cluster.yml"
REPORT = REPO / "playbooks" / "compliance_report.yml"
PRECHECK = "Pre-check and predicted impact (changes nothing)"
ROLE = "vsphere.lifecycle.compliance_report : "     # compliance_report.yml runs that role (issue 12)
SUMMARY = ROLE + "Compliance summary"


def no_async_jobs(async_dir: Path) -> bool:
    return not async_dir.exists() or sorted(os.listdir(async_dir)) == []


def host_states(sim):
    """What a remediation or staging would change, per host: installed and staged image, maintenance mode."""
    return {h["name"]: json.dumps([h["installed"], h["staged"], h["in_maintenance"]], sort_keys=True)
            for h in sim.state()["hosts"]}


def extra(**variables):
    return ["-e", json.dumps(variables)]


# ----------------------------------------------------------------------------- 8: no default target
@pytest.mark.parametrize("variables", [{}, {"vlcm_cluster": ""}, {"vlcm_cluster": None}, {"vlcm_cluster": "  "}],
                         ids=["unset", "empty", "null", "blank"])
def test_remediate_cluster_without_a_cluster_stops_before_any_call(sim, run_playbook, variables):
    before = host_states(sim)
    result = run_playbook(REMEDIATE, extra_args=extra(vlcm_accept_eula=True, **variables))
    assert not result.ok
    msg = result.task("The cluster to remediate must be named")["msg"]
    assert "set vlcm_cluster to the name of the image-managed cluster to remediate" in msg
    assert "no default cluster" in msg
    counters = sim.counters()
    assert counters["calls"] == {} and counters["logins"]["rest"] == 0  # not one call, not even a login
    assert host_states(sim) == before


# ----------------------------------------------------------------------------- 12: pre-check unchanged, check mode
def test_remediate_cluster_check_mode_says_would_and_precheck_is_unchanged(sim, run_playbook):
    before = host_states(sim)
    result = run_playbook(REMEDIATE, extra_args=[*extra(vlcm_cluster="Cluster-B", vlcm_accept_eula=True), "--check"])
    assert result.ok, result.output
    assert result.task(PRECHECK)["changed"] is False and result.status(PRECHECK) == "ok"
    lines = result.task("Remediation summary")["msg"]
    summary = "\n".join(lines)
    hosts = ", ".join(f"esxi-b{i}.lab.local" for i in range(1, 5))
    assert "cluster Cluster-B: NON_COMPLIANT (check mode: nothing was staged or remediated)" in summary
    assert f"would stage: {hosts}" in lines and f"would remediate: {hosts}" in lines
    assert not any(line.startswith(("staged:", "remediated:", "staging saved", "maintenance mode:")) for line in lines)
    counters = sim.counters()
    assert not any("action=stage" in k or "action=apply" in k for k in counters["calls"])
    assert counters["downloads"] == 0 and counters["installs"] == 0
    assert host_states(sim) == before


def test_remediate_cluster_precheck_is_unchanged_in_a_real_run(sim, run_playbook):
    result = run_playbook(REMEDIATE, extra_args=extra(vlcm_cluster="Cluster-A", vlcm_accept_eula=True))
    assert result.ok, result.output
    assert result.task(PRECHECK)["changed"] is False
    assert result.task("Remediate")["changed"] is True
    summary = "\n".join(result.task("Remediation summary")["msg"])
    assert "cluster Cluster-A: NON_COMPLIANT -> COMPLIANT" in summary and "would " not in summary


# ----------------------------------------------------------------------------- 9: the report isolates failures
def test_report_isolates_a_busy_cluster_and_cleans_its_async_jobs(sim, run_playbook, tmp_path):
    async_dir = tmp_path / "async"
    out = tmp_path / "report.json"
    sim.add_faults({"type": "cluster_busy", "cluster": "Cluster-A"})
    result = run_playbook(REPORT, env={"ANSIBLE_ASYNC_DIR": str(async_dir)},
                          extra_args=extra(vlcm_parallel=1, vlcm_report_file=str(out),
                                           vlcm_standalone_hosts=["esxi-s1.lab.local"]))
    assert not result.ok  # the run fails, at the end, naming what could not be checked
    lines = result.task(SUMMARY)["msg"]
    busy = [line for line in lines if line.startswith("cluster Cluster-A:")]
    assert len(busy) == 1 and "not checked (ERROR)" in busy[0] and "busy" in busy[0], lines
    assert any(line.startswith("cluster Cluster-B: NON_COMPLIANT, 0/4 host(s) compliant") for line in lines)
    assert any(line.startswith("host esxi-s1.lab.local: NON_COMPLIANT") for line in lines)
    report = json.loads(out.read_text())
    by_name = {r["target"]["name"]: r for r in report["clusters"] + report["standalone_hosts"]}
    assert by_name["Cluster-A"]["status"] == "ERROR" and "busy" in by_name["Cluster-A"]["error"]
    assert by_name["Cluster-B"]["counts"]["total"] == 4 and by_name["esxi-s1.lab.local"]["counts"]["total"] == 1
    final = result.task(ROLE + "Every target was checked")["msg"]
    assert final.startswith("1 of 3 target(s) could not be checked") and "Cluster-A:" in final
    assert no_async_jobs(async_dir)
    assert sim.calls("POST /api/esx/settings/clusters/{cluster}/software?action=scan") >= 1


def test_report_with_refresh_false_reports_never_scanned_targets(sim, run_playbook, tmp_path):
    async_dir = tmp_path / "async"
    result = run_playbook(REPORT, env={"ANSIBLE_ASYNC_DIR": str(async_dir)},
                          extra_args=extra(vlcm_refresh=False, vlcm_standalone_hosts=["esxi-s1.lab.local"]))
    assert result.ok, result.output  # no report yet is reported, not a failed run
    lines = result.task(SUMMARY)["msg"]
    for target in ("cluster Cluster-A", "cluster Cluster-B", "host esxi-s1.lab.local"):
        line = next(x for x in lines if x.startswith(target + ":"))
        assert "no report (NOT_SCANNED)" in line and "set vlcm_refresh=true" in line, line
    assert "refresh: true" not in "\n".join(lines)  # the playbook variable is named, not the module option
    assert not any(k.endswith("action=scan") for k in sim.counters()["calls"])
    assert no_async_jobs(async_dir)


def test_healthy_report_prints_nothing_that_looks_like_a_failure(sim, run_playbook, tmp_path):
    # scans that take a few seconds, so that the wait is really a wait
    sim.add_faults({"type": "slow", "seconds": 3, "path": "/api/esx/settings/clusters/*/software/compliance",
                    "count": 2})
    async_dir = tmp_path / "async"
    result = run_playbook(REPORT, env={"ANSIBLE_ASYNC_DIR": str(async_dir)})
    assert result.ok, result.output
    for looks_failed in ("FAILED", "fatal:", "failed:", "ignoring", "RETRYING"):
        assert looks_failed not in result.stdout, looks_failed
    lines = result.task(SUMMARY)["msg"]
    assert sum(line.startswith(("cluster Cluster-A: NON_COMPLIANT", "cluster Cluster-B: NON_COMPLIANT"))
               for line in lines) == 2
    assert no_async_jobs(async_dir)


# ----------------------------------------------------------------------------- 12: collection playbook names
def run_by_collection_name(sim, collections_path: Path, cwd: Path, name: str, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "ANSIBLE_"))}
    env.update(sim.env())
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
                "ANSIBLE_HOME": str(cwd / "ansible_home"), "ANSIBLE_ASYNC_DIR": str(cwd / "async"),
                "ANSIBLE_NOCOLOR": "1", "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"})
    return subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", name, *args], cwd=str(cwd),
                          env=env, capture_output=True, text=True, timeout=300)


def test_playbooks_run_by_collection_name_from_any_directory(sim, collections_path, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = elsewhere / "report.json"
    report = run_by_collection_name(sim, collections_path, elsewhere, "vsphere.lifecycle.compliance_report",
                                    "-e", json.dumps({"vlcm_clusters": ["Cluster-B"], "vlcm_report_file": str(out)}))
    assert report.returncode == 0, report.stdout + report.stderr
    assert "cluster Cluster-B: NON_COMPLIANT" in report.stdout
    assert [r["target"]["name"] for r in json.loads(out.read_text())["clusters"]] == ["Cluster-B"]
    remediate = run_by_collection_name(sim, collections_path, elsewhere, "vsphere.lifecycle.remediate_cluster",
                                       "-e", "vlcm_accept_eula=true")
    assert remediate.returncode != 0 and "set vlcm_cluster to the name" in remediate.stdout + remediate.stderr
