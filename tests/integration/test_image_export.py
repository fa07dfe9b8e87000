# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.image_export through ansible-playbook against vlcmsim (tiny scenario): JSON, ZIP and ISO
files written atomically, SHA-256 checked against the file and the simulator's record of the export, unchanged
re-runs, check mode, a connection reset in the middle of a download, bad input."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import zipfile
from pathlib import Path

import pycdlib
import pytest

SIM_SCENARIO = "tiny"
REST_ONLY = True

EXPORT = "POST /api/esx/settings/clusters/{cluster}/software?action=export"
DOWNLOAD = "GET /vum-filedownload/download"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_task(name: str, fmt: str, dest: Path | str, target: str = "cluster: Tiny-01", extra: str = "") -> str:
    return f"""
        - name: {name}
          vsphere.lifecycle.image_export:
            {target}
            format: {fmt}
            dest: "{dest}"
            {extra}
    """


def sim_export(sim, name: str) -> dict:
    """The simulator's own record of an exported file (name, kind, size, sha256)."""
    return {e["name"]: e for e in sim.state()["exports"]}[name]


def no_secrets(result: dict) -> None:
    text = json.dumps(result)
    assert "vum-filedownload/download?" not in text and "file=" not in text
    assert not re.search(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", text), "a session-id-like token in the result"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A directory of its own for the files (the playbook runner keeps its run directories in tmp_path)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_json_zip_iso_written_with_their_sha256_and_rerun_unchanged(sim, run_playbook, out):
    tasks = "".join(export_task(fmt, fmt, out / f"Tiny-01.{fmt}") for fmt in ("json", "zip", "iso"))
    first = run_playbook(tasks)
    assert first.ok, first.output
    desired = {c["name"]: c for c in sim.state()["clusters"]}["Tiny-01"]["desired_image"]
    files = {}
    for fmt, kind in (("json", "SOFTWARE_SPEC"), ("zip", "OFFLINE_BUNDLE"), ("iso", "ISO_IMAGE")):
        res = first.task(fmt)
        path = out / f"Tiny-01.{fmt}"
        files[fmt] = path
        assert res["changed"] is True and res["path"] == str(path)
        assert res["sha256"] == sha256(path) and res["size"] == path.stat().st_size
        assert res["export_type"] == kind and res["file_name"].startswith(kind + "_")
        record = sim_export(sim, res["file_name"])          # what vCenter exported, judged by the simulator
        assert (record["sha256"], record["size"]) == (res["sha256"], res["size"])
        assert res["progress"] and res["progress"][-1].startswith(f"{kind} {res['file_name']}: ")
        assert res["target"]["name"] == "Tiny-01"
        no_secrets(res)
    assert leftovers(out) == []                               # no temporary file left
    # JSON: the software spec of the desired image
    spec = json.loads(files["json"].read_text())
    assert spec["base_image"]["version"] == desired["base_image"]
    assert spec["components"] == desired["components"]
    # ZIP: an offline bundle that lists the image's components
    with zipfile.ZipFile(files["zip"]) as bundle:
        names = bundle.namelist()
        components = {n.split("/")[1] for n in names if n.startswith("vib20/")}
        assert set(desired["components"]) <= components and len(components) > len(desired["components"])
        meta = zipfile.ZipFile(io.BytesIO(bundle.read("metadata.zip"))).namelist()
    assert f"baseimages/ESXi_{desired['base_image']}.json" in meta
    assert f"addons/{desired['add_on']['name']}_{desired['add_on']['version']}.json" in meta
    assert {f"bulletins/{c}_{v}.xml" for c, v in desired["components"].items()} <= set(meta)
    # ISO: ISO 9660 by its primary volume descriptor (sector 16: type 1, "CD001", version 1), and read by pycdlib
    with files["iso"].open("rb") as f:
        f.seek(16 * 2048)
        pvd = f.read(7)
    assert pvd[0] == 1 and pvd[1:6] == b"CD001" and pvd[6] == 1
    iso = pycdlib.PyCdlib()
    iso.open(str(files["iso"]))
    try:
        listed = {c.file_identifier().decode() for c in iso.list_children(iso_path="/") if c.is_file()}
    finally:
        iso.close()
    assert {"BOOT.CFG;1", "IMGDB.TGZ;1"} <= listed
    assert len([n for n in listed if n.endswith(".V00;1")]) == len(components)

    mtimes = {fmt: p.stat().st_mtime_ns for fmt, p in files.items()}
    before = sim.counters()
    again = run_playbook(tasks)
    assert again.ok, again.output
    for fmt, path in files.items():
        res = again.task(fmt)
        assert res["changed"] is False and res["sha256"] == sha256(path)
        assert path.stat().st_mtime_ns == mtimes[fmt]          # the file was not rewritten
    # the second run asked for the exports (the only way to see their content) and changed nothing else
    assert sim.mutating_calls(since=before) == {EXPORT: 3}
    assert leftovers(out) == []


def test_dest_directory_gets_vcenter_file_name_and_standalone_host(sim, run_playbook, out):
    result = run_playbook(export_task("host zip", "zip", f"{out}/", target="host: esxi-ts.lab.local")
                          + export_task("mode", "json", out / "spec.json", extra='mode: "0640"'))
    assert result.ok, result.output
    res = result.task("host zip")
    assert res["target"]["type"] == "host"
    assert Path(res["path"]) == out / res["file_name"]
    record = sim_export(sim, res["file_name"])
    assert record["target"] == res["target"]["id"] and record["sha256"] == sha256(out / res["file_name"])
    assert sim.calls("POST /api/esx/settings/hosts/{host}/software?action=export") == 1
    assert stat.S_IMODE((out / "spec.json").stat().st_mode) == 0o640
    # only the mode differs: content unchanged, attributes fixed, changed
    changed = run_playbook(export_task("mode", "json", out / "spec.json", extra='mode: "0600"'))
    assert changed.ok and changed.task("mode")["changed"] is True, changed.output
    assert stat.S_IMODE((out / "spec.json").stat().st_mode) == 0o600


def test_check_mode_writes_nothing_and_predicts_changed(sim, run_playbook, out):
    dest = out / "Tiny-01.zip"
    result = run_playbook(export_task("zip", "zip", dest), extra_args=["--check", "--diff"])
    assert result.ok, result.output
    res = result.task("zip")
    assert res["changed"] is True and list(out.iterdir()) == []      # no file, no temporary file
    assert res["diff"]["before"] == {} and res["diff"]["after"]["sha256"] == res["sha256"]
    assert sim_export(sim, res["file_name"])["sha256"] == res["sha256"]
    real = run_playbook(export_task("zip", "zip", dest))
    assert real.ok and real.task("zip")["sha256"] == res["sha256"] == sha256(dest), real.output
    same = run_playbook(export_task("zip", "zip", dest), extra_args=["--check"])
    assert same.ok and same.task("zip")["changed"] is False, same.output
    dest.write_bytes(b"an older bundle")
    other = run_playbook(export_task("zip", "zip", dest), extra_args=["--check"])
    assert other.ok and other.task("zip")["changed"] is True, other.output
    assert dest.read_bytes() == b"an older bundle"                        # check mode left it alone


def test_reset_before_the_first_byte_is_retried(sim, run_playbook, out):
    """A reset before any body byte arrived (before the answer, and after the headers with 0 bytes) is retried."""
    sim.add_faults([{"type": "reset_connection", "path": "/vum-filedownload/download"},
                    {"type": "reset_connection", "path": "/vum-filedownload/download", "after_bytes": 0}])
    result = run_playbook(export_task("iso", "iso", out / "t.iso"))
    assert result.ok, result.output
    assert sim.faults() == []                                    # both fired
    assert sim.calls(DOWNLOAD) == 3
    assert result.task("iso")["sha256"] == sha256(out / "t.iso")


@pytest.mark.parametrize("existing", [False, True])
def test_reset_mid_download_leaves_no_partial_file(sim, run_playbook, out, existing):
    dest = out / "Tiny-01.iso"
    if existing:
        dest.write_bytes(b"the previous image")
    sim.add_faults({"type": "reset_connection", "path": "/vum-filedownload/download", "after_bytes": 5000})
    result = run_playbook(export_task("iso", "iso", dest), extra_args=["--diff"])
    assert not result.ok and result.status("iso") == "failed", result.output
    assert sim.faults() == []
    res = result.task("iso")
    assert "interrupted after 5000 of" in res["msg"] and "/vum-filedownload/download" in res["msg"], res["msg"]
    assert "file=" not in res["msg"] and res["changed"] is False
    assert sim.calls(DOWNLOAD) == 1                              # data had arrived: not retried
    assert [p.name for p in out.iterdir()] == (["Tiny-01.iso"] if existing else [])
    if existing:
        assert dest.read_bytes() == b"the previous image"
    assert "Traceback" not in result.output


def test_bad_input_is_refused_before_any_call(sim, run_playbook, out):
    afile = out / "afile"
    afile.write_text("x")
    cases = {
        "missing dir": (export_task("t", "json", out / "nope" / "x.json"), "does not exist"),
        "missing dir slash": (export_task("t", "json", f"{out}/nope/"), "does not exist"),
        "parent is a file": (export_task("t", "json", afile / "x.json"), "is not a directory"),
        "empty dest": (export_task("t", "json", ""), "dest is empty"),
        "bad format": (export_task("t", "tar", out / "x"), "value of format must be one of"),
        "empty cluster": (export_task("t", "json", out / "x", target='cluster: ""'), "cluster is empty"),
        "null host": (export_task("t", "json", out / "x", target="host: null"), "no target"),
    }
    for label, (tasks, words) in cases.items():
        result = run_playbook(tasks)
        assert not result.ok, label
        msg = result.task("t")["msg"]
        assert words in msg, (label, msg)
    assert sorted(p.name for p in out.iterdir()) == ["afile"]
    assert sim.mutating_calls() == {}
    assert sim.counters()["logins"]["rest"] == 0                 # refused before the first call to vCenter


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_directory_is_refused(sim, run_playbook, out):
    locked = out / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run_playbook(export_task("t", "json", locked / "x.json"))
    finally:
        locked.chmod(0o700)
    assert not result.ok and "not writable" in result.task("t")["msg"]
    assert sim.counters()["logins"]["rest"] == 0 and sim.mutating_calls() == {}
