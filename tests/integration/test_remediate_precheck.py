# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.remediate: a failing pre-check stops before any change (tiny scenario with DRS in manual mode)."""

from __future__ import annotations

from pathlib import Path

import pytest

CLUSTER = "Tiny-01"
T1, T2 = "esxi-t1.lab.local", "esxi-t2.lab.local"
SIM_SCENARIO = "tiny"   # replaced below by a copy whose cluster has DRS in manual mode
C = "/api/esx/settings/clusters/{cluster}/software"


@pytest.fixture(scope="module", autouse=True)
def _tiny_manual_drs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    import vlcmsim

    text = (Path(vlcmsim.__file__).parent / "scenarios" / "tiny.yml").read_text()
    needle = "drs: {enabled: true, behavior: fullyAutomated}"
    assert needle in text
    path = tmp_path_factory.mktemp("scenario-drs") / "tiny_manual_drs.yml"
    path.write_text(text.replace(needle, "drs: {enabled: true, behavior: manual}").replace("name: tiny\n", "name: tiny_manual_drs\n"))
    request.module.SIM_SCENARIO = str(path)


def test_precheck_failure_names_the_reason_and_changes_nothing(sim, run_playbook, counters):
    before = {h["name"]: (h["installed"], h["staged_commit"], h["in_maintenance"]) for h in sim.state()["hosts"]}
    result = run_playbook(f"""
        - name: remediate
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
    """)
    assert not result.ok
    out = result.task("remediate")
    msg = out["msg"]
    assert msg.startswith(f"the remediation pre-check of cluster '{CLUSTER}' failed, nothing was changed")
    # both hosts run powered-on VMs that manual DRS will not evacuate: each is named with vCenter's fix
    for name in (T1, T2):
        assert f"host {name}: DRS and VM power state: Powered-on VMs" in msg
    assert "pre_remediation_power_action" in msg
    assert out["precheck"]["status"] == "ERROR" and len(out["precheck"]["errors"]) == 2
    assert sorted(out["would_remediate"]) == [T1, T2]
    assert sim.mutating_calls() == {f"POST {C}?action=check": 1}      # the pre-check and nothing else
    after = {h["name"]: (h["installed"], h["staged_commit"], h["in_maintenance"]) for h in sim.state()["hosts"]}
    assert after == before


def test_the_policy_fix_from_the_message_lets_it_pass(sim, run_playbook):
    result = run_playbook(f"""
        - name: policy
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            pre_remediation_power_action: POWER_OFF_VMS
        - name: would
          vsphere.lifecycle.remediate:
            cluster: {CLUSTER}
            accept_eula: true
          check_mode: true
    """)
    assert result.ok, result.output
    out = result.task("would")
    assert out["precheck"]["status"] == "WARNING" and out["precheck"]["errors"] == []
    assert any("powered off" in w for w in out["precheck"]["warnings"])
    assert any("pre-check:" in w for w in out.get("warnings", []))
