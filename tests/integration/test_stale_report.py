# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 11 item 7 through ansible-playbook against vlcmsim (tiny): a compliance report computed against an older
desired image never makes a host look compliant. Tiny-01's desired image is first set to what its hosts run and
scanned (every host COMPLIANT in the stored report); then vsphere.lifecycle.image commits a newer base image. The
stored report still says COMPLIANT (read back below); compliance, stage and remediate without refresh notice it
and scan again. Controls: without the image change, the same runs trust the report and scan nothing."""

from __future__ import annotations

from typing import Any

import pytest

SIM_SCENARIO = "tiny"
CLUSTER = "Tiny-01"
T1, T2 = "esxi-t1.lab.local", "esxi-t2.lab.local"
SCAN = "POST /api/esx/settings/clusters/{cluster}/software?action=scan"
STAGE = "POST /api/esx/settings/clusters/{cluster}/software?action=stage"


def _cluster(sim: Any) -> dict[str, Any]:
    return {c["name"]: c for c in sim.state()["clusters"]}[CLUSTER]


def _hosts(sim: Any) -> dict[str, dict[str, Any]]:
    return {h["name"]: h for h in sim.state()["hosts"]}


def _stored_report(sim: Any) -> dict[str, Any]:
    http = sim.session()
    try:
        answer = http.get(f"{sim.url}/api/esx/settings/clusters/{_cluster(sim)['id']}/software/compliance")
    finally:
        http.delete(f"{sim.url}/api/session")
        http.close()
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def compliant_report(sim: Any, run_playbook: Any) -> dict[str, Any]:
    """Tiny-01's desired image := what its hosts run, then a scan: the stored report calls every host COMPLIANT."""
    installed = _hosts(sim)[T1]["installed"]
    assert installed == _hosts(sim)[T2]["installed"]
    add_on = installed["add_on"]
    hsp = {"packages": installed["hardware_support"]} if installed["hardware_support"] else None
    result = run_playbook(f"""
        - name: image as installed
          vsphere.lifecycle.image:
            cluster: {CLUSTER}
            base_image: "{installed['base_image']}"
            add_on: {{name: "{add_on['name']}", version: "{add_on['version']}"}}
            components: {dict(installed['components'])!r}
            hardware_support: {hsp!r}
        - name: scan
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            include_compliant: true
    """)
    assert result.ok, result.output
    assert result.task("image as installed")["changed"] is True
    report = _stored_report(sim)
    assert sorted(report["compliant_hosts"]) == sorted([_hosts(sim)[T1]["id"], _hosts(sim)[T2]["id"]])
    return {"commit": report["commit"], "base_image": installed["base_image"]}


def _newer_base_image(sim: Any, run_playbook: Any, old: str) -> str:
    """Commit the newest base image of the depot as Tiny-01's desired image (through the image module)."""
    http = sim.session()
    try:
        versions = [b["version"] for b in http.get(f"{sim.url}/api/esx/settings/depot-content/base-images").json()]
    finally:
        http.delete(f"{sim.url}/api/session")
        http.close()
    newer = sorted(v for v in versions if v != old)[-1]
    result = run_playbook(f"""
        - name: newer image
          vsphere.lifecycle.image:
            cluster: {CLUSTER}
            base_image: "{newer}"
    """)
    assert result.ok and result.task("newer image")["changed"] is True, result.output
    return newer


def test_compliance_without_refresh_rescans_a_stale_report(sim, run_playbook, compliant_report):
    newer = _newer_base_image(sim, run_playbook, compliant_report["base_image"])
    stored = _stored_report(sim)
    # the stored report is the old one: computed against the old commit, every host still COMPLIANT there
    assert stored["commit"] == compliant_report["commit"] != _cluster(sim)["desired_commit"]
    assert stored["status"] == "COMPLIANT"
    scans = sim.calls(SCAN)
    result = run_playbook(f"""
        - name: compliance
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            refresh: false
            include_compliant: true
    """)
    assert result.ok, result.output
    out = result.task("compliance")
    assert sim.calls(SCAN) == scans + 1 and out["refreshed"] is True
    assert sorted(out["stale_report"]) == [T1, T2]
    assert any(newer in reason for reason in out["stale_report"][T1])
    assert out["status"] == "NON_COMPLIANT"
    assert _stored_report(sim)["commit"] == _cluster(sim)["desired_commit"]


def test_compliance_without_refresh_trusts_a_current_report(sim, run_playbook, compliant_report):
    """Control: the same run with no image change in between scans nothing and reports COMPLIANT."""
    scans = sim.calls(SCAN)
    result = run_playbook(f"""
        - name: compliance
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            refresh: false
            include_compliant: true
    """)
    assert result.ok, result.output
    out = result.task("compliance")
    assert sim.calls(SCAN) == scans and out["refreshed"] is False and out["stale_report"] == {}
    assert out["status"] == "COMPLIANT"


def test_remediate_without_refresh_does_not_skip_a_host_the_old_report_called_compliant(sim, run_playbook,
                                                                                      compliant_report):
    newer = _newer_base_image(sim, run_playbook, compliant_report["base_image"])
    assert _stored_report(sim)["status"] == "COMPLIANT"          # what a trusting module would go by
    scans = sim.calls(SCAN)
    result = run_playbook(f"""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            hosts: [{T1}]
            accept_eula: true
    """)
    assert result.ok, result.output
    out = result.task("remediate")
    assert sim.calls(SCAN) >= scans + 1
    assert list(out["stale_report"]) == [T1] and out["scanned_hosts"] == [T1]
    assert out["changed"] is True and out["successful_hosts"] == [T1] and out["skipped_hosts"] == []
    hosts = _hosts(sim)
    assert hosts[T1]["installed"]["base_image"] == newer
    assert hosts[T2]["installed"]["base_image"] == compliant_report["base_image"]     # not selected, untouched


def test_remediate_without_refresh_skips_compliant_hosts_of_a_current_report(sim, run_playbook, compliant_report):
    """Control: no image change, so the report is current: the host is skipped and nothing is scanned."""
    scans = sim.calls(SCAN)
    snapshot = sim.counters()
    result = run_playbook(f"""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            hosts: [{T1}]
            accept_eula: true
    """)
    assert result.ok, result.output
    out = result.task("remediate")
    assert sim.calls(SCAN) == scans and out["stale_report"] == {} and out["scanned_hosts"] == []
    assert out["changed"] is False and [r["name"] for r in out["skipped_hosts"]] == [T1]
    assert sim.mutating_calls(since=snapshot) == {}


def test_stage_without_refresh_stages_the_current_commit(sim, run_playbook, compliant_report):
    _newer_base_image(sim, run_playbook, compliant_report["base_image"])
    result = run_playbook(f"""
        - name: stage
          vsphere.lifecycle.stage:
            cluster: {CLUSTER}
    """)
    assert result.ok, result.output
    out = result.task("stage")
    assert sorted(out["stale_report"]) == [T1, T2]
    assert out["changed"] is True and sorted(out["staged_hosts"]) == [T1, T2]
    desired = _cluster(sim)["desired_commit"]
    assert desired != compliant_report["commit"]
    # what was staged is the new desired commit, not the one of the old report
    assert {h["staged_commit"] for name, h in _hosts(sim).items() if name in (T1, T2)} == {desired}
