"""Images as code in the simulator (issue 11 item 1): drafts and commits, the staleness of compliance after a
commit, validation against the depot, exported files (JSON, offline bundle ZIP, ISO 9660), downloads with the
session only, offline depots (PULL and PUSH), and promotion of an image to a second simulator whose depot lacks
part of it (seed 003). Over HTTPS, through /api, judged by /sim/state and /sim/counters."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import struct
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pycdlib
import requests
from _simapi import Api

DESIRED_BASE = "8.0.3-0.50.24585383"
CURRENT_BASE = "8.0.3-0.35.24280767"
CURRENT_ADDON = "803.24280767-A01"
I40EN_NEW = "2.6.0.0-1OEM.800.1.0.20613240"
ALL = {"export_software_spec": True, "export_iso_image": True, "export_offline_bundle": True}


def cluster_state(api: Api, name: str) -> dict[str, Any]:
    return next(c for c in api.state()["clusters"] if c["name"] == name)


def new_draft(api: Api, base: str) -> str:
    r = api.post(f"{base}/drafts")
    assert r.status_code == 201, r.text
    return r.json()


def set_current_image(api: Api, base: str, draft: str) -> None:
    """Make the draft the image the hosts run (tiny's `current`)."""
    assert api.put(f"{base}/drafts/{draft}/software/base-image", {"version": CURRENT_BASE}).status_code == 204
    assert api.put(f"{base}/drafts/{draft}/software/add-on",
                   {"name": "DEL-ESXi", "version": CURRENT_ADDON}).status_code == 204
    r = api.http.patch(api.base + f"{base}/drafts/{draft}/software/components",
                       json={"components_to_set": {"Intel-i40en": "2.5.1.0-1vmw.803.0.0.24022510"}}, timeout=30)
    assert r.status_code == 204, r.text
    r = api.put(f"{base}/drafts/{draft}/software/hardware-support",
                {"packages": {"com.dell.openmanage": {"pkg": "Dell-PowerEdge-R750-Firmware", "version": "2024.10"}}})
    assert r.status_code == 204, r.text


def export(api: Api, base: str, **flags: bool) -> dict[str, str]:
    r = api.post(f"{base}?action=export", {**{k: False for k in ALL}, **flags})
    assert r.status_code == 200, r.text
    return r.json()


def download(api: Api, url: str) -> bytes:
    r = api.http.get(url, timeout=30)
    assert r.status_code == 200, r.text
    return r.content


def error_texts(notes: dict[str, Any]) -> list[str]:
    return [n["message"]["default_message"] for n in notes.get("errors") or []]


# --------------------------------------------------------------------------- drafts and commits


def test_commit_bumps_the_desired_commit_and_the_old_report_stays_stale_until_a_scan(tiny: Api) -> None:
    base = tiny.cpath("Tiny-01")
    before = tiny.task(base, "scan")["result"]
    assert before["commit"] == "1" and before["status"] == "NON_COMPLIANT"
    draft = new_draft(tiny, base)
    set_current_image(tiny, base, draft)
    committed = tiny.task(f"{base}/drafts/{draft}", "commit", {"message": "pin to U3c"})
    assert committed["status"] == "SUCCEEDED", committed
    assert committed["result"] == "2"
    st = cluster_state(tiny, "Tiny-01")
    assert st["desired_commit"] == "2" and st["desired_image"]["base_image"] == CURRENT_BASE
    assert tiny.get(f"{base}/commits/2").json()["description"] == "pin to U3c"
    # the stored report was computed against commit 1 and says so: it is not served as commit 2's
    stale = tiny.get(f"{base}/compliance").json()
    assert stale["commit"] == "1" and stale["status"] == "NON_COMPLIANT"
    assert all(h["commit"] == "1" for h in stale["hosts"].values())
    fresh = tiny.task(base, "scan")["result"]
    assert fresh["commit"] == "2" and fresh["status"] == "COMPLIANT"   # hosts run exactly the new image
    assert tiny.get(f"{base}/compliance").json()["commit"] == "2"
    assert tiny.state()["drafts"] == []                                   # a committed draft is gone


def test_stage_after_a_commit_rescans_against_the_new_commit(tiny: Api) -> None:
    base = tiny.cpath("Tiny-01")
    tiny.task(base, "scan")
    draft = new_draft(tiny, base)
    set_current_image(tiny, base, draft)
    assert tiny.task(f"{base}/drafts/{draft}", "commit")["status"] == "SUCCEEDED"
    scans = tiny.counters()["host_scans"]
    staged = tiny.task(base, "stage", {})
    assert staged["status"] == "SUCCEEDED", staged
    # the hosts were rescanned (their report was for commit 1) and found compliant: nothing downloaded
    assert tiny.counters()["host_scans"] >= scans + 2
    assert tiny.counters()["downloads"] == 0
    assert tiny.get(f"{base}/compliance").json()["commit"] == "2"


def test_one_draft_per_user_and_target_that_survives_until_deleted(tiny: Api) -> None:
    base, hbase = tiny.cpath("Tiny-01"), tiny.hpath("esxi-ts.lab.local")
    draft = new_draft(tiny, base)
    second = tiny.post(f"{base}/drafts")
    assert second.status_code == 400 and second.json()["error_type"] == "ALREADY_EXISTS"
    imported = tiny.post(f"{base}/drafts?action=import-software-spec",
                         {"source_type": "JSON_STRING", "software_spec": json.dumps({"base_image": {
                             "version": DESIRED_BASE}})})
    assert imported.status_code == 500 and imported.json()["error_type"] == "ERROR"
    assert draft in imported.json()["messages"][0]["default_message"]
    hdraft = new_draft(tiny, hbase)                    # another target: its own draft
    assert hdraft != draft
    tiny.task(base, "scan")
    tiny.task(base, "stage", {})
    assert {d["id"] for d in tiny.state()["drafts"]} == {draft, hdraft}
    assert tiny.get(f"{base}/drafts/{draft}").status_code == 200
    assert tiny.http.delete(tiny.base + f"{base}/drafts/{draft}", timeout=30).status_code == 204
    assert tiny.get(f"{base}/drafts/{draft}").status_code == 404
    assert tiny.post(f"{base}/drafts").status_code == 201            # free again
    in_cluster = tiny.post(f"/esx/settings/hosts/{tiny.host['esxi-t1.lab.local']}/software/drafts")
    assert in_cluster.status_code == 400 and in_cluster.json()["error_type"] == "UNSUPPORTED"


def test_commit_on_a_busy_cluster_is_refused(tiny: Api) -> None:
    base = tiny.cpath("Tiny-01")
    draft = new_draft(tiny, base)
    tiny.faults({"type": "cluster_busy", "cluster": "Tiny-01"})
    r = tiny.post(f"{base}/drafts/{draft}?action=commit&vmw-task=true", {})
    assert r.status_code == 400 and r.json()["error_type"] == "NOT_ALLOWED_IN_CURRENT_STATE"
    tiny.sim.admin_delete("/sim/faults")
    assert tiny.task(f"{base}/drafts/{draft}", "commit")["status"] == "SUCCEEDED"


def test_removed_component_makes_hosts_non_compliant_until_applied(tiny: Api) -> None:
    base = tiny.hpath("esxi-ts.lab.local")
    draft = new_draft(tiny, base)
    assert tiny.put(f"{base}/drafts/{draft}/software/removed-components/VMware-NVMe-PCIe").status_code == 204
    bogus = tiny.put(f"{base}/drafts/{draft}/software/removed-components/Acme-not-there")
    assert bogus.status_code == 204
    notes = tiny.task(f"{base}/drafts/{draft}", "validate")["result"]["notifications"]
    assert any("Acme-not-there" in t for t in error_texts(notes))
    tiny.http.delete(tiny.base + f"{base}/drafts/{draft}/software/removed-components/Acme-not-there", timeout=30)
    assert tiny.task(f"{base}/drafts/{draft}", "commit")["status"] == "SUCCEEDED"
    comp = tiny.task(base, "scan")["result"]
    assert comp["removed_components"]["VMware-NVMe-PCIe"]["status"] == "NON_COMPLIANT"
    assert comp["removed_components"]["VMware-NVMe-PCIe"]["target_source"] == "USER_REMOVED"
    assert tiny.task(base, "apply", {"accept_eula": True})["status"] == "SUCCEEDED"
    after = tiny.task(base, "scan")["result"]
    assert after["status"] == "COMPLIANT"
    assert "VMware-NVMe-PCIe" not in after["components"]


def test_import_software_spec_by_upload_and_errors_that_name_the_field(tiny: Api) -> None:
    base = tiny.hpath("esxi-ts.lab.local")
    doc = {"base_image": {"version": CURRENT_BASE}, "components": {"Intel-i40en": None}}
    up = tiny.http.post(tiny.sim.url + "/vum-fileupload", data=json.dumps(doc).encode(),
                        headers={"Content-Type": "application/octet-stream"}, timeout=30)
    assert up.status_code == 200, up.text
    r = tiny.post(f"{base}/drafts?action=import-software-spec", {"source_type": "PUSH", "file_id": up.json()})
    assert r.status_code == 200, r.text
    draft = tiny.get(f"{base}/drafts/{r.json()}").json()
    assert draft["software"]["base_image"]["version"] == CURRENT_BASE
    assert tiny.http.delete(tiny.base + f"{base}/drafts/{r.json()}", timeout=30).status_code == 204
    for bad, field in (({"base_image": {"version": CURRENT_BASE}, "addon": {}}, "addon"),
                       ({"components": {}}, "base_image"),
                       ({"base_image": {"version": 8}}, "base_image.version"),
                       ({"base_image": {"version": CURRENT_BASE}, "solutions": {"x": {}}}, "solutions")):
        r = tiny.post(f"{base}/drafts?action=import-software-spec",
                      {"source_type": "JSON_STRING", "software_spec": json.dumps(bad)})
        assert r.status_code == 500 and r.json()["error_type"] == "ERROR", r.text
        assert f"{field}:" in r.json()["messages"][0]["default_message"], r.text
    assert tiny.state()["drafts"] == []
    unknown = tiny.post(f"{base}/drafts?action=import-software-spec", {"source_type": "PUSH", "file_id": "nope"})
    assert unknown.status_code == 500 and "nope" in unknown.text


# --------------------------------------------------------------------------- export


def test_exported_bundle_manifest_zip_and_iso(tiny: Api) -> None:
    base = tiny.cpath("Tiny-01")
    urls = export(tiny, base, **ALL)
    spec = json.loads(download(tiny, urls["SOFTWARE_SPEC"]))
    assert spec["base_image"] == {"version": DESIRED_BASE}
    assert spec["components"] == {"Intel-i40en": I40EN_NEW}
    zdata = download(tiny, urls["OFFLINE_BUNDLE"])
    z = zipfile.ZipFile(io.BytesIO(zdata))
    names = set(z.namelist())
    assert {"index.xml", "vendor-index.xml", "metadata.zip", "SHA256SUMS"} <= names
    manifest = dict(reversed(line.split("  ", 1)) for line in z.read("SHA256SUMS").decode().splitlines())
    assert set(manifest) == names - {"SHA256SUMS"}
    for name, digest in manifest.items():
        assert hashlib.sha256(z.read(name)).hexdigest() == digest, name
    # the image's effective components: base image + add-on + the user component (newer i40en)
    want = {("ESXi", DESIRED_BASE), ("VMware-NVMe-PCIe", "1.2.4.11-1vmw.803.0.50.24585383"),
            ("Intel-i40en", I40EN_NEW), ("DEL-ESXi-iDRAC-Service-Module", "5.3.1.0-ESXi8")}
    vibs = {n for n in names if n.startswith("vib20/")}
    assert {n.split("/")[1] for n in vibs} == {c for c, _v in want}
    assert all(z.read(n).startswith(b"!<arch>\n") for n in vibs)          # VIBs are ar archives
    meta = zipfile.ZipFile(io.BytesIO(z.read("metadata.zip")))
    bulletins = {n for n in meta.namelist() if n.startswith("bulletins/")}
    assert bulletins == {f"bulletins/{c}_{v}.xml" for c, v in want}
    assert f"baseimages/ESXi_{DESIRED_BASE}.json" in meta.namelist()
    assert "addons/DEL-ESXi_803.24585383-A02.json" in meta.namelist()
    # the ISO: ISO 9660 by its primary volume descriptor, and by pycdlib
    iso = download(tiny, urls["ISO_IMAGE"])
    pvd = iso[16 * 2048:17 * 2048]
    assert pvd[0] == 1 and pvd[1:6] == b"CD001" and pvd[6] == 1
    assert struct.unpack("<I", pvd[80:84])[0] * 2048 == len(iso) == struct.unpack(">I", pvd[84:88])[0] * 2048
    assert iso[17 * 2048:17 * 2048 + 6] == b"\xffCD001"
    reader = pycdlib.PyCdlib()
    reader.open_fp(io.BytesIO(iso))
    try:
        files = {c.file_identifier().decode() for c in reader.list_children(iso_path="/") if c.is_file()}
        assert {"BOOT.CFG;1", "IMGDB.TGZ;1"} <= files
        assert len({f for f in files if f.endswith(".V00;1")}) == len(want)
        out = io.BytesIO()
        reader.get_file_from_iso_fp(out, iso_path="/IMGDB.TGZ;1")
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(out.getvalue()))) as tar:
            member = tar.extractfile("var/db/esximg/profiles/software-spec.json")
            assert member is not None and json.loads(member.read()) == spec
        out = io.BytesIO()
        reader.get_file_from_iso_fp(out, iso_path="/BOOT.CFG;1")
        assert out.getvalue().count(b".v00") == len(want)
    finally:
        reader.close()


