# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image promotion playbook (playbooks/image_promotion.yml, role vsphere.lifecycle.image_promotion) end to end
across two simulators: tiny's Tiny-01 (source) -> promotion_target's Target-01 (whose depot lacks the image's
content). Connections are role variables (no VMWARE_* environment); expected values come from /sim/state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reliability.secrets_plugin import planted

from .harness import REPO

SIM_SCENARIO = "tiny"
REST_ONLY = True
PLAYBOOK = REPO / "playbooks" / "image_promotion.yml"
R = "vsphere.lifecycle.image_promotion : "             # how the results callback names the role's tasks


def connection(server: Any) -> dict[str, Any]:
    return {"hostname": server.host, "port": server.port, "username": server.username, "password": server.password,
            "validate_certs": True, "ca_path": server.ca}


def promote(run_playbook: Any, tmp_path: Path, sim: Any, target: Any, extra: list[str] | None = None,
            **variables: Any) -> Any:
    values = {"vlcm_source_vcenter": connection(sim), "vlcm_target_vcenter": connection(target),
              "vlcm_source_cluster": "Tiny-01", "vlcm_target_clusters": ["Target-01"], **variables}
    inputs = tmp_path / "inputs"          # the role's connection dicts carry the passwords: an input, not an output
    planted(inputs, "test inputs: vlcm_source_vcenter / vlcm_target_vcenter hold the passwords")   # secrets scan
    path = inputs / f"vars-{len(list(inputs.glob('vars-*')))}.json"
    path.write_text(json.dumps(values))
    return run_playbook(PLAYBOOK, connection=False, extra_args=["-e", f"@{path}", *(extra or [])])


def cluster_of(server: Any, name: str) -> dict[str, Any]:
    return {c["name"]: c for c in server.state()["clusters"]}[name]


def hosts_of(server: Any, cluster: str) -> list[dict[str, Any]]:
    cid = cluster_of(server, cluster)["id"]
    return [h for h in server.state()["hosts"] if h["cluster"] == cid]


def test_promotion_end_to_end_with_remediation_then_rerun(sim, target, run_playbook, tmp_path):
    source = cluster_of(sim, "Tiny-01")["desired_image"]
    images = tmp_path / "images"
    result = promote(run_playbook, tmp_path, sim, target, ["-v"], vlcm_image_dir=str(images), vlcm_stage=True,
                     vlcm_remediate=True, vlcm_accept_eula=True)
    assert result.ok, result.output
    for password in {sim.password, target.password}:
        assert password not in result.output                        # -v prints every result: still hidden
    assert (images / "Tiny-01.json").is_file() and (images / "Tiny-01.zip").is_file()
    assert json.loads((images / "Tiny-01.json").read_text())["base_image"]["version"] == source["base_image"]

    imported = result.task(R + "Import the image into Target-01")
    assert imported["changed"] is True and imported["commit"]
    assert cluster_of(target, "Target-01")["desired_image"] == source      # the two vCenters agree
    assert len(target.state()["offline_depots"]) == 1 and target.state()["drafts"] == []
    compliance = result.task(R + "Compliance with the new image of Target-01")
    members = hosts_of(target, "Target-01")
    assert sorted(compliance["non_compliant_hosts"]) == sorted(h["name"] for h in members)
    staged = result.task(R + "Stage the image to Target-01")
    assert sorted(staged["staged_hosts"]) == sorted(h["name"] for h in members)
    remediated = result.task(R + "Remediate Target-01")
    assert sorted(remediated["successful_hosts"]) == sorted(h["name"] for h in members)
    for host in hosts_of(target, "Target-01"):                       # what the hosts run now, by the simulator
        assert host["installed"] == source and host["in_maintenance"] is False
    summary = "\n".join(result.task(R + "Summary")["msg"])
    assert "Target-01: image imported (commit " in summary and "remediated 2" in summary
    assert "offline bundle: imported into the depot" in summary

    snapshot = target.counters()
    again = promote(run_playbook, tmp_path, sim, target, vlcm_image_dir=str(images), vlcm_stage=True,
                    vlcm_remediate=True, vlcm_accept_eula=True)
    assert again.ok, again.output
    assert again.task(R + "Import the image into Target-01")["changed"] is False
    assert again.task(R + "Import the offline bundle into the target depot")["changed"] is False
    assert again.status(R + "Stage the image to Target-01") == "skipped"
    assert again.status(R + "Remediate Target-01") == "skipped"
    assert target.mutating_calls(since=snapshot) == {}
    assert "Target-01: image already equal; compliant 2, non-compliant 0" in "\n".join(again.task(R + "Summary")["msg"])


