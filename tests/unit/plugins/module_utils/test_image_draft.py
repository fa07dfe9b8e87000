# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_image_draft: options -> changes, desired spec, draft edits, and apply_desired's promise that no draft outlives a
run that did not commit it (and that a commit still running is not undercut)."""
from __future__ import annotations

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _image_draft as drafts
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    ConnectionFailure,
    OptionError,
    TaskFailedError,
    TaskTimeoutError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

TARGET = Target("cluster", "domain-c7", "Prod")
BASE = "/api/esx/settings/clusters/domain-c7/software/drafts"
DRAFT = BASE + "/5"
BEFORE = {"base_image": {"version": "1"}, "components": {"a": "1"}}
AFTER = {"base_image": {"version": "2"}, "components": {"a": "1"}}
OK = {"status": "SUCCEEDED", "result": {"notifications": {"errors": []}}}


class Client:
    """Answers by (method, path, action) from a table (a list answers in turn); records the calls."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def _do(self, method, path, **kw):
        action = (kw.get("params") or {}).get("action")
        self.calls.append((method, path, action))
        answer = self.answers.get((method, path, action), self.answers.get((method, path)))
        if isinstance(answer, list):
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, path, **kw):
        return self._do("GET", path, **kw)

    def post(self, path, **kw):
        return self._do("POST", path, **kw)

    def put(self, path, **kw):
        return self._do("PUT", path, **kw)

    def patch(self, path, **kw):
        return self._do("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self._do("DELETE", path, **kw)


def answers(extra=None):
    table = {("POST", BASE): "5", ("PUT", DRAFT + "/software/base-image"): None,
             ("GET", DRAFT): {"software": {"base_image": {"version": "2"}, "components": {"a": {"version": "1"}}}},
             ("POST", DRAFT, "validate"): "task-v", ("GET", "/api/cis/tasks/task-v"): OK,
             ("POST", DRAFT, "commit"): "task-c",
             ("GET", "/api/cis/tasks/task-c"): {"status": "SUCCEEDED", "result": "3"},
             ("DELETE", DRAFT): None}
    table.update(extra or {})
    return table


def run(client, check_mode=False, timeout=60, **kw):
    events = []
    try:
        return drafts.apply_desired(client, TARGET, BEFORE, AFTER, check_mode=check_mode, timeout=timeout,
                                    on_changed=events.append, warn=events.append, **kw), events
    finally:
        run.events = events


def test_commit_consumes_the_draft():
    client = Client(answers())
    out, events = run(client, message="m")
    assert out["commit"] == "3" and out["draft_deleted"] is True
    assert ("DELETE", DRAFT, None) not in client.calls
    assert [c for c in client.calls if c[0] != "GET"] == [("POST", BASE, None), ("PUT", DRAFT + "/software/base-image",
                                                          None), ("POST", DRAFT, "validate"), ("POST", DRAFT, "commit")]
    assert events == [{"changed": True, "commit_task": "task-c"}]


def test_check_mode_validates_then_deletes():
    client = Client(answers())
    out, _events = run(client, check_mode=True)
    assert out["commit"] is None and out["draft_deleted"] is True and out["draft_spec"]["base_image"]["version"] == "2"
    assert ("POST", DRAFT, "commit") not in client.calls and client.calls[-1] == ("DELETE", DRAFT, None)


@pytest.mark.parametrize("failure", ["validation", "edit", "commit_failed", "validate_task_failed"])
def test_every_failure_before_a_commit_deletes_the_draft(failure):
    note = {"id": "x", "message": {"default_message": "Component a 9 is not in the depot."},
            "resolution": {"default_message": "Import it."}}
    bad = {"validation": {("GET", "/api/cis/tasks/task-v"): {"status": "SUCCEEDED",
                                                             "result": {"notifications": {"errors": [note]}}}},
           "edit": {("PUT", DRAFT + "/software/base-image"): ApiError("bad", status=400, error_type="INVALID_ARGUMENT")},
           "commit_failed": {("GET", "/api/cis/tasks/task-c"): {"status": "FAILED", "error": {"messages": [
               {"id": "x", "default_message": "busy", "args": []}]}}},
           "validate_task_failed": {("GET", "/api/cis/tasks/task-v"): {"status": "FAILED"}}}[failure]
    client = Client(answers(bad))
    with pytest.raises((drafts.ImageValidationError, ApiError, TaskFailedError)) as info:
        run(client)
    assert client.calls[-1] == ("DELETE", DRAFT, None)
    if failure == "validation":
        assert "Component a 9 is not in the depot. (Import it.)" in info.value.message
        assert info.value.details["validation_errors"] == ["Component a 9 is not in the depot. (Import it.)"]
    if failure == "commit_failed":
        assert run.events == [{"changed": True, "commit_task": "task-c"}, {"changed": False}]


def test_a_commit_still_running_keeps_its_draft_and_says_so():
    client = Client(answers({("GET", "/api/cis/tasks/task-c"): {"status": "RUNNING"}}))
    with pytest.raises(TaskTimeoutError):
        run(client, timeout=0.001)
    assert ("DELETE", DRAFT, None) not in client.calls
    assert any("still running" in str(e) for e in run.events)


def test_a_draft_that_cannot_be_deleted_is_a_warning():
    failing = {("DELETE", DRAFT): ApiError("boom", status=500, error_type="ERROR"),
               ("PUT", DRAFT + "/software/base-image"): ApiError("bad", status=400)}
    client = Client(answers(failing))
    with pytest.raises(ApiError):
        run(client)
    assert any("could not be deleted" in str(e) for e in run.events)


def test_create_reset_and_existing_draft_are_clear():
    client = Client(answers({("POST", BASE): ConnectionFailure("connection reset")}))
    with pytest.raises(ConnectionFailure) as info:
        run(client)
    assert "may have reached vCenter" in info.value.message and len(client.calls) == 1
    exists = ApiError("exists", status=400, error_type="ALREADY_EXISTS", messages=["User u already has draft 4"])
    client = Client(answers({("POST", BASE): exists}))
    with pytest.raises(ApiError) as info:
        run(client)
    assert "already has a software draft" in info.value.message and "draft 4" in info.value.message
    assert client.calls == [("POST", BASE, None)]


def test_changes_desired_spec_and_edits():
    changes = drafts.check_changes({"base_image": "2", "components": {"a": None, "b": None}, "remove_add_on": True,
                                    "delete_components": ["c"], "removed_components": ["z"]}, standalone=False)
    current = {"base_image": {"version": "1"}, "components": {"a": "1", "c": "3"},
               "add_on": {"name": "A", "version": "1"}}
    desired = drafts.desired_spec(current, changes)
    assert desired == {"base_image": {"version": "2"}, "components": {"a": "1", "b": None}, "removed_components": ["z"]}
    assert drafts.draft_edits(current, desired) == [
        ("PUT", "software/base-image", {"version": "2"}), ("DELETE", "software/add-on", None),
        ("PATCH", "software/components", {"components_to_set": {"b": None}, "components_to_delete": ["c"]}),
        ("PUT", "software/removed-components/z", None)]
    assert drafts.draft_edits(desired, desired) == []
    with pytest.raises(OptionError):
        drafts.check_changes({"hardware_support": {"packages": {"m": {"pkg": "p"}}}}, standalone=True)
