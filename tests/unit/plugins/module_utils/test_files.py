# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_files: destination checks, atomic writes, progress lines; _export: spec, names, the whole export."""
from __future__ import annotations

import hashlib
import os
import stat

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _export as export
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ConnectionFailure,
    OptionError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._files import (
    AtomicFile,
    HashSink,
    Progress,
    resolve_dest,
    safe_name,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target


def test_resolve_dest_directory_file_and_errors(tmp_path):
    d = resolve_dest(str(tmp_path))
    assert d.name is None and d.path("ISO_IMAGE_1.iso") == str(tmp_path / "ISO_IMAGE_1.iso")
    assert resolve_dest(f"{tmp_path}/").name is None
    f = resolve_dest(str(tmp_path / "x.zip"))
    assert (f.directory, f.name) == (str(tmp_path), "x.zip") and f.path("ignored.zip") == str(tmp_path / "x.zip")
    (tmp_path / "afile").write_text("x")
    for value, words in (("", "dest is empty"), ("  ", "dest is empty"), (None, "dest is empty"),
                         (f"{tmp_path}/nope/", "does not exist"), (f"{tmp_path}/nope/x.zip", "does not exist"),
                         (f"{tmp_path}/afile/x.zip", "is not a directory")):
        with pytest.raises(OptionError, match=words):
            resolve_dest(value)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OptionError, match="not a regular file"):
        resolve_dest(str(tmp_path / "fifo"))


def test_safe_name_refuses_paths_and_odd_names():
    assert safe_name("OFFLINE_BUNDLE_3522351988.zip") == "OFFLINE_BUNDLE_3522351988.zip"
    assert safe_name("../../etc/passwd") == "passwd"
    for bad in ("", ".hidden", "a b.zip", "..", "x/"):
        with pytest.raises(VsphereError):
            safe_name(bad)


def test_atomic_file_commit_keeps_mode_and_discard_leaves_nothing(tmp_path):
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"old")
    dest.chmod(0o640)
    with AtomicFile(str(dest)) as f:
        f.write(b"new")
        assert dest.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 2
        f.commit()
    assert dest.read_bytes() == b"new" and stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    with pytest.raises(RuntimeError), AtomicFile(str(dest)) as f:
        f.write(b"partial")
        raise RuntimeError("cut")
    assert dest.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    umask = os.umask(0o022)
    try:
        with AtomicFile(str(tmp_path / "fresh")) as f:
            f.write(b"x")
            f.commit()
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o644      # not mkstemp's 0600


def test_progress_lines_for_large_and_unknown_sizes():
    now = [0.0]
    emitted: list[str] = []
    p = Progress("ISO x.iso", large=100, step=25, clock=lambda: now[0], emit=emitted.append)
    for done in range(10, 201, 10):
        now[0] += 1
        p(done, 200)
    p.finish(200)
    assert [line.split(":")[1].split("(")[0].strip() for line in p.lines[:-1]] == ["25%", "50%", "75%"]
    assert p.lines[-1].startswith("ISO x.iso: 200 bytes in 20.0 s") and emitted == p.lines
    small = Progress("JSON", large=1000, clock=lambda: 0.0)
    small(10, 10)
    small.finish(10)
    assert len(small.lines) == 1                               # small files: only the final line
    unknown = Progress("ZIP", large=100, clock=lambda: 0.0)
    for done in (50, 120, 150, 230):
        unknown(done, None)
    assert [line.split(": ")[1].split(" so far")[0] for line in unknown.lines] == ["120 bytes", "230 bytes"]


class FakeExporter:
    """Answers the export POST and streams ``data`` to the download's file object (or fails mid-way)."""

    def __init__(self, data: bytes, fail_after: int | None = None, url: str | None = None) -> None:
        self.data, self.fail_after = data, fail_after
        self.url = url or "https://vc/vum-filedownload/download?file=OFFLINE_BUNDLE_7.zip"
        self.posts: list[tuple[str, dict]] = []

    def post(self, path, params=None, json=None, **kw):
        self.posts.append((path, json))
        return {"OFFLINE_BUNDLE": self.url}

    def download(self, url, fileobj, chunk=0, on_progress=None):
        if self.fail_after is not None:
            fileobj.write(self.data[:self.fail_after])
            raise ConnectionFailure("download of /vum-filedownload/download was interrupted", address="vc:443")
        fileobj.write(self.data)
        return {"size": len(self.data), "sha256": hashlib.sha256(self.data).hexdigest()}


CLUSTER = Target("cluster", "domain-c9", "Prod-01")


def test_export_spec_and_remote_name():
    assert export.export_spec("zip") == {"export_software_spec": False, "export_offline_bundle": True,
                                         "export_iso_image": False}
    assert export.remote_name("http://vc:9084/vum-filedownload/download?file=SOFTWARE_SPEC_1.json") == \
        "SOFTWARE_SPEC_1.json"
    assert export.remote_name("https://vc/exports/ISO_IMAGE_2.iso") == "ISO_IMAGE_2.iso"


def test_export_writes_compares_and_keeps_the_file_on_failure(tmp_path):
    client = FakeExporter(b"bundle-1")
    res = export.export_to_file(client, CLUSTER, "zip", resolve_dest(str(tmp_path)), check_mode=False)
    path = tmp_path / "OFFLINE_BUNDLE_7.zip"
    assert res["changed"] is True and res["path"] == str(path) and path.read_bytes() == b"bundle-1"
    assert client.posts == [("/api/esx/settings/clusters/domain-c9/software", export.export_spec("zip"))]
    mtime = path.stat().st_mtime_ns
    again = export.export_to_file(client, CLUSTER, "zip", resolve_dest(str(tmp_path)), check_mode=False)
    assert again["changed"] is False and path.stat().st_mtime_ns == mtime and again["diff"]["before"]["size"] == 8
    changed = export.export_to_file(FakeExporter(b"bundle-2"), CLUSTER, "zip", resolve_dest(str(path)),
                                    check_mode=True)
    assert changed["changed"] is True and path.read_bytes() == b"bundle-1"
    with pytest.raises(ConnectionFailure, match="kept its previous content") as err:
        export.export_to_file(FakeExporter(b"bundle-3", fail_after=3), CLUSTER, "zip", resolve_dest(str(path)),
                              check_mode=False)
    assert err.value.details["address"] == "vc:443"
    assert path.read_bytes() == b"bundle-1" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_export_without_the_asked_url_is_an_error(tmp_path):
    class Empty(FakeExporter):
        def post(self, *a, **kw):
            return {}

    with pytest.raises(VsphereError, match="returned no OFFLINE_BUNDLE URL"):
        export.export_to_file(Empty(b""), CLUSTER, "zip", resolve_dest(str(tmp_path)), check_mode=False)


def test_hash_sink_counts_without_storing():
    sink = HashSink()
    for part in (b"ab", b"c"):
        sink.write(part)
    assert sink.size == 3 and sink.hexdigest() == hashlib.sha256(b"abc").hexdigest()
    assert not hasattr(sink, "getvalue")                     # nothing kept: check mode writes nothing
