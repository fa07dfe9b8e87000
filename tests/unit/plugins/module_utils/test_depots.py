# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_depots: bundle checks, matching, import (ALREADY_EXISTS), removal (RESOURCE_IN_USE explained), filters."""
from __future__ import annotations

import hashlib
import zipfile

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _depots as depots
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    OptionError,
    TaskFailedError,
)

IN_USE = {"affected_desired_states": [{
    "cluster_name": "Target-01", "cluster_id": "domain-c8", "entity_name": "Target-01", "entity_id": "domain-c8",
    "affected_base_image": {"version": "8.0.3-0.50.1", "display_name": "ESXi", "display_version": "8.0 U3e"},
    "affected_addon": {"DEL-ESXi": {"display_name": "Dell", "vendor": "Dell",
                                    "versions": [{"version": "A02", "display_version": "A02"}]}},
    "affected_hardware_support": {"com.dell.openmanage": {"display_name": "OMIVV",
                                                          "packages": {"Dell-R750-Firmware": {"versions": []}}}},
    "affected_independent_components": {"Intel-i40en": {"display_name": "i40en",
                                                        "versions": [{"version": "2.6", "display_version": "2.6"}]}},
}], "affected_baselines": [{"baseline": "Critical", "id": 3, "affected_updates": {"b1": {}}}]}