def test_re_export_gives_identical_bytes_and_another_image_other_bytes(tiny: Api) -> None:
    base = tiny.cpath("Tiny-01")
    first = export(tiny, base, **ALL)
    first_bytes = {k: download(tiny, u) for k, u in first.items()}
    again = export(tiny, base, **ALL)
    assert again == first
    assert {k: download(tiny, u) for k, u in again.items()} == first_bytes
    # negative control: a different desired image exports different files
    draft = new_draft(tiny, base)
    set_current_image(tiny, base, draft)
    assert tiny.task(f"{base}/drafts/{draft}", "commit")["status"] == "SUCCEEDED"
    other = export(tiny, base, **ALL)
    for kind, url in other.items():
        assert url != first[kind]
        assert hashlib.sha256(download(tiny, url)).digest() != hashlib.sha256(first_bytes[kind]).digest()


def test_download_needs_a_valid_session(tiny: Api) -> None:
    url = export(tiny, tiny.cpath("Tiny-01"), export_software_spec=True)["SOFTWARE_SPEC"]
    plain = requests.Session()
    plain.trust_env = False
    plain.verify = tiny.sim.verify
    assert plain.get(url, timeout=30).status_code == 401
    assert plain.get(url, headers={"vmware-api-session-id": "not-a-session"}, timeout=30).status_code == 401
    assert tiny.counters()["export_downloads"] == 0
    sid = tiny.http.headers["vmware-api-session-id"]
    assert plain.get(url, cookies={"vmware-api-session-id": sid}, timeout=30).status_code == 200
    assert plain.get(url, headers={"vmware-api-session-id": sid}, timeout=30).status_code == 200
    assert plain.get(url.replace("file=", "file=x"), headers={"vmware-api-session-id": sid},
                     timeout=30).status_code == 404
    assert tiny.counters()["export_downloads"] == 2
    tiny.http.delete(tiny.base + "/session", timeout=30)              # logged out: the id no longer works
    assert plain.get(url, headers={"vmware-api-session-id": sid}, timeout=30).status_code == 401


