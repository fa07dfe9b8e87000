# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.image_import through ansible-playbook against two simulators: tiny (the source, whose Tiny-01
image is exported with image_export) and a second vCenter started with the promotion_target scenario, whose depot
lacks the base image, add-on and components of that image. Expected values come from each simulator's /sim/state."""

from __future__ import annotations

import json
from typing import Any

import pytest

SIM_SCENARIO = "tiny"
REST_ONLY = True

UPLOAD = "POST /vum-fileupload"
DEPOT_CREATE = "POST /api/esx/settings/depots/offline"
IMPORT = "POST /api/esx/settings/clusters/{cluster}/software/drafts?action=import-software-spec"
VALIDATE = "POST /api/esx/settings/clusters/{cluster}/software/drafts/{draft}?action=validate"
COMMIT = "POST /api/esx/settings/clusters/{cluster}/software/drafts/{draft}?action=commit"
DRAFT_DELETE = "DELETE /api/esx/settings/clusters/{cluster}/software/drafts/{draft}"


def on(server: Any) -> dict[str, str]:
    return dict(server.env())


def task(name: str, **options: Any) -> str:
    return f"""
        - name: {name}
          vsphere.lifecycle.image_import: {json.dumps(options)}
    """


def cluster_of(server: Any, name: str) -> dict[str, Any]:
    return {c["name"]: c for c in server.state()["clusters"]}[name]


def host_of(server: Any, name: str) -> dict[str, Any]:
    return {h["name"]: h for h in server.state()["hosts"]}[name]


def desired_of(server: Any, cluster: str) -> dict[str, Any]:
    return cluster_of(server, cluster)["desired_image"]


def as_spec(image: dict[str, Any]) -> dict[str, Any]:
    """A /sim/state image -> a software spec dict (the shape image_export's JSON has)."""
    spec: dict[str, Any] = {"base_image": {"version": image["base_image"]}, "components": dict(image["components"])}
    if image.get("add_on"):
        spec["add_on"] = dict(image["add_on"])
    if image.get("hardware_support"):
        spec["hardware_support"] = {"packages": image["hardware_support"]}
    if image.get("removed_components"):
        spec["removed_components"] = image["removed_components"]
    return spec


def needs(image: dict[str, Any]) -> list[str]:
    """What the message must name for an image the depot lacks entirely: base image, add-on, each component."""
    out = [f"base image {image['base_image']}", f"add-on {image['add_on']['name']} {image['add_on']['version']}"]
    out += [f"component {n} {v}" for n, v in sorted(image["components"].items())]
    return out


# ----------------------------------------------------------------------------- across two vCenters
def test_missing_content_is_named_and_nothing_changes(sim, target, run_playbook, files):
    source = desired_of(sim, "Tiny-01")
    before = cluster_of(target, "Target-01")
    result = run_playbook(task("import", cluster="Target-01", src=str(files["json"])), env=on(target))
    assert not result.ok
    res = result.task("import")
    assert result.status("import") == "failed" and res["changed"] is False
    for item in needs(source):                                       # every one of them, by name and version
        assert item in res["msg"], (item, res["msg"])
    assert "offline_bundle" in res["msg"] and "Nothing was changed" in res["msg"]
    # image_export wrote the ZIP next to the JSON: the message names it and what it brings (it imports nothing)
    assert f"The offline bundle next to src ({files['zip']}) brings {needs(source)[0]}" in res["msg"]
    rows = {(r["type"], r["name"], r["version"]) for r in res["missing"]}
    assert ("base_image", "ESXi", source["base_image"]) in rows
    assert ("add_on", source["add_on"]["name"], source["add_on"]["version"]) in rows
    assert {("component", n, v) for n, v in source["components"].items()} <= rows
    assert target.mutating_calls() == {}
    after = cluster_of(target, "Target-01")
    assert after["desired_commit"] == before["desired_commit"] and after["desired_image"] == before["desired_image"]
    assert target.state()["drafts"] == [] and target.state()["offline_depots"] == []


