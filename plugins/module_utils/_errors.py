# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised by the clients in this collection.

Nothing here imports Ansible: the module base (``_module.py``) turns every ``VsphereError``
into a clean ``fail_json``. Messages say what failed, on which object, and what to do; they
never contain a password or a session id.
"""

from __future__ import annotations

from typing import Any


class VsphereError(Exception):
    """Base of every error this collection raises on purpose.

    ``details`` become keys of the failed module result. ``changed`` says whether anything had already
    changed in vCenter when the error happened (a task started, hosts staged): the module result says so.
    """

    def __init__(self, message: str, *, changed: bool = False, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.changed = changed
        self.details: dict[str, Any] = {k: v for k, v in details.items() if v is not None}

    def __str__(self) -> str:
        return self.message


class OptionError(VsphereError):
    """A module option is invalid (empty name, empty list, out of range); raised before any call to vCenter."""


class MissingLibraryError(VsphereError):
    """A Python library the module needs is not installed on the node running the module."""

    def __init__(self, library: str, exception: str | None = None) -> None:
        super().__init__(f"the Python library '{library}' is required but not installed", library=library)
        self.library = library
        self.exception = exception


class ConnectionFailure(VsphereError):
    """vCenter could not be reached (DNS, refused, reset, timeout) after the allowed retries."""


class TLSVerificationError(ConnectionFailure):
    """The vCenter certificate could not be verified."""


class AuthenticationError(VsphereError):
    """Login to vCenter was refused (wrong user name or password, locked account)."""


class ApiError(VsphereError):
    """vCenter answered a REST call with an error (vAPI error body)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        messages: list[str] | None = None,
        method: str | None = None,
        path: str | None = None,
        data: Any = None,
    ) -> None:
        super().__init__(message, status=status, error_type=error_type, api_messages=messages or None)
        self.status = status
        self.error_type = error_type
        self.messages = messages or []
        self.method = method
        self.path = path
        # the vAPI error's ``data`` (e.g. the PrecheckResult of RESOURCE_IN_USE); not a result key by itself:
        # the code that knows its structure decides what to report
        self.data = data


class NotFoundError(VsphereError):
    """An object named by the user does not exist (the message lists what exists)."""


class AmbiguousNameError(VsphereError):
    """A name matches more than one object; the message says which option narrows it."""


class TaskFailedError(VsphereError):
    """A vCenter task ended with status FAILED."""

    def __init__(self, message: str, *, task_id: str, messages: list[str] | None = None, info: Any = None) -> None:
        super().__init__(message, task_id=task_id, task_messages=messages or None)
        self.task_id = task_id
        self.messages = messages or []
        self.info = info


class TaskTimeoutError(VsphereError):
    """A vCenter task did not finish before the deadline."""

    def __init__(self, message: str, *, task_id: str, status: str | None = None) -> None:
        super().__init__(message, task_id=task_id, task_status=status)
        self.task_id = task_id
        self.status = status


class SoapError(VsphereError):
    """A SOAP (pyVmomi) call failed."""