# --------------------------------------------------------------------------- offline depots


def test_depot_import_by_upload_and_delete_keeps_the_scenario_content(tiny: Api, tmp_path: Path) -> None:
    base = tiny.cpath("Tiny-01")
    zdata = download(tiny, export(tiny, base, export_offline_bundle=True)["OFFLINE_BUNDLE"])
    anonymous = requests.post(tiny.sim.url + "/vum-fileupload", data=zdata, verify=tiny.sim.verify, timeout=30)
    assert anonymous.status_code == 401
    up = tiny.http.post(tiny.sim.url + "/vum-fileupload", files={"file": ("bundle.zip", zdata)}, timeout=30)
    assert up.status_code == 200, up.text
    created = _create_depot(tiny, {"source_type": "PUSH", "file_id": up.json()})
    assert created["status"] == "SUCCEEDED", created
    depot = created["result"]["depot"]
    assert tiny.get(f"/esx/settings/depots/offline/{depot}").json()["file_id"] == up.json()
    assert tiny.counters()["depot_imports"] == 1
    assert [d["id"] for d in tiny.state()["offline_depots"]] == [depot]
    bases = {b["version"] for b in tiny.get("/esx/settings/depot-content/base-images").json()}
    deleted = tiny.wait(tiny.http.delete(tiny.base + f"/esx/settings/depots/offline/{depot}?vmw-task=true",
                                         timeout=30).json())
    assert deleted["status"] == "SUCCEEDED", deleted
    # everything the bundle held was the scenario's already: the depot content is unchanged
    assert {b["version"] for b in tiny.get("/esx/settings/depot-content/base-images").json()} == bases
    assert tiny.state()["offline_depots"] == []


