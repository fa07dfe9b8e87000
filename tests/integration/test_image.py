# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.image through ansible-playbook against vlcmsim (tiny): a new desired image through a draft,
--diff, the second run unchanged, check mode, validation errors, bad input; no draft is ever left behind (the
simulator's draft listing, /sim/state drafts and the REST listing, says so after every run)."""

from __future__ import annotations

from typing import Any

SIM_SCENARIO = "tiny"
REST_ONLY = True

DRAFTS = "/api/esx/settings/clusters/{cluster}/software/drafts"
CREATE = "POST " + DRAFTS
DELETE = "DELETE " + DRAFTS + "/{draft}"
COMMIT = "POST " + DRAFTS + "/{draft}?action=commit"
VALIDATE = "POST " + DRAFTS + "/{draft}?action=validate"


def _cluster(sim: Any, name: str = "Tiny-01") -> dict[str, Any]:
    return {c["name"]: c for c in sim.state()["clusters"]}[name]


def _no_draft_left(sim: Any) -> None:
    assert sim.state()["drafts"] == []
    cluster = _cluster(sim)
    http = sim.session()
    try:
        listing = http.get(f"{sim.url}/api/esx/settings/clusters/{cluster['id']}/software/drafts")
    finally:
        http.delete(f"{sim.url}/api/session")
        http.close()
    assert listing.status_code == 200 and listing.json() == {}, listing.text


def _depot(sim: Any, kind: str) -> list[dict[str, Any]]:
    """GET /api/esx/settings/depot-content/{kind} (base-images, components)."""
    http = sim.session()
    try:
        answer = http.get(f"{sim.url}/api/esx/settings/depot-content/{kind}")
    finally:
        http.delete(f"{sim.url}/api/session")
        http.close()
    assert answer.status_code == 200, answer.text
    return answer.json()


def _other_base_image(sim: Any) -> str:
    desired = _cluster(sim)["desired_image"]["base_image"]
    versions = [b["version"] for b in _depot(sim, "base-images") if b["version"] != desired]
    assert versions, "tiny's depot has a second base image"
    return versions[0]


def test_new_base_image_with_diff_then_unchanged(sim, run_playbook):
    before = _cluster(sim)
    new_base = _other_base_image(sim)
    play = f"""
        - name: image
          vsphere.lifecycle.image:
            cluster: Tiny-01
            base_image: "{new_base}"
            commit_message: integration test
    """
    result = run_playbook(play, extra_args=["--diff"])
    assert result.ok, result.output
    res = result.task("image")
    after = _cluster(sim)
    assert res["changed"] is True
    assert after["desired_image"]["base_image"] == new_base != before["desired_image"]["base_image"]
    assert after["desired_commit"] != before["desired_commit"] and res["commit"] == after["desired_commit"]
    # everything else of the image is as it was
    assert {k: v for k, v in after["desired_image"].items() if k != "base_image"} == \
        {k: v for k, v in before["desired_image"].items() if k != "base_image"}
    assert res["diff"]["before"]["base_image"] == {"version": before["desired_image"]["base_image"]}
    assert res["diff"]["after"]["base_image"] == {"version": new_base}
    assert res["diff"]["before"]["components"] == res["diff"]["after"]["components"]
    assert res["changes"] == [f'base_image.version: "{before["desired_image"]["base_image"]}" -> "{new_base}"']
    assert res["spec"]["base_image"]["version"] == new_base and res["draft_deleted"] is True
    assert "--- before" in result.output and new_base in result.output       # the diff is shown
    assert sim.calls(CREATE) == 1 and sim.calls(COMMIT) == 1 and sim.calls(VALIDATE) == 1
    _no_draft_left(sim)

    snapshot = sim.counters()
    again = run_playbook(play)
    assert again.ok, again.output
    assert again.task("image")["changed"] is False and again.task("image")["draft"] is None
    assert sim.mutating_calls(since=snapshot) == {}
    assert _cluster(sim)["desired_commit"] == after["desired_commit"]
    _no_draft_left(sim)


def test_check_mode_validates_and_deletes_the_draft(sim, run_playbook):
    before = _cluster(sim)
    new_base = _other_base_image(sim)
    result = run_playbook(f"""
        - name: image
          vsphere.lifecycle.image:
            cluster: Tiny-01
            base_image: "{new_base}"
            components:
              Broadcom-bnxt-Net-RoCE: null
    """, extra_args=["--check", "--diff"])
    assert result.ok, result.output
    res = result.task("image")
    assert res["changed"] is True and res["commit"] is None and res["draft_deleted"] is True
    after = _cluster(sim)
    assert after["desired_commit"] == before["desired_commit"]
    assert after["desired_image"] == before["desired_image"]
    # the preview is the validated draft
    assert res["spec"]["base_image"]["version"] == new_base
    assert "Broadcom-bnxt-Net-RoCE" in res["diff"]["after"]["components"]
    # the only changes vCenter saw: the draft, its edits, its validation, its deletion; no commit
    mutating = sim.mutating_calls()
    assert set(mutating) == {CREATE, DELETE, VALIDATE,
                             "PUT " + DRAFTS + "/{draft}/software/base-image",
                             "PATCH " + DRAFTS + "/{draft}/software/components"}, mutating
    assert mutating[CREATE] == mutating[DELETE] == 1
    _no_draft_left(sim)


def test_component_the_depot_lacks_fails_validation_naming_it(sim, run_playbook):
    before = _cluster(sim)
    result = run_playbook("""
        - name: image
          vsphere.lifecycle.image:
            cluster: Tiny-01
            components:
              Intel-ice: "1.14.0.0-1OEM.800.1.0.20613240"
              Intel-i40en: "9.9.9"
          ignore_errors: true
    """)
    assert result.status("image") == "failed", result.output
    res = result.task("image")
    assert "Intel-ice" in res["msg"] and "Intel-i40en 9.9.9" in res["msg"] and "not in the depot" in res["msg"]
    assert res["changed"] is False
    assert any("Intel-ice" in e for e in res["validation_errors"]) and len(res["validation_errors"]) == 2
    assert any(c.startswith("components.Intel-ice: added") for c in res["changes"])
    assert _cluster(sim)["desired_commit"] == before["desired_commit"]
    assert sim.calls(COMMIT) == 0 and sim.calls(CREATE) == sim.calls(DELETE) == 1
    _no_draft_left(sim)


def test_failed_commit_deletes_the_draft_and_reports_it(sim, run_playbook):
    before = _cluster(sim)
    sim.add_faults({"type": "http_status", "status": 500, "method": "POST", "action": "commit",
                    "path": DRAFTS.replace("{cluster}", before["id"]) + "/*", "count": 1})
    result = run_playbook(f"""
        - name: image
          vsphere.lifecycle.image:
            cluster: Tiny-01
            base_image: "{_other_base_image(sim)}"
          ignore_errors: true
    """)
    assert result.status("image") == "failed", result.output
    assert sim.faults() == []                                  # the fault fired
    assert _cluster(sim)["desired_commit"] == before["desired_commit"]
    assert sim.calls(CREATE) == sim.calls(DELETE) == 1
    _no_draft_left(sim)


def test_standalone_host_component_and_removal(sim, run_playbook):
    host = {h["name"]: h for h in sim.state()["hosts"]}["esxi-ts.lab.local"]
    result = run_playbook("""
        - name: image
          vsphere.lifecycle.image:
            host: esxi-ts.lab.local
            components:
              Broadcom-bnxt-Net-RoCE: null
            removed_components: [VMware-NVMe-PCIe]
    """, extra_args=["--diff"])
    assert result.ok, result.output
    res = result.task("image")
    state = {h["name"]: h for h in sim.state()["hosts"]}["esxi-ts.lab.local"]
    assert res["changed"] is True and state["desired_commit"] != host["desired_commit"]
    versions = [v["version"] for c in _depot(sim, "components") if c["name"] == "Broadcom-bnxt-Net-RoCE"
                for v in c["versions"]]
    assert res["spec"]["components"]["Broadcom-bnxt-Net-RoCE"] in versions
    assert res["spec"]["removed_components"] == ["VMware-NVMe-PCIe"]
    assert sim.state()["drafts"] == []
    snapshot = sim.counters()
    again = run_playbook("""
        - name: image
          vsphere.lifecycle.image:
            host: esxi-ts.lab.local
            components:
              Broadcom-bnxt-Net-RoCE: null
            removed_components: [VMware-NVMe-PCIe]
    """)
    assert again.ok and again.task("image")["changed"] is False, again.output
    assert sim.mutating_calls(since=snapshot) == {}


def test_bad_input_is_refused_before_any_call(sim, run_playbook):
    result = run_playbook("""
        - name: float version
          vsphere.lifecycle.image: {cluster: Tiny-01, base_image: 8.0}
          ignore_errors: true
        - name: component version
          vsphere.lifecycle.image: {cluster: Tiny-01, components: {Intel-i40en: 5}}
          ignore_errors: true
        - name: bad name
          vsphere.lifecycle.image: {cluster: Tiny-01, components: {"bad name": "1.0"}}
          ignore_errors: true
        - name: add-on without version
          vsphere.lifecycle.image: {cluster: Tiny-01, add_on: {name: DEL-ESXi}}
          ignore_errors: true
        - name: nothing
          vsphere.lifecycle.image: {cluster: Tiny-01}
          ignore_errors: true
        - name: empty list
          vsphere.lifecycle.image: {cluster: Tiny-01, delete_components: []}
          ignore_errors: true
        - name: both
          vsphere.lifecycle.image: {cluster: Tiny-01, removed_components: [A], restore_components: [A]}
          ignore_errors: true
        - name: host hardware
          vsphere.lifecycle.image:
            host: esxi-ts.lab.local
            hardware_support: {packages: {com.dell.openmanage: {pkg: X, version: "1"}}}
          ignore_errors: true
        - name: empty cluster name
          vsphere.lifecycle.image: {cluster: "", base_image: "1"}
          ignore_errors: true
    """)
    expected = {
        "float version": "base_image.version: expected a version string",
        "component version": "components.Intel-i40en: expected a version string or null, got 5",
        "bad name": 'components["bad name"]: not a valid name',
        "add-on without version": "add_on.version: required but missing",
        "nothing": "nothing to manage",
        "empty list": "delete_components is an empty list",
        "both": "A in both removed_components and restore_components",
        "host hardware": "clusters only",
        "empty cluster name": "cluster",
    }
    for name, words in expected.items():
        assert result.status(name) == "failed", (name, result.output)
        assert words in result.task(name)["msg"], (name, result.task(name)["msg"])
        assert result.task(name)["changed"] is False
        assert "Traceback" not in result.task(name)["msg"]
    assert sim.mutating_calls() == {}
    assert sim.counters()["logins"].get("rest", 0) == 0       # refused before connecting


def test_a_draft_the_user_already_has_is_neither_used_nor_deleted(sim, run_playbook):
    cluster = _cluster(sim)
    http = sim.session()
    try:
        created = http.post(f"{sim.url}/api/esx/settings/clusters/{cluster['id']}/software/drafts")
        assert created.status_code in (200, 201), created.text
        theirs = created.json()
        snapshot = sim.counters()
        result = run_playbook(f"""
            - name: image
              vsphere.lifecycle.image:
                cluster: Tiny-01
                base_image: "{_other_base_image(sim)}"
              ignore_errors: true
        """)
        assert result.status("image") == "failed", result.output
        msg = result.task("image")["msg"]
        assert "already has a software draft" in msg and "nothing was changed" in msg and theirs in msg
        assert result.task("image")["changed"] is False
        assert sim.mutating_calls(since=snapshot) == {CREATE: 1}          # the refused create, nothing else
        assert [d["id"] for d in sim.state()["drafts"]] == [theirs]       # the user's own draft is left alone
        assert _cluster(sim)["desired_commit"] == cluster["desired_commit"]
    finally:
        http.delete(f"{sim.url}/api/esx/settings/clusters/{cluster['id']}/software/drafts/{theirs}")
        http.delete(f"{sim.url}/api/session")
        http.close()
    _no_draft_left(sim)


def test_remove_add_on_and_set_hardware_support(sim, run_playbook):
    before = _cluster(sim)["desired_image"]
    assert before["add_on"] and before["hardware_support"]
    mgr, pkg = next(iter(before["hardware_support"].items()))
    other = "2024.10" if pkg["version"] != "2024.10" else "2025.03"     # tiny's firmware has both packages
    play = f"""
        - name: image
          vsphere.lifecycle.image:
            cluster: Tiny-01
            remove_add_on: true
            hardware_support:
              packages:
                {mgr}: {{pkg: "{pkg['pkg']}", version: "{other}"}}
    """
    result = run_playbook(play, extra_args=["--diff"])
    assert result.ok, result.output
    res = result.task("image")
    after = _cluster(sim)["desired_image"]
    assert res["changed"] is True and after["add_on"] is None
    assert after["hardware_support"] == {mgr: {"pkg": pkg["pkg"], "version": other}} != before["hardware_support"]
    assert after["base_image"] == before["base_image"] and after["components"] == before["components"]
    assert "add_on" in res["diff"]["before"] and "add_on" not in res["diff"]["after"]
    assert sim.calls("DELETE " + DRAFTS + "/{draft}/software/add-on") == 1
    assert sim.calls("PUT " + DRAFTS + "/{draft}/software/hardware-support") == 1
    snapshot = sim.counters()
    again = run_playbook(play)
    assert again.ok and again.task("image")["changed"] is False, again.output
    assert sim.mutating_calls(since=snapshot) == {}
    _no_draft_left(sim)


def test_a_draft_that_cannot_be_deleted_is_reported(sim, run_playbook):
    cluster = _cluster(sim)
    sim.add_faults({"type": "http_status", "status": 500, "method": "DELETE",
                    "path": DRAFTS.replace("{cluster}", cluster["id"]) + "/*", "count": 1})
    result = run_playbook("""
        - name: image
          vsphere.lifecycle.image:
            cluster: Tiny-01
            components: {Intel-ice: "1.0"}
          ignore_errors: true
    """)
    assert result.status("image") == "failed", result.output
    assert sim.faults() == []
    res = result.task("image")
    assert "Intel-ice" in res["msg"]
    left = sim.state()["drafts"]
    assert len(left) == 1 and left[0]["id"] == res["draft"]
    assert any(f"drafts/{res['draft']}" in w and "could not be deleted" in w for w in res.get("warnings", [])), res
    http = sim.session()
    try:
        http.delete(f"{sim.url}/api/esx/settings/clusters/{cluster['id']}/software/drafts/{res['draft']}")
        http.delete(f"{sim.url}/api/session")
    finally:
        http.close()
    _no_draft_left(sim)
