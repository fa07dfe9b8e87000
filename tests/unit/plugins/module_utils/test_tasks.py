# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import itertools

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    TaskFailedError,
    TaskTimeoutError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._tasks import (
    PollPolicy,
    task_error_messages,
    wait_for_task,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class TaskClient:
    def __init__(self, infos):
        self.infos = iter(infos)
        self.paths: list[str] = []

    def get(self, path, **kwargs):
        self.paths.append(path)
        return next(self.infos)


def running(done=0):
    return {"status": "RUNNING", "progress": {"total": 100, "completed": done,
                                              "message": {"id": "p", "default_message": f"scanning {done}%", "args": []}}}


def test_succeeds_with_growing_capped_interval():
    clock = Clock()
    client = TaskClient([running(i) for i in range(6)] + [{"status": "SUCCEEDED", "result": None}])
    info = wait_for_task(client, "task-7", description="scan of cluster 'A'", timeout=600,
                         poll=PollPolicy(initial=1.0, factor=2.0, maximum=5.0), clock=clock.time, sleep=clock.sleep)
    assert info["status"] == "SUCCEEDED"
    assert client.paths == ["/api/cis/tasks/task-7"] * 7
    assert clock.sleeps == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_client_task_poll_max_caps_the_default_policy():
    """No poll given: the pauses are capped by the client's task_poll_max (the module option); an initial pause
    longer than the cap is cut to it."""
    clock = Clock()
    client = TaskClient([running(i) for i in range(5)] + [{"status": "SUCCEEDED", "result": None}])
    client.task_poll_max = 0.8
    wait_for_task(client, "task-8", description="stage of cluster 'A'", timeout=600, clock=clock.time, sleep=clock.sleep)
    assert clock.sleeps == [0.5, 0.75, 0.8, 0.8, 0.8]

    clock = Clock()
    client = TaskClient([running(1), running(2), {"status": "SUCCEEDED", "result": None}])
    client.task_poll_max = 0.2
    wait_for_task(client, "task-9", description="scan of cluster 'A'", timeout=600, clock=clock.time, sleep=clock.sleep)
    assert clock.sleeps == [0.2, 0.2]

    clock = Clock()
    client = TaskClient([running(i) for i in range(9)] + [{"status": "SUCCEEDED", "result": None}])
    wait_for_task(client, "task-10", description="scan of cluster 'A'", timeout=600, clock=clock.time, sleep=clock.sleep)
    assert max(clock.sleeps) == 10.0        # no task_poll_max on the client: the 10 s default


def test_failed_task_raises_with_its_messages():
    clock = Clock()
    error = {"error_type": "ERROR", "messages": [{"id": "a", "default_message": "Host esxi-2 is disconnected.",
                                                  "args": []}]}
    client = TaskClient([running(), {"status": "FAILED", "error": error}])
    with pytest.raises(TaskFailedError) as err:
        wait_for_task(client, "task-9", description="stage of cluster 'A'", timeout=60, clock=clock.time,
                      sleep=clock.sleep)
    assert "stage of cluster 'A' failed (task task-9): Host esxi-2 is disconnected." == str(err.value)
    assert err.value.messages == ["Host esxi-2 is disconnected."]


def test_deadline_names_the_task_and_what_it_was_doing():
    clock = Clock()
    client = TaskClient(itertools.repeat(running(40)))
    with pytest.raises(TaskTimeoutError) as err:
        wait_for_task(client, "task-3", description="compliance scan of cluster 'Prod'", timeout=30,
                      poll=PollPolicy(initial=2, factor=1.5, maximum=10), clock=clock.time, sleep=clock.sleep)
    text = str(err.value)
    assert "compliance scan of cluster 'Prod'" in text and "task-3" in text and "30 seconds" in text
    assert "RUNNING" in text and "scanning 40%" in text
    assert sum(clock.sleeps) == pytest.approx(30)  # never sleeps past the deadline
    assert max(clock.sleeps) <= 10


def test_error_messages_from_nested_anyerror():
    nested = {"com.vmware.vapi.std.errors.error": {"messages": [{"default_message": "outer"}],
                                                   "data": {"messages": [{"default_message": "inner"}]}}}
    assert task_error_messages(nested) == ["outer", "inner"]
    assert task_error_messages(None) == []
