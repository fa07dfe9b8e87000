# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.depot and depot_info through ansible-playbook against two simulators: the offline bundle
exported from tiny's Tiny-01 (with vsphere.lifecycle.image_export) goes into the depot of a second vCenter
started with the promotion_target scenario, whose depot lacks that image's base image, add-on and components."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

SIM_SCENARIO = "tiny"
REST_ONLY = True

CREATE = "POST /api/esx/settings/depots/offline"
DELETE = "DELETE /api/esx/settings/depots/offline/{depot}"
UPLOAD = "POST /vum-fileupload"


def on(target: Any) -> dict[str, str]:
    """The VMWARE_* environment of the target vCenter (replaces the tiny simulator's)."""
    return dict(target.env())


def depot_task(name: str, **options: Any) -> str:
    body = json.dumps(options)
    return f"""
        - name: {name}
          vsphere.lifecycle.depot: {body}
    """


def info_task(name: str, **options: Any) -> str:
    return f"""
        - name: {name}
          vsphere.lifecycle.depot_info: {json.dumps(options) if options else "{}"}
    """


def desired_of(sim: Any, cluster: str = "Tiny-01") -> dict[str, Any]:
    return {c["name"]: c for c in sim.state()["clusters"]}[cluster]["desired_image"]


def listed(info: dict[str, Any]) -> dict[str, set[Any]]:
    """depot_info result -> base image versions, (add-on, version) and (component, version) pairs."""
    return {
        "base_images": {b["version"] for b in info.get("base_images", [])},
        "add_ons": {(a["name"], v["version"]) for a in info.get("add_ons", []) for v in a["versions"]},
        "components": {(c["name"], v["version"]) for c in info.get("components", []) for v in c["versions"]},
    }


