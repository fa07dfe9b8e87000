# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.remediation_policy live patch mode against a vCenter 9.1 (the tiny scenario with vCenter 9.1.0)."""

from __future__ import annotations

from pathlib import Path

import pytest

CLUSTER = "Tiny-01"
SIM_SCENARIO = "tiny"   # replaced below by a 9.1 copy before the simulator starts
PUT_CLUSTER = "PUT /api/esx/settings/clusters/{cluster}/policies/apply"


@pytest.fixture(scope="module", autouse=True)
def _tiny_91(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Autouse module fixtures run before ``sim_server``: point SIM_SCENARIO at a 9.1 copy of tiny."""
    import vlcmsim

    text = (Path(vlcmsim.__file__).parent / "scenarios" / "tiny.yml").read_text()
    assert 'version: "8.0.3"' in text
    path = tmp_path_factory.mktemp("scenario91") / "tiny91.yml"
    path.write_text(text.replace('version: "8.0.3"', 'version: "9.1.0"').replace("name: tiny\n", "name: tiny91\n"))
    request.module.SIM_SCENARIO = str(path)


def cluster_policies(sim):
    return {c["name"]: c for c in sim.state()["clusters"]}[CLUSTER]["policies"]


@pytest.mark.parametrize("mode", ["DISABLE", "AUTO", "ENFORCE"])
def test_live_patch_mode_set_then_unchanged(sim, run_playbook, counters, mode):
    assert sim.state()["vcenter"]["version"] == "9.1.0"
    result = run_playbook(f"""
        - name: set
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            live_patch_mode: {mode}
          diff: true
        - name: again
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            live_patch_mode: {mode}
    """, extra_args=["--diff"])
    assert result.ok, result.output
    first, again = result.task("set"), result.task("again")
    written = {"live_patch_action": {"live_patch_mode": f"{mode}_LIVE_PATCH"}}
    assert first["changed"] is True and first["changed_fields"] == ["software_policy_spec"]
    assert first["api_version"].startswith("9.1")
    assert first["diff"]["after"]["software_policy_spec"] == written
    assert cluster_policies(sim)["software_policy_spec"] == written
    assert first["effective"]["software_policy_spec"] == written
    assert again["changed"] is False
    assert counters()["calls"].get(PUT_CLUSTER) == 1


def test_enforce_quick_patch_is_replaced_by_the_mode(sim, run_playbook):
    result = run_playbook(f"""
        - name: quick
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            enforce_quick_patch: true
        - name: mode
          vsphere.lifecycle.remediation_policy:
            cluster: {CLUSTER}
            live_patch_mode: AUTO
    """)
    assert result.ok, result.output
    policies = cluster_policies(sim)
    # the binding: live_patch_action must not be set together with enforce_quick_patch
    assert "enforce_quick_patch" not in policies
    assert policies["software_policy_spec"] == {"live_patch_action": {"live_patch_mode": "AUTO_LIVE_PATCH"}}
