# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_image_import: offline bundle metadata, missing items and their message, desired image vs spec, draft cleanup."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _image_import as ii
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError, OptionError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

BULLETIN = ('<bulletin><id>{n}_{v}</id><componentNameSpec name="{n}" uiString="x"/>'
            '<componentVersionSpec version="{v}" uiString="y"/></bulletin>')
SPEC = {"base_image": {"version": "8.0.3-0.50"}, "add_on": {"name": "DEL-ESXi", "version": "A02"},
        "components": {"Intel-i40en": "2.6.0.0", "ACME": None}}
CLUSTER = Target("cluster", "domain-c8", "Prod-01")


def bundle(tmp_path, *, nested: str = "", components=(("Intel-i40en", "2.6.0.0"),), base="8.0.3-0.50",
           add_on=("DEL-ESXi", "A02")):
    meta = io.BytesIO()
    with zipfile.ZipFile(meta, "w") as z:
        for n, v in components:
            z.writestr(f"bulletins/{n}_{v}.xml", BULLETIN.format(n=n, v=v))
        z.writestr("bulletins/old.xml", "<bulletin><id>pre-7.0</id></bulletin>")     # no component: ignored
        z.writestr("bulletins/broken.xml", "<bulletin")                               # not XML: ignored
        if base:
            z.writestr(f"baseimages/ESXi_{base}.json", json.dumps({"versionSpec": {"version": base}}))
        if add_on:
            release = {"nameSpec": {"name": add_on[0]}, "versionSpec": {"version": add_on[1]}}
            z.writestr(f"addons/{add_on[0]}.json", json.dumps(release))
    path = tmp_path / "b.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{nested}vendor-index.xml", "<vendorIndex><metadata><url>meta-1.zip</url></metadata></vendorIndex>")
        z.writestr(f"{nested}meta-1.zip", meta.getvalue())
        z.writestr("index.xml", "<vendorList/>")
    return path


def test_bundle_content_follows_the_vendor_index(tmp_path):
    content = ii.bundle_content(str(bundle(tmp_path, nested="depot/")))
    assert content.base_images == {"8.0.3-0.50"} and content.add_ons == {("DEL-ESXi", "A02")}
    assert content.components == {"Intel-i40en": {"2.6.0.0"}}