def test_push_import_rerun_listing_and_removal(sim, target, run_playbook, files):
    desired = desired_of(sim)
    base, add_on = desired["base_image"], (desired["add_on"]["name"], desired["add_on"]["version"])
    comps = set(desired["components"].items())
    digest = hashlib.sha256(files["zip"].read_bytes()).hexdigest()
    before = run_playbook(info_task("before"), env=on(target))
    assert before.ok, before.output
    seen = listed(before.task("before"))
    assert base not in seen["base_images"] and add_on not in seen["add_ons"] and not comps & seen["components"]
    assert before.task("before")["offline_depots"] == []

    imported = run_playbook(depot_task("import", bundle=str(files["zip"]), description="Tiny-01 promotion"),
                            env=on(target), extra_args=["--diff"])
    assert imported.ok, imported.output
    res = imported.task("import")
    depot = res["depot"]
    assert res["changed"] is True and res["task"]
    assert depot["source_type"] == "PUSH" and depot["description"] == "Tiny-01 promotion"
    assert depot["ownerdata"] == f"vsphere.lifecycle sha256:{digest}"
    assert res["diff"]["before"] == {} and res["diff"]["after"]["id"] == depot["id"]
    assert not re.search(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", json.dumps(res)), "a session-id-like token"
    recorded = target.state()["offline_depots"]                # judged by the simulator
    assert [(d["id"], d["sha256"]) for d in recorded] == [(depot["id"], digest)]
    assert target.counters()["depot_imports"] == 1 and target.calls(UPLOAD) == 1

    snapshot = target.counters()
    again = run_playbook(depot_task("import", bundle=str(files["zip"]), description="Tiny-01 promotion"),
                         env=on(target))
    assert again.ok and again.task("import")["changed"] is False, again.output
    assert again.task("import")["depot"]["id"] == depot["id"]
    assert target.mutating_calls(since=snapshot) == {} and target.calls(UPLOAD) == 1     # not even uploaded

    listing = run_playbook(info_task("all", depot_content=True)
                           + info_task("i40en", content=["components"], names=sorted(desired["components"]),
                                       offline_depots=False), env=on(target))
    assert listing.ok, listing.output
    seen = listed(listing.task("all"))
    assert base in seen["base_images"] and add_on in seen["add_ons"] and comps <= seen["components"]
    (row,) = listing.task("all")["offline_depots"]
    assert row["id"] == depot["id"] and row["content"]["metadata_bundles"]
    only = listing.task("i40en")
    assert set(only) >= {"components"} and "base_images" not in only and "offline_depots" not in only
    assert {c["name"] for c in only["components"]} == set(desired["components"])

    # the same content pulled from another location: vCenter answers ALREADY_EXISTS -> unchanged, that depot
    pulled = run_playbook(depot_task("pull", bundle=files["zip"].as_uri()), env=on(target))
    assert pulled.ok, pulled.output
    assert pulled.task("pull")["changed"] is False and pulled.task("pull")["depot"]["id"] == depot["id"]
    assert "ALREADY_EXISTS" in pulled.task("pull")["msg"]
    assert target.counters()["depot_imports"] == 1 and len(target.state()["offline_depots"]) == 1

    removed = run_playbook(depot_task("remove", state="absent", bundle=str(files["zip"])), env=on(target))
    assert removed.ok and removed.task("remove")["changed"] is True, removed.output
    assert target.state()["offline_depots"] == [] and target.calls(DELETE) == 1
    after = run_playbook(info_task("after") + depot_task("remove", state="absent", bundle=str(files["zip"])),
                         env=on(target))
    assert after.ok and after.task("remove")["changed"] is False, after.output
    seen = listed(after.task("after"))
    assert base not in seen["base_images"] and not comps & seen["components"]      # its content went with it
    assert target.calls(DELETE) == 1


def test_pull_check_mode_and_removal_by_description(target, run_playbook, files):
    url = files["zip"].as_uri()
    checked = run_playbook(depot_task("import", bundle=url, description="pulled"), env=on(target),
                           extra_args=["--check"])
    assert checked.ok and checked.task("import")["changed"] is True, checked.output
    assert checked.task("import")["depot"]["id"] is None
    assert target.mutating_calls() == {} and target.state()["offline_depots"] == []
    done = run_playbook(depot_task("import", bundle=url, description="pulled"), env=on(target))
    assert done.ok and done.task("import")["changed"] is True, done.output
    depot = done.task("import")["depot"]
    assert depot["source_type"] == "PULL" and depot["location"] == url and target.calls(UPLOAD) == 0
    snapshot = target.counters()
    again = run_playbook(depot_task("import", bundle=url, description="pulled"), env=on(target))
    assert again.ok and again.task("import")["changed"] is False, again.output
    assert target.mutating_calls(since=snapshot) == {}
    check_rm = run_playbook(depot_task("rm", state="absent", description="pulled"), env=on(target),
                            extra_args=["--check"])
    assert check_rm.ok and check_rm.task("rm")["changed"] is True, check_rm.output
    assert [d["id"] for d in target.state()["offline_depots"]] == [depot["id"]]
    rm = run_playbook(depot_task("rm", state="absent", description="pulled"), env=on(target))
    assert rm.ok and rm.task("rm")["changed"] is True and target.state()["offline_depots"] == [], rm.output


def commit_spec(target: Any, spec_file: Path, cluster: str = "Target-01") -> None:
    """Make the JSON spec the desired image of a target cluster (REST: import-software-spec, commit)."""
    http = target.session()
    try:
        cid = target.ids().cluster[cluster]
        base = f"{target.url}/api/esx/settings/clusters/{cid}/software/drafts"
        r = http.post(f"{base}?action=import-software-spec", json={"source_type": "PULL",
                                                                   "location": spec_file.as_uri()}, timeout=30)
        assert r.status_code == 200, r.text
        r = http.post(f"{base}/{r.json()}?action=commit&vmw-task=true", json={"message": "promoted"}, timeout=30)
        assert r.status_code == 200, r.text
        task = r.json()
        while True:
            info = http.get(f"{target.url}/api/cis/tasks/{task}", timeout=30).json()
            if info["status"] in ("SUCCEEDED", "FAILED"):
                break
            time.sleep(0.01)
        assert info["status"] == "SUCCEEDED", info
    finally:
        http.delete(f"{target.url}/api/session", timeout=30)


def test_removing_a_depot_an_image_uses_is_refused_and_explained(sim, target, run_playbook, files):
    desired = desired_of(sim)
    imported = run_playbook(depot_task("import", bundle=str(files["zip"]), description="Tiny-01 promotion"),
                            env=on(target))
    assert imported.ok, imported.output
    depot = imported.task("import")["depot"]
    commit_spec(target, files["json"])
    assert desired_of(target, "Target-01") == desired

    snapshot = target.counters()
    refused = run_playbook(depot_task("remove", state="absent", depot_id=depot["id"]), env=on(target))
    assert not refused.ok and refused.status("remove") == "failed", refused.output
    res = refused.task("remove")
    msg = res["msg"]
    assert "RESOURCE_IN_USE" in msg and "'Target-01'" in msg and "Tiny-01 promotion" in msg, msg
    assert desired["base_image"] in msg and "vsphere.lifecycle.image" in msg, msg
    (user,) = res["in_use_by"]
    cluster_id = target.ids().cluster["Target-01"]
    assert (user["name"], user["id"], user["base_image"]) == ("Target-01", cluster_id, desired["base_image"])
    assert any(c.startswith(name) for name in desired["components"] for c in user["components"])
    assert res["changed"] is False and "Traceback" not in refused.output
    # read back: the depot and its content are still there
    assert [d["id"] for d in target.state()["offline_depots"]] == [depot["id"]]
    assert target.mutating_calls(since=snapshot) == {DELETE: 1}       # the refused call, nothing else


def test_several_matches_are_an_error(sim, target, run_playbook, files, tmp_path):
    own = tmp_path / "own"
    own.mkdir()
    exported = run_playbook(f"""
        - name: own zip
          vsphere.lifecycle.image_export: {{cluster: Target-01, format: zip, dest: "{own}/"}}
    """, env=on(target))
    assert exported.ok, exported.output
    twice = run_playbook(depot_task("a", bundle=str(files["zip"]), description="dup")
                         + depot_task("b", bundle=exported.task("own zip")["path"], description="dup"), env=on(target))
    assert twice.ok, twice.output
    ids = {twice.task("a")["depot"]["id"], twice.task("b")["depot"]["id"]}
    assert len(ids) == 2
    snapshot = target.counters()
    ambiguous = run_playbook(depot_task("rm", state="absent", description="dup"), env=on(target))
    assert not ambiguous.ok, ambiguous.output
    res = ambiguous.task("rm")
    assert "2 offline depots match" in res["msg"] and "depot_id" in res["msg"]
    assert {m["id"] for m in res["matches"]} == ids
    assert target.mutating_calls(since=snapshot) == {} and len(target.state()["offline_depots"]) == 2


def test_bad_input_is_refused_before_any_call(sim, run_playbook, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a zip")
    cases = [
        (depot_task("t", bundle=""), "bundle is empty"),
        (depot_task("t", bundle="ftp://repo/bundle.zip"), "http, https, file only"),
        (depot_task("t", bundle=str(tmp_path / "missing.zip")), "no such file"),
        (depot_task("t", bundle=str(text)), "is not a ZIP file"),
        (depot_task("t", state="absent", description=""), "description is empty"),
        (depot_task("t", state="absent", depot_id=""), "depot_id is empty"),
        (depot_task("t", state="absent"), "any of the following are missing"),
        (depot_task("t", bundle="https://repo/b.zip", depot_id="x"), "leave depot_id out with state=present"),
        (depot_task("t", bundle="https://repo/b.zip", wait_timeout=0), "wait_timeout must be a positive"),
        (depot_task("t", state="gone", bundle="https://repo/b.zip"), "value of state must be one of"),
        (info_task("t", names=[]), "names is an empty list"),
        (info_task("t", vendors=[""]), "vendors[0] is empty"),
        (info_task("t", min_version=""), "min_version is empty"),
        (info_task("t", bundle_types=["FOO"]), "value of bundle_types must be one or more of"),
        (info_task("t", content=["drivers"]), "value of content must be one or more of"),
    ]
    for tasks, words in cases:
        result = run_playbook(tasks)
        assert not result.ok, tasks
        assert words in result.task("t")["msg"], (tasks, result.task("t")["msg"])
    assert sim.mutating_calls() == {}
    assert sim.counters()["logins"]["rest"] == 0                 # refused before the first call to vCenter