def test_offline_bundle_first_then_import_then_rerun_unchanged(sim, target, run_playbook, files):
    source = desired_of(sim, "Tiny-01")
    old = cluster_of(target, "Target-01")
    result = run_playbook(task("import", cluster="Target-01", src=str(files["json"]),
                               offline_bundle=str(files["zip"])), env=on(target), extra_args=["--diff"])
    assert result.ok, result.output
    res = result.task("import")
    assert res["changed"] is True and res["commit"]
    assert res["missing"] and all(r["in_offline_bundle"] is True for r in res["missing"])
    assert res["offline_bundle"]["imported"] is True and res["offline_bundle"]["depot"]
    new = cluster_of(target, "Target-01")
    assert new["desired_image"] == source                            # the two vCenters' desired images are equal
    assert new["desired_commit"] == res["commit"] != old["desired_commit"]
    assert target.state()["drafts"] == []
    assert [d["id"] for d in target.state()["offline_depots"]] == [res["offline_bundle"]["depot"]]
    # the bundle went in before the draft was made (events / counters of the target, in order)
    assert target.calls(UPLOAD) == 1 and target.calls(DEPOT_CREATE) == 1
    assert target.calls(IMPORT) == 1 and target.calls(VALIDATE) == 1 and target.calls(COMMIT) == 1
    ops = [t["operation"] for t in sorted(target.state()["tasks"], key=lambda t: t["created"])]
    assert ops.index(next(o for o in ops if "depots.offline" in o)) < ops.index(next(o for o in ops if "commit" in o))
    assert res["diff"]["before"]["base_image"]["version"] == old["desired_image"]["base_image"]
    assert res["diff"]["after"]["base_image"]["version"] == source["base_image"]
    assert any(line.startswith("base_image.version: ") for line in res["changes"])

    snapshot = target.counters()
    again = run_playbook(task("import", cluster="Target-01", src=str(files["json"]),
                              offline_bundle=str(files["zip"])), env=on(target))
    assert again.ok, again.output
    res2 = again.task("import")
    assert res2["changed"] is False and res2["changes"] == [] and res2["missing"] == []
    assert res2["offline_bundle"]["imported"] is False
    assert res2["offline_bundle"]["depot"] == res["offline_bundle"]["depot"]
    assert target.mutating_calls(since=snapshot) == {}
    assert "commit" not in res2 and "draft" not in res2


def test_into_a_standalone_host_of_the_other_vcenter(sim, target, run_playbook, files):
    source = desired_of(sim, "Tiny-01")
    result = run_playbook(task("host", host="esxi-ps.lab.local", src=str(files["json"]),
                               offline_bundle=str(files["zip"])), env=on(target))
    assert result.ok, result.output
    assert result.task("host")["changed"] is True
    assert result.task("host")["target"]["type"] == "host"
    host = host_of(target, "esxi-ps.lab.local")
    state = target.state()
    assert state["drafts"] == []
    # the host's desired image, read back through the module that reads it
    read = run_playbook("""
        - name: info
          vsphere.lifecycle.image_info: {host: esxi-ps.lab.local, policies: false}
    """, env=on(target))
    assert read.ok, read.output
    image = read.task("info")["image"]
    assert image["base_image"]["version"] == source["base_image"]
    assert (image["add_on"]["name"], image["add_on"]["version"]) == (source["add_on"]["name"],
                                                                     source["add_on"]["version"])
    assert {n: c["version"] for n, c in image["components"].items()} == source["components"]
    assert host["desired_commit"] == result.task("host")["commit"]


def test_check_mode_reports_and_changes_nothing(sim, target, run_playbook, files):
    result = run_playbook(task("import", cluster="Target-01", src=str(files["json"]),
                               offline_bundle=str(files["zip"])), env=on(target), extra_args=["--check", "--diff"])
    assert result.ok, result.output
    res = result.task("import")
    assert res["changed"] is True and res["offline_bundle"]["imported"] is True and res["changes"]
    assert res["diff"]["after"]["base_image"]["version"] == desired_of(sim, "Tiny-01")["base_image"]
    assert target.mutating_calls() == {} and target.calls(UPLOAD) == 0
    assert target.state()["drafts"] == [] and target.state()["offline_depots"] == []


def test_bundle_that_lacks_an_item_is_not_imported(sim, target, run_playbook, files, tmp_path):
    spec = as_spec(desired_of(sim, "Tiny-01"))
    spec["components"]["ACME-nic-driver"] = "9.9.9-1OEM"
    result = run_playbook(task("import", cluster="Target-01", spec=spec, offline_bundle=str(files["zip"])),
                          env=on(target))
    assert not result.ok
    res = result.task("import")
    assert "component ACME-nic-driver 9.9.9-1OEM" in res["msg"] and "but not" in res["msg"]
    row = next(r for r in res["missing"] if r["name"] == "ACME-nic-driver")
    assert row["in_offline_bundle"] is False
    assert all(r["in_offline_bundle"] for r in res["missing"] if r["name"] != "ACME-nic-driver")
    assert res["changed"] is False and target.mutating_calls() == {} and target.calls(UPLOAD) == 0