def test_a_zip_without_metadata_is_not_a_bundle(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(OptionError, match="not an ESXi offline bundle"):
        ii.bundle_content(str(path))


def test_missing_items_and_the_message_name_every_one(tmp_path):
    depot = ii.Content(base_images={"8.0.3-0.35"}, components={"Intel-i40en": {"2.5.1.0"}})
    missing = ii.missing_items(SPEC, depot)
    assert [i.describe() for i in missing] == ["base image 8.0.3-0.50", "add-on DEL-ESXi A02",
                                               "component ACME (any version)", "component Intel-i40en 2.6.0.0"]
    text = ii.explain_missing("vCenter vc2", missing, None, None)
    assert all(i.describe() in text for i in missing) and "offline_bundle" in text
    path = bundle(tmp_path)
    from ansible_collections.vsphere.lifecycle.plugins.module_utils import _depots as depots
    has = ii.bundle_content(str(path))
    text = ii.explain_missing("vCenter vc2", missing, depots.parse_bundle(str(path), "offline_bundle"), has)
    assert "brings base image 8.0.3-0.50, add-on DEL-ESXi A02, component Intel-i40en 2.6.0.0" in text
    assert "but not component ACME (any version)" in text
    rows = ii.item_rows(missing, has)
    assert [r["in_offline_bundle"] for r in rows] == [True, True, False, True]
    assert ii.missing_items(SPEC, depot.merged(has).merged(ii.Content(components={"ACME": {"1"}}))) == []


def test_a_component_without_version_matches_any_version():
    current = {"base_image": {"version": "8.0.3-0.50"}, "add_on": {"name": "DEL-ESXi", "version": "A02"},
               "components": {"Intel-i40en": "2.6.0.0", "ACME": "1.2"}}
    assert ii.differences(current, SPEC) == []
    without = {**current, "components": {"Intel-i40en": "2.6.0.0"}}
    assert ii.differences(without, SPEC) == ['components.ACME: added (null)']
    assert ii.diff(current, SPEC)["after"] == ii.diff(current, SPEC)["before"]


@pytest.mark.parametrize(("owner", "user", "mine"), [
    ("administrator@vsphere.local", "Administrator@vsphere.local", True),
    ("VSPHERE.LOCAL\\Administrator", "administrator@vsphere.local", True),
    ("VSPHERE.LOCAL\\someone", "administrator@vsphere.local", False),
    (None, "administrator@vsphere.local", False),
])
def test_owner_matches(owner, user, mine):
    assert ii.owner_matches(owner, user) is mine


class Drafts:
    """A REST client double for draft import: validation notes and commit outcome scripted; records calls."""

    def __init__(self, notes=None, commit_fails=False, delete_fails=False):
        self.notes = notes or {"errors": [], "warnings": [], "info": []}
        self.commit_fails = commit_fails
        self.delete_fails = delete_fails
        self.calls = []

    def post(self, path, params=None, json=None, **kw):
        self.calls.append(("POST", path, (params or {}).get("action")))
        action = (params or {}).get("action")
        return {"import-software-spec": "7", "validate": "t-validate", "commit": "t-commit"}[action]

    def get(self, path, **kw):
        self.calls.append(("GET", path, None))
        if path.endswith("t-validate"):
            return {"status": "SUCCEEDED", "result": {"notifications": self.notes}}
        if self.commit_fails:
            return {"status": "FAILED", "error": {"error_type": "INVALID_ARGUMENT", "messages": [], "data": {
                "notifications": {"errors": [{"message": {"default_message": "Base image gone."}}]}}}}
        return {"status": "SUCCEEDED", "result": "12"}

    def delete(self, path, **kw):
        self.calls.append(("DELETE", path, None))
        if self.delete_fails:
            raise ApiError("boom", status=500, error_type="ERROR")


def run(client, **kw):
    seen = {}
    try:
        out = ii.import_and_commit(client, CLUSTER, SPEC, message="m", timeout=60, record=seen.update, **kw)
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return exc, seen
    return out, seen


def test_commit_takes_the_draft():
    client = Drafts(notes={"errors": [], "warnings": [{"message": {"default_message": "Old NIC."}}], "info": []})
    out, seen = run(client)
    assert out == {"commit": "12", "draft": "7", "warnings": ["Old NIC."]}
    assert seen["changed"] is True and not any(c[0] == "DELETE" for c in client.calls)


def test_validation_errors_delete_the_draft():
    client = Drafts(notes={"errors": [{"message": {"default_message": "Package X is not available."},
                                       "resolution": {"default_message": "Choose another."}}]})
    exc, seen = run(client)
    assert isinstance(exc, ii.ValidationError) and "Package X is not available. (Choose another.)" in exc.message
    assert ("DELETE", "/api/esx/settings/clusters/domain-c8/software/drafts/7", None) in client.calls
    assert "changed" not in seen and "draft_left" not in seen


def test_a_failed_commit_deletes_the_draft_and_restores_changed():
    client = Drafts(commit_fails=True)
    exc, seen = run(client, changed_before=False)
    assert isinstance(exc, ii.ValidationError) and "Base image gone." in exc.message
    assert seen["changed"] is False and client.calls[-1][0] == "DELETE"


def test_a_draft_that_cannot_be_deleted_is_named():
    client = Drafts(notes={"errors": [{"message": {"default_message": "bad"}}]}, delete_fails=True)
    exc, seen = run(client)
    assert isinstance(exc, ii.ValidationError) and seen["draft_left"] == "7"
