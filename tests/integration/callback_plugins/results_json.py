# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: appends every task result to the JSON-lines file named by VLCM_TEST_RESULTS."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: results_json
type: aggregate
short_description: write task results as JSON lines for the integration tests
description: Appends one JSON object per task result to the file named by E(VLCM_TEST_RESULTS).
requirements: []
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "results_json"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._started: dict[str, float] = {}

    def v2_playbook_on_task_start(self, task, is_conditional) -> None:
        self._started[task._uuid] = time.time()

    def _write(self, status: str, result) -> None:
        path = os.environ.get("VLCM_TEST_RESULTS")
        if not path:
            return
        # started: when the task began (all hosts of the play batch), ended: when this host's result came
        record = {"task": result._task.get_name(), "host": result._host.get_name(), "status": status,
                  "result": result._result, "started": self._started.get(result._task._uuid), "ended": time.time()}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")

    def v2_runner_on_ok(self, result) -> None:
        self._write("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        self._write("failed", result)

    def v2_runner_on_skipped(self, result) -> None:
        self._write("skipped", result)

    def v2_runner_on_unreachable(self, result) -> None:
        self._write("unreachable", result)