# ----------------------------------------------------------------------------- one vCenter
def test_spec_dict_into_cluster_diff_rerun_and_export_matches(sim, run_playbook, tmp_path):
    old = cluster_of(sim, "Tiny-01")
    wanted = host_of(sim, "esxi-t1.lab.local")["installed"]         # tiny's "current" image, all in the depot
    assert wanted != old["desired_image"]
    result = run_playbook(task("import", cluster="Tiny-01", spec=as_spec(wanted), commit_message="CHG-1"),
                          extra_args=["--diff"])
    assert result.ok, result.output
    res = result.task("import")
    assert res["changed"] is True and res["missing"] == [] and "offline_bundle" not in res
    new = cluster_of(sim, "Tiny-01")
    assert new["desired_image"] == wanted and new["desired_commit"] == res["commit"]
    assert sim.state()["drafts"] == []
    http = sim.session()                                              # the commit carries the message
    try:
        commit = http.get(f"{sim.url}/api/esx/settings/clusters/{new['id']}/software/commits/{res['commit']}",
                          timeout=30).json()
    finally:
        http.delete(f"{sim.url}/api/session", timeout=30)
    assert commit["description"] == "CHG-1"
    assert res["diff"]["before"]["base_image"]["version"] == old["desired_image"]["base_image"]
    assert res["diff"]["after"]["base_image"]["version"] == wanted["base_image"]

    # the image exported again is the spec that went in
    out = tmp_path / "again.json"
    exported = run_playbook(f"""
        - name: export
          vsphere.lifecycle.image_export: {{cluster: Tiny-01, format: json, dest: "{out}"}}
    """)
    assert exported.ok, exported.output
    assert json.loads(out.read_text()) == as_spec(wanted)

    snapshot = sim.counters()
    again = run_playbook(task("import", cluster="Tiny-01", src=str(out)))
    assert again.ok and again.task("import")["changed"] is False, again.output
    assert sim.mutating_calls(since=snapshot) == {}


def test_check_mode_same_vcenter_no_draft(sim, run_playbook):
    wanted = host_of(sim, "esxi-t1.lab.local")["installed"]
    result = run_playbook(task("import", cluster="Tiny-01", spec=as_spec(wanted)), extra_args=["--check"])
    assert result.ok and result.task("import")["changed"] is True, result.output
    assert sim.mutating_calls() == {} and sim.state()["drafts"] == []
    assert cluster_of(sim, "Tiny-01")["desired_image"] != wanted


def test_failed_validation_deletes_the_draft(sim, run_playbook):
    old = cluster_of(sim, "Tiny-01")
    spec = as_spec(old["desired_image"])
    spec["hardware_support"] = {"packages": {"com.dell.openmanage": {"pkg": "Dell-PowerEdge-R750-Firmware",
                                                                     "version": "2099.01"}}}
    result = run_playbook(task("import", cluster="Tiny-01", spec=spec))
    assert not result.ok
    res = result.task("import")
    assert "2099.01" in res["msg"] and res["validation_errors"]
    assert res["changed"] is False and res["draft"] and "draft_left" not in res
    assert sim.calls(VALIDATE) == 1 and sim.calls(COMMIT) == 0 and sim.calls(DRAFT_DELETE) == 1
    assert sim.state()["drafts"] == []
    new = cluster_of(sim, "Tiny-01")
    assert new["desired_commit"] == old["desired_commit"] and new["desired_image"] == old["desired_image"]


def test_existing_draft_of_the_user_is_named_and_kept(sim, run_playbook):
    http = sim.session()
    cid = sim.ids().cluster["Tiny-01"]
    try:
        r = http.post(f"{sim.url}/api/esx/settings/clusters/{cid}/software/drafts", timeout=30)
        assert r.status_code in (200, 201), r.text
        draft = r.json()
    finally:
        http.delete(f"{sim.url}/api/session", timeout=30)
    snapshot = sim.counters()
    wanted = host_of(sim, "esxi-t1.lab.local")["installed"]
    result = run_playbook(task("import", cluster="Tiny-01", spec=as_spec(wanted)))
    assert not result.ok
    res = result.task("import")
    assert f"draft {draft}" in res["msg"] and res["drafts"] == [draft]
    assert sim.mutating_calls(since=snapshot) == {}
    assert [d["id"] for d in sim.state()["drafts"]] == [draft]      # left as it was


@pytest.mark.parametrize(("options", "fragment"), [
    ({"src": "/nonexistent/image.json"}, "src '/nonexistent/image.json' does not exist"),
    ({"spec": {}}, "spec is empty"),
    ({"spec": {"components": {"X": "1"}}}, "base_image"),
    ({"spec": {"base_image": {"version": "8.0.3-0.50.24585383"}, "components": {"bad name": "1"}}},
     "spec.components"),
    ({"spec": {"base_image": {"version": "8.0.3-0.50.24585383"}},
      "offline_bundle": "https://depot.example.com/b.zip"}, "is a URL"),
    ({"spec": {"base_image": {"version": "8.0.3-0.50.24585383"}}, "offline_bundle": "/etc/hostname"},
     "not a ZIP"),
    ({"spec": {"base_image": {"version": "8.0.3-0.50.24585383"}}, "commit_message": ""}, "commit_message is empty"),
])
def test_bad_input_changes_nothing(sim, run_playbook, options, fragment):
    result = run_playbook(task("bad", cluster="Tiny-01", **options))
    assert not result.ok
    assert fragment in result.task("bad")["msg"], result.task("bad")["msg"]
    assert sim.mutating_calls() == {} and sim.counters()["logins"].get("rest", 0) == 0


