# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting on vCenter tasks (``GET /api/cis/tasks/{task}``). Knows nothing of Ansible."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    TaskFailedError,
    TaskTimeoutError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client

TERMINAL_OK = "SUCCEEDED"
TERMINAL_FAILED = "FAILED"


@dataclass(frozen=True)
class PollPolicy:
    """Capped, growing poll interval: initial, initial*factor, ... up to ``maximum`` seconds."""

    initial: float = 0.5
    factor: float = 1.5
    maximum: float = 10.0

    def intervals(self):  # -> Iterator[float]
        interval = min(self.initial, self.maximum)
        while True:
            yield interval
            interval = min(self.maximum, interval * self.factor)


def task_error_messages(error: Any) -> list[str]:
    """Every human message in a task's ``error`` (an ``anyerror``: vAPI error struct, possibly nested)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            text = node.get("default_message") or node.get("localized")
            if isinstance(text, str) and text:
                if text not in found:
                    found.append(text)
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(error)
    return found


def progress_message(info: Mapping[str, Any]) -> str | None:
    progress = info.get("progress")
    if isinstance(progress, Mapping):
        message = progress.get("message")
        if isinstance(message, Mapping):
            return message.get("default_message") or None
    return None


def wait_for_task(
    client: Client,
    task_id: str,
    *,
    description: str,
    timeout: float,
    poll: PollPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_progress: Callable[[Mapping[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Poll the task until SUCCEEDED (returns its info) or FAILED (raises TaskFailedError).

    ``poll`` left out: pauses up to the client's ``task_poll_max`` (the module option), else 10 s.

    ``description`` says what the task does ("scan of cluster 'Prod-01'"); it is part of every
    error. Past ``timeout`` seconds a :class:`TaskTimeoutError` names the task and its last status.
    """
    if poll is None:
        # the module's task_poll_max, when the client carries one
        maximum = getattr(client, "task_poll_max", None)
        poll = PollPolicy(maximum=float(maximum)) if maximum else PollPolicy()
    deadline = clock() + timeout
    info: dict[str, Any] = {}
    for interval in poll.intervals():
        info = client.get(f"/api/cis/tasks/{task_id}") or {}
        status = str(info.get("status") or "")
        if on_progress is not None:
            on_progress(info)
        if status == TERMINAL_OK:
            return info
        if status == TERMINAL_FAILED:
            messages = task_error_messages(info.get("error"))
            detail = ": " + "; ".join(messages) if messages else " (vCenter gave no error message)"
            raise TaskFailedError(f"{description} failed (task {task_id}){detail}", task_id=task_id, messages=messages, info=info)
        remaining = deadline - clock()
        if remaining <= 0:
            last = progress_message(info)
            raise TaskTimeoutError(
                f"{description} did not finish within {timeout:g} seconds (task {task_id} is still "
                f"{status or 'UNKNOWN'}{', last progress: ' + last if last else ''}); it keeps running in vCenter. "
                "Raise the module's wait_timeout or check the task in the vSphere Client.",
                task_id=task_id,
                status=status or None,
            )
        sleep(min(interval, remaining))
    raise AssertionError("unreachable")  # pragma: no cover