def _create_depot(api: Api, spec: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/esx/settings/depots/offline?vmw-task=true", spec)
    assert r.status_code == 200, r.text
    return api.wait(r.json())


def test_bad_bundles_fail_the_import_task(tiny: Api, tmp_path: Path) -> None:
    zdata = download(tiny, export(tiny, tiny.cpath("Tiny-01"), export_offline_bundle=True)["OFFLINE_BUNDLE"])
    notzip = tmp_path / "notzip.zip"
    notzip.write_bytes(b"hello")
    missing = tmp_path / "missing.zip"
    # a VIB whose bytes do not match the metadata's sha-256 (negative control of the checksum check)
    src = zipfile.ZipFile(io.BytesIO(zdata))
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            out.writestr(name, data + b"x" if name.startswith("vib20/Intel-i40en/") else data)
    for path, words in ((notzip, "not a ZIP"), (missing, "cannot read"), (tampered, "Intel-i40en")):
        info = _create_depot(tiny, {"source_type": "PULL", "location": path.as_uri()})
        assert info["status"] == "FAILED", info
        text = info["error"]["messages"][0]["default_message"]
        assert "inaccessible or has invalid contents" in text and words in text, text
    good = tmp_path / "good.zip"
    good.write_bytes(zdata)
    assert _create_depot(tiny, {"source_type": "PULL", "location": good.as_uri()})["status"] == "SUCCEEDED"
    assert tiny.counters()["depot_imports"] == 1
    bad = tiny.post("/esx/settings/depots/offline?vmw-task=true", {"source_type": "PUSH", "file_id": "nope"})
    assert bad.status_code == 400 and bad.json()["error_type"] == "INVALID_ARGUMENT"
    force = tiny.http.delete(tiny.base + "/esx/settings/depots/offline/x?vmw-task=true", json={"force": True},
                             timeout=30)
    assert force.status_code == 400 and force.json()["error_type"] == "INVALID_ARGUMENT"   # API 9.0 field on 8.0.3


# --------------------------------------------------------------------------- promotion across two simulators


def test_promotion_to_a_vcenter_whose_depot_lacks_the_components(sim_factory: Any, tmp_path: Path) -> None:
    source = sim_factory("tiny")
    target = sim_factory("promotion_target")
    sbase = source.cpath("Tiny-01")
    urls = export(source, sbase, export_software_spec=True, export_offline_bundle=True)
    spec_file, bundle_file = tmp_path / "Tiny-01.json", tmp_path / "Tiny-01.zip"
    spec_file.write_bytes(download(source, urls["SOFTWARE_SPEC"]))
    bundle_file.write_bytes(download(source, urls["OFFLINE_BUNDLE"]))
    tbase = target.cpath("Target-01")
    before = cluster_state(target, "Target-01")

    def import_json() -> str:
        r = target.post(f"{tbase}/drafts?action=import-software-spec",
                        {"source_type": "PULL", "location": spec_file.as_uri()})
        assert r.status_code == 200, r.text
        return r.json()

    draft = import_json()
    notes = target.task(f"{tbase}/drafts/{draft}", "validate")["result"]["notifications"]
    texts = error_texts(notes)
    # every element the target depot lacks is named, and nothing else
    assert len(texts) == 3, texts
    assert any(DESIRED_BASE in t for t in texts)
    assert any("DEL-ESXi 803.24585383-A02" in t for t in texts)
    assert any("Intel-i40en" in t and I40EN_NEW in t for t in texts)
    failed = target.task(f"{tbase}/drafts/{draft}", "commit")
    assert failed["status"] == "FAILED" and failed["error"]["error_type"] == "INVALID_ARGUMENT"
    assert error_texts(failed["error"]["data"]["notifications"]) == texts
    assert cluster_state(target, "Target-01")["desired_commit"] == before["desired_commit"]   # nothing changed
    assert target.http.delete(target.base + f"{tbase}/drafts/{draft}", timeout=30).status_code == 204
    # negative control: the same JSON validates on the source, whose depot has everything
    sdraft = source.post(f"{sbase}/drafts?action=import-software-spec",
                         {"source_type": "JSON_STRING", "software_spec": spec_file.read_text()}).json()
    assert error_texts(source.task(f"{sbase}/drafts/{sdraft}", "validate")["result"]["notifications"]) == []

    created = _create_depot(target, {"source_type": "PULL", "location": bundle_file.as_uri(),
                                     "description": "Tiny-01 promotion"})
    assert created["status"] == "SUCCEEDED", created
    assert target.counters()["depot_imports"] == 1
    assert DESIRED_BASE in {b["version"] for b in target.get("/esx/settings/depot-content/base-images").json()}
    draft = import_json()
    assert error_texts(target.task(f"{tbase}/drafts/{draft}", "validate")["result"]["notifications"]) == []
    committed = target.task(f"{tbase}/drafts/{draft}", "commit", {"message": "promoted from Tiny-01"})
    assert committed["status"] == "SUCCEEDED", committed
    assert cluster_state(target, "Target-01")["desired_image"] == cluster_state(source, "Tiny-01")["desired_image"]
    # the promoted image needs the imported content now: the depot cannot go without force
    depot = created["result"]["depot"]
    r = target.http.delete(target.base + f"/esx/settings/depots/offline/{depot}?vmw-task=true", timeout=30)
    assert r.status_code == 400 and r.json()["error_type"] == "RESOURCE_IN_USE", r.text
    affected = r.json()["data"]["affected_desired_states"]
    assert [a["cluster_name"] for a in affected] == ["Target-01"]
    assert affected[0]["affected_base_image"]["version"] == DESIRED_BASE
    # the deprecated non-task delete drops only the record: the content stays
    assert target.http.delete(target.base + f"/esx/settings/depots/offline/{depot}", timeout=30).status_code == 204
    assert target.get("/esx/settings/depots/offline").json() == {}
    assert DESIRED_BASE in {b["version"] for b in target.get("/esx/settings/depot-content/base-images").json()}


def test_depot_pulled_over_https_from_another_vcenter_needs_its_session(sim_factory: Any, tmp_path: Path,
                                                                        monkeypatch: Any) -> None:
    """PULL from the source's export URL: the target fetches it over HTTPS (trusting the source's CA through
    SSL_CERT_FILE); without the source's session the download is refused, with HEADER_AUTH (API 9.0) it works."""
    from _simapi import build_scenario, cluster, host
    source = sim_factory("tiny")
    url = export(source, source.cpath("Tiny-01"), export_offline_bundle=True)["OFFLINE_BUNDLE"]
    monkeypatch.setenv("SSL_CERT_FILE", str(source.sim.ca))
    nine = build_scenario(tmp_path, [cluster("Nine-01", [host("esxi-n1.lab.local")])], name="nine",
                          vcenter={"version": "9.1.0"})
    target = sim_factory(nine)
    refused = _create_depot(target, {"source_type": "PULL", "location": url})
    assert refused["status"] == "FAILED"
    assert "HTTP 401" in refused["error"]["messages"][0]["default_message"], refused
    sid = source.http.headers["vmware-api-session-id"]
    pulled = _create_depot(target, {"source_type": "PULL", "location": url, "authentication_spec": {
        "method": "HEADER_AUTH", "authentication_key": "vmware-api-session-id", "authentication_value": sid}})
    assert pulled["status"] == "SUCCEEDED", pulled
    assert source.counters()["export_downloads"] == 1
    assert target.counters()["depot_imports"] == 1
    on_803 = source.post("/esx/settings/depots/offline?vmw-task=true", {"source_type": "PULL", "location": url,
                                                                         "authentication_spec": {"method": "HEADER_AUTH"}})
    assert on_803.status_code == 400 and on_803.json()["error_type"] == "INVALID_ARGUMENT"   # API 9.0 field