def test_src_and_spec_are_exclusive_and_zip_as_src_is_refused(sim, run_playbook, files):
    before = sim.counters()                                          # after the exports of the files fixture
    both = run_playbook(task("both", cluster="Tiny-01", src=str(files["json"]), spec={"base_image": {"version": "x"}}))
    assert not both.ok and "mutually exclusive" in both.task("both")["msg"]
    zipped = run_playbook(task("zip", cluster="Tiny-01", src=str(files["zip"])))
    assert not zipped.ok and "offline_bundle" in zipped.task("zip")["msg"]
    assert sim.mutating_calls(since=before) == {}


def test_invalid_spec_file_names_the_file_and_the_field(sim, run_playbook, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"base_image": {"version": "8.0.3-0.50.24585383"}, "add_on": {"name": "DEL-ESXi"}}))
    result = run_playbook(task("bad", cluster="Tiny-01", src=str(bad)))
    assert not result.ok
    msg = result.task("bad")["msg"]
    assert f"src '{bad}'" in msg and "add_on" in msg and "version" in msg, msg
    notjson = tmp_path / "not.json"
    notjson.write_text("{base_image: 1")
    result = run_playbook(task("bad", cluster="Tiny-01", src=str(notjson)))
    assert not result.ok and "is not a JSON document" in result.task("bad")["msg"]
    assert sim.mutating_calls() == {} and sim.counters()["logins"].get("rest", 0) == 0


def test_without_a_bundle_next_to_src_the_message_says_how_to_get_one(sim, target, run_playbook, files, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    src = alone / "Tiny-01.json"
    src.write_bytes(files["json"].read_bytes())
    result = run_playbook(task("import", cluster="Target-01", src=str(src)), env=on(target))
    assert not result.ok
    msg = result.task("import")["msg"]
    assert "next to src" not in msg and "image_export format=zip" in msg
    assert target.mutating_calls() == {}


def test_a_failed_validation_after_the_bundle_import_reports_the_bundle(sim, target, run_playbook, files):
    old = cluster_of(target, "Target-01")
    spec = as_spec(desired_of(sim, "Tiny-01"))
    spec["hardware_support"]["packages"]["com.dell.openmanage"]["version"] = "2099.01"
    result = run_playbook(task("import", cluster="Target-01", spec=spec, offline_bundle=str(files["zip"])),
                          env=on(target))
    assert not result.ok
    res = result.task("import")
    assert "2099.01" in res["msg"] and res["validation_errors"]
    assert res["changed"] is True                                   # the depot changed: the result says so
    assert res["offline_bundle"]["imported"] is True and res["depot_task"]
    assert [d["id"] for d in target.state()["offline_depots"]] == [res["offline_bundle"]["depot"]]
    assert target.state()["drafts"] == [] and target.calls(DRAFT_DELETE) == 1
    new = cluster_of(target, "Target-01")
    assert new["desired_commit"] == old["desired_commit"] and new["desired_image"] == old["desired_image"]


def test_an_error_on_the_commit_deletes_the_draft(sim, run_playbook):
    old = cluster_of(sim, "Tiny-01")
    wanted = host_of(sim, "esxi-t1.lab.local")["installed"]
    sim.add_faults({"type": "http_status", "status": 500, "method": "POST", "action": "commit"})
    result = run_playbook(task("import", cluster="Tiny-01", spec=as_spec(wanted)))
    assert not result.ok
    res = result.task("import")
    assert sim.faults() == [] and sim.calls(COMMIT) == 1
    assert res["changed"] is False and res["draft"] and "draft_left" not in res
    assert sim.state()["drafts"] == [] and sim.calls(DRAFT_DELETE) == 1
    assert cluster_of(sim, "Tiny-01")["desired_commit"] == old["desired_commit"]


def test_a_lost_commit_answer_is_followed_not_repeated(sim, run_playbook):
    wanted = host_of(sim, "esxi-t1.lab.local")["installed"]
    sim.add_faults({"type": "reset_connection", "after_response": True, "method": "POST", "action": "commit"})
    result = run_playbook(task("import", cluster="Tiny-01", spec=as_spec(wanted)))
    assert result.ok, result.output
    assert sim.faults() == [] and sim.calls(COMMIT) == 1               # not sent twice
    assert result.task("import")["changed"] is True
    assert cluster_of(sim, "Tiny-01")["desired_image"] == wanted and sim.state()["drafts"] == []
