"""Tasks: PENDING -> RUNNING -> SUCCEEDED/FAILED, run in a thread, visible to REST and SOAP."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from ..model import Task, World
from .errors import OpError, TaskFailed, VapiError, vapi_error

_SOAP_TASK_SEQ = [0]


def start_task(world: World, operation: str, target: str, protocol: str, user: str,
               fn: Callable[[Task], Any], *, service: str = "", description: str = "",
               target_type: str = "") -> Task:
    """Create a task and run `fn(task)` in a daemon thread.

    PENDING -> RUNNING (fn updates progress with `set_progress`) -> SUCCEEDED with fn's
    return value as `result`, or FAILED when fn raises TaskFailed(error) (any other
    exception becomes a vAPI ERROR naming it).
    """
    if not service:
        service = operation.rsplit(".", 1)[0] if "." in operation else operation
    with world.lock:
        if protocol == "soap":
            _SOAP_TASK_SEQ[0] += 1
            tid = f"task-{_SOAP_TASK_SEQ[0]}"
            while tid in world.tasks:
                _SOAP_TASK_SEQ[0] += 1
                tid = f"task-{_SOAP_TASK_SEQ[0]}"
        else:
            tid = f"{uuid.uuid4()}:{service}"
        task = Task(id=tid, operation=operation, target=target, protocol=protocol, user=user,
                    service=service, description=description or operation, target_type=target_type)
        world.tasks[tid] = task

    vlcm = protocol == "rest"      # a vLCM (cis) task; SOAP tasks are vCenter's own (maintenance mode, power)

    def run() -> None:
        with world.lock:
            task.status = "RUNNING"
            task.started = time.time()
            counters = world.counters      # the ones this task counts in (a reset replaces them)
            if vlcm:
                counters.running_tasks += 1
                counters.max_concurrent_tasks = max(counters.max_concurrent_tasks, counters.running_tasks)
        try:
            _run(task)
        finally:
            if vlcm:
                with world.lock:
                    counters.running_tasks -= 1

    def _run(task: Task) -> None:
        try:
            result = fn(task)
        except TaskFailed as exc:
            with world.lock:
                task.status = "FAILED"
                task.error = exc.error
                task.finished = time.time()
            return
        except OpError as exc:
            with world.lock:
                task.status = "FAILED"
                task.error = vapi_error("ERROR", exc.message)
                task.error["fault"] = exc.fault
                task.finished = time.time()
            return
        except VapiError as exc:
            with world.lock:
                task.status = "FAILED"
                task.error = exc.body
                task.finished = time.time()
            return
        except Exception as exc:  # noqa: BLE001 - a simulator bug must still end the task
            with world.lock:
                task.status = "FAILED"
                task.error = vapi_error("ERROR", f"internal simulator error: {exc!r}")
                task.finished = time.time()
            return
        with world.lock:
            task.result = result
            task.progress_completed = task.progress_total
            task.status = "SUCCEEDED"
            task.finished = time.time()

    threading.Thread(target=run, name=f"task {tid}", daemon=True).start()
    return task


def set_progress(world: World, task: Task | None, completed: int, msg: str = "") -> None:
    if task is None:
        return
    with world.lock:
        task.progress_completed = max(0, min(task.progress_total, int(completed)))
        if msg:
            task.progress_message = msg
