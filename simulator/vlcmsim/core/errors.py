"""Errors of the simulated vCenter: vAPI errors (REST), task failures, vim operation faults."""

from __future__ import annotations

from typing import Any


class VapiError(Exception):
    """A vAPI standard error raised synchronously by an operation (REST maps it to a status)."""

    def __init__(self, error_type: str, message: str, msg_id: str | None = None,
                 args: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.body = vapi_error(error_type, message, msg_id, args)


class TaskFailed(Exception):
    """Raised by a task function: the task ends FAILED with `error` (a vAPI error dict)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("messages", [{}])[0].get("default_message", "task failed"))
        self.error = error


class OpError(Exception):
    """A vim-level operation failure (maintenance mode, migration, power).

    `fault` is the vim fault name a SOAP handler should raise (e.g. "InvalidState",
    "InvalidPowerState", "InsufficientResourcesFault"; soap.py maps it), `message` names
    the objects involved.
    """

    def __init__(self, fault: str, message: str) -> None:
        super().__init__(message)
        self.fault = fault
        self.message = message


def message(msg_id: str, default: str, args: list[str] | None = None) -> dict[str, Any]:
    """A com.vmware.vapi.std.localizable_message."""
    return {"id": msg_id, "default_message": default, "args": list(args or [])}


def vapi_error(error_type: str, default: str, msg_id: str | None = None,
               args: list[str] | None = None) -> dict[str, Any]:
    """The /api error body: {"error_type": ..., "messages": [localizable_message]}."""
    mid = msg_id or f"com.vmware.vapi.std.errors.{error_type.lower()}"
    return {"error_type": error_type, "messages": [message(mid, default, args)]}