def test_promotion_default_imports_only_and_removes_its_temporary_directory(sim, target, run_playbook, tmp_path):
    old_hosts = {h["name"]: h["installed"] for h in hosts_of(target, "Target-01")}
    result = promote(run_playbook, tmp_path, sim, target)
    assert result.ok, result.output
    assert cluster_of(target, "Target-01")["desired_image"] == cluster_of(sim, "Tiny-01")["desired_image"]
    assert result.status(R + "Stage the image to Target-01") == "skipped"
    assert result.status(R + "Remediate Target-01") == "skipped"
    assert {h["name"]: h["installed"] for h in hosts_of(target, "Target-01")} == old_hosts
    tempdir = result.task(R + "Make a temporary directory for the exported files")["path"]
    assert not Path(tempdir).exists()
    snapshot = target.counters()
    again = promote(run_playbook, tmp_path, sim, target)            # new scratch files, nothing changed
    assert again.ok, again.output
    assert "changed=0" in again.output.split("PLAY RECAP")[-1], again.output[-2000:]
    assert target.mutating_calls(since=snapshot) == {}


def test_without_the_bundle_the_import_fails_naming_what_is_missing(sim, target, run_playbook, tmp_path):
    source = cluster_of(sim, "Tiny-01")["desired_image"]
    before = cluster_of(target, "Target-01")
    result = promote(run_playbook, tmp_path, sim, target, vlcm_import_bundle=False)
    assert not result.ok
    assert result.status(R + "Check every target cluster before any change on the target vCenter") == "failed"
    (item,) = result.task(R + "Check every target cluster before any change on the target vCenter")["results"]
    msg = item["msg"]
    assert f"base image {source['base_image']}" in msg and source["add_on"]["version"] in msg
    assert target.mutating_calls() == {}
    assert cluster_of(target, "Target-01")["desired_image"] == before["desired_image"]


@pytest.mark.parametrize(("variables", "fragment"), [
    ({"vlcm_target_clusters": []}, "at least one target cluster"),
    ({"vlcm_target_clusters": ["Target-01", ""]}, "none empty"),
    ({"vlcm_remediate": True}, "vlcm_accept_eula: true"),
    ({"vlcm_source_cluster": " "}, "vlcm_source_cluster must name"),
])
def test_bad_variables_stop_before_any_call(sim, target, run_playbook, tmp_path, variables, fragment):
    result = promote(run_playbook, tmp_path, sim, target, **variables)
    assert not result.ok
    assert fragment in result.output
    for server in (sim, target):
        assert server.mutating_calls() == {} and server.counters()["logins"].get("rest", 0) == 0
    for password in {sim.password, target.password}:
        assert password not in result.output


def test_a_wrong_second_cluster_stops_the_run_before_the_first_changes(sim, target, run_playbook, tmp_path):
    before = cluster_of(target, "Target-01")
    result = promote(run_playbook, tmp_path, sim, target, vlcm_target_clusters=["Target-01", "Target-99"])
    assert not result.ok
    assert "Target-99" in result.output and "not found" in result.output.lower()
    assert target.mutating_calls() == {}                           # not even the bundle went in
    assert cluster_of(target, "Target-01")["desired_image"] == before["desired_image"]
    assert target.state()["offline_depots"] == []