class Client:
    """Answers by (method, path) from a table; records the calls."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def _do(self, method, path, **kw):
        self.calls.append((method, path, kw))
        answer = self.answers[(method, path)]
        if isinstance(answer, list):
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, path, **kw):
        return self._do("GET", path, **kw)

    def post(self, path, **kw):
        return self._do("POST", path, **kw)

    def delete(self, path, **kw):
        return self._do("DELETE", path, **kw)

    def upload(self, path, fileobj, content_type=None):
        self.calls.append(("UPLOAD", path, {"bytes": fileobj.read()}))
        return "file-1"


def zip_file(tmp_path, name="b.zip"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("index.xml", "<vendorList/>")
    return path


def test_parse_bundle_url_or_local_zip(tmp_path):
    url = depots.parse_bundle("https://u:p@repo/b.zip?sig=s3cret")
    assert url.source_type == "PULL" and url.describe() == "https://repo/b.zip"
    assert depots.parse_bundle("file:///srv/b.zip").source_type == "PULL"
    path = zip_file(tmp_path)
    local = depots.parse_bundle(str(path))
    assert local.source_type == "PUSH" and local.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert local.ownerdata == f"vsphere.lifecycle sha256:{local.sha256}"
    (tmp_path / "t.txt").write_text("x")
    for value, words in (("", "empty"), ("ftp://x/b.zip", "http, https, file only"), ("https://", "names no"),
                         (str(tmp_path / "none.zip"), "no such file"), (str(tmp_path / "t.txt"), "not a ZIP")):
        with pytest.raises(OptionError, match=words):
            depots.parse_bundle(value)


def test_select_by_location_mark_description_and_id(tmp_path):
    local = depots.parse_bundle(str(zip_file(tmp_path)))
    rows = [{"id": "a", "description": "x", "location": "https://repo/b.zip", "ownerdata": None},
            {"id": "b", "description": "x", "location": None, "ownerdata": local.ownerdata},
            {"id": "c", "description": "y", "location": None, "ownerdata": "someone else's"}]
    assert [d["id"] for d in depots.select(rows, bundle=depots.parse_bundle("https://repo/b.zip"))] == ["a"]
    assert [d["id"] for d in depots.select(rows, bundle=local)] == ["b"]
    assert [d["id"] for d in depots.select(rows, description="x")] == ["a", "b"]
    assert depots.select(rows, depot_id="c", description="x") == []


def test_create_push_uploads_then_imports_and_already_exists_is_unchanged(tmp_path):
    local = depots.parse_bundle(str(zip_file(tmp_path)))
    client = Client({("POST", depots.OFFLINE): "task-1",
                     ("GET", "/api/cis/tasks/task-1"): {"status": "SUCCEEDED", "result": {"depot": "d1"}}})
    started = []
    assert depots.create(client, local, "promo", timeout=10, on_started=started.append) == ("d1", True)
    assert client.calls[0][:2] == ("UPLOAD", "/vum-fileupload") and started == ["task-1"]
    body = client.calls[1][2]["json"]
    assert body == {"source_type": "PUSH", "file_id": "file-1", "ownerdata": local.ownerdata, "description": "promo"}
    assert client.calls[1][2]["params"] == {"vmw-task": "true"} and client.calls[1][2]["retry_on_reset"] is False
    failed = {"status": "FAILED", "error": {"error_type": "ALREADY_EXISTS", "messages": [], "data": {"depot": "d0"}}}
    client = Client({("POST", depots.OFFLINE): "task-2", ("GET", "/api/cis/tasks/task-2"): failed})
    assert depots.create(client, depots.parse_bundle("https://repo/b.zip"), None, timeout=10) == ("d0", False)
    assert client.calls[0][2]["json"] == {"source_type": "PULL", "location": "https://repo/b.zip"}
    other = {"status": "FAILED", "error": {"error_type": "ERROR", "messages": [{"default_message": "bad bundle"}]}}
    client = Client({("POST", depots.OFFLINE): "task-3", ("GET", "/api/cis/tasks/task-3"): other})
    with pytest.raises(TaskFailedError, match="bad bundle"):
        depots.create(client, depots.parse_bundle("https://repo/b.zip"), None, timeout=10)


def test_in_use_refusal_names_images_and_what_they_use():
    refusal = ApiError("DELETE failed", status=400, error_type="RESOURCE_IN_USE", data=IN_USE)
    client = Client({("DELETE", f"{depots.OFFLINE}/d1"): refusal})
    with pytest.raises(depots.DepotInUseError) as err:
        depots.delete(client, {"id": "d1", "description": "promo"}, timeout=10)
    text = str(err.value)
    assert "offline depot d1 ('promo') cannot be removed" in text
    assert "'Target-01' (domain-c8)" in text and "base image 8.0.3-0.50.1 (8.0 U3e)" in text
    assert "add-on DEL-ESXi A02" in text and "component Intel-i40en 2.6" in text and "baseline 'Critical'" in text
    assert "hardware support com.dell.openmanage Dell-R750-Firmware" in text
    rows = err.value.details["in_use_by"]
    assert [r["kind"] for r in rows] == ["desired image", "baseline"] and rows[0]["components"] == ["Intel-i40en 2.6"]
    # the same refusal reported by the task instead of the call
    failed = {"status": "FAILED", "error": {"error_type": "RESOURCE_IN_USE", "messages": [], "data": IN_USE}}
    client = Client({("DELETE", f"{depots.OFFLINE}/d1"): "t", ("GET", "/api/cis/tasks/t"): failed})
    with pytest.raises(depots.DepotInUseError, match="Target-01"):
        depots.delete(client, {"id": "d1"}, timeout=10)
    assert "named no image" in depots.explain_in_use("x", [], "original")


def test_filters_checked_and_applied_per_listing():
    assert depots.check_filters({"names": ["a"], "min_version": "8.0", "vendors": None}) == \
        {"names": ["a"], "min_version": "8.0"}
    for filters, words in (({"names": []}, "empty list"), ({"vendors": [""]}, r"vendors\[0\] is empty"),
                           ({"min_version": " "}, "min_version is empty"), ({"bundle_types": ["X"]}, "not one of")):
        with pytest.raises(OptionError, match=words):
            depots.check_filters(filters)
    answers = {("GET", f"{depots.CONTENT}/base-images"): [[]],          # (a list of answers: one list each)
               ("GET", f"{depots.CONTENT}/components"): [[{"name": "a"}]]}
    client = Client(answers)
    filters = {"names": ["a", "b"], "min_version": "8.0", "bundle_types": ["INDEPENDENT"]}
    out = depots.content(client, ["base_images", "components"], filters)
    assert out == {"base_images": [], "components": [{"name": "a"}]}
    assert client.calls[0][2]["params"] == [("min_version", "8.0")]
    assert client.calls[1][2]["params"] == [("names", "a"), ("names", "b"), ("min_version", "8.0"),
                                            ("bundle_types", "INDEPENDENT")]
    assert depots.unused_filters(["base_images"], filters) == ["bundle_types", "names"]
