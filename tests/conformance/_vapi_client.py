"""Test-only adaptation: the official vAPI bindings as a strict client of vCenter's ``/api``.

The generated stubs of ``vmware-vcenter`` 9.1.1.0 (``com.vmware.*_client``) run on the
``vmware-vapi-runtime`` 9.1.1.0 REST connector. Out of the box that connector speaks the
legacy ``/rest`` dialect, so five small adaptations are needed before it can talk to the
``/api`` dialect that vCenter 8.0 U1+ (and vlcmsim) serve. Each was found by reading the
runtime's source; each is marked ``ADAPTATION n`` below:

1. Wire format (``vmware/vapi/protocol/client/msg/rest_connector.py``,
   ``vmware/vapi/data/serializers/rest.py``): every generated stub calls
   ``ApiInterfaceStub.__init__(..., is_vapi_rest=True)``, which calls
   ``RestClientProvider.set_rest_format(True)`` on the shared provider; in that mode a
   reply is expected as ``{"value": ...}`` and an error as ``{"type": ..., "value": ...}``.
   ``/api`` sends the bare value, so the provider is pinned to ``is_vapi_rest=False``, and
   the stubs use the ``SWAGGER_REST`` converter (maps as JSON objects, RFC 3339 dates)
   instead of ``VAPI_REST`` (maps as ``[{"key", "value"}]``).
2. Tasks (``vmware/vapi/bindings/stub.py`` ``native_invoke``): ``<op>$task`` operations
   have no entry in the stubs' ``rest_metadata``, so the runtime raises
   ``vapi.bindings.stub.rest_metadata.unavailable``. They are registered as the base
   operation's metadata with ``vmw-task=true`` added to the URL, which is how ``/api``
   selects the task variant.
3. Session (``RequestSerializer._visit_session_security_context``): in ``/api`` mode the
   runtime refuses to serialise a session security context. Login goes through the
   binding ``com.vmware.cis_client.Session.create`` with a user/password security context
   (HTTP basic auth, allowed in both modes); the returned id is then sent as the
   ``vmware-api-session-id`` header of the ``requests.Session``.
4. Errors (``ResponseDeserializer._deserialize_error``, ``ApiInterfaceStub._get_error_type``):
   in ``/api`` mode the runtime either maps the HTTP status alone (400 -> InvalidRequest,
   whatever the body says) or, for operations generated with
   ``use_status_to_std_err_map=False``, picks the first element of the throws clause
   (the matcher has ``TODO Add discriminator matching criteria`` and every generated
   clause has empty status lists, so that is always ``Error``). ``/api`` names the error
   in the body's ``error_type`` discriminator; the adaptation names the ErrorValue after
   it, as the ``/rest`` dialect's ``type`` field does, and resolves the exception class by
   that name. It only does so when the HTTP status is the one the runtime's own
   ``vapi_to_http_error_map`` gives for that error type; otherwise the runtime's stock
   handling stays, and a test expecting a typed error fails.
5. Filters on GET lists (``OperationRestMetadata`` of e.g. ``vcenter_client._HostStub``
   ``list``): the 9.1.1.0 metadata declares no query parameters, so the runtime puts
   ``{"filter": {...}}`` into the body of a GET. ``/api`` takes filter fields as query
   parameters (``GET /api/vcenter/host?clusters=domain-c8&names=...``); ``_ApiSession``
   moves a GET body's struct fields into the query string, lists repeated.

Plus one helper for ``Task.get_result()`` (``vmware/vapi/stdlib/client/task.py``), which
converts the task result with the JSON-RPC converter: :func:`task_result` converts the
same value with the ``/api`` (``SWAGGER_REST``) converter, and :func:`task_error` does the
same for a failed task's error.

Nothing here loosens validation: required fields, union validators (e.g. a RUNNING task must
carry ``progress``) and types are checked by the runtime as shipped. Two things the runtime
deliberately lets through, for forward compatibility with newer servers, are reported by
:func:`no_extra_fields` instead: fields the binding does not define, and enum values it does not
declare (``ComplianceStatus('SORT_OF')`` converts without complaint).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterable
from types import MethodType
from typing import Any

import requests
from com.vmware.cis.task_client import Info as TaskInfo
from com.vmware.cis.task_client import Status as TaskStatus
from com.vmware.cis_client import Session
from vmware.vapi.bindings.converter import RestConverter, TypeConverter
from vmware.vapi.bindings.error import VapiError
from vmware.vapi.bindings.stub import ApiInterfaceStub, StubConfiguration, VapiInterface
from vmware.vapi.core import MethodResult
from vmware.vapi.data.serializers.cleanjson import DataValueConverter
from vmware.vapi.data.value import ErrorValue, StructValue
from vmware.vapi.lib.constants import TASK_OPERATION
from vmware.vapi.protocol.client.msg.generic_connector import GenericConnector
from vmware.vapi.protocol.client.msg.rest_connector import RestClientProvider
from vmware.vapi.protocol.client.rpc.provider_factory import RpcProviderFactory
from vmware.vapi.provider.filter import ApiProviderFilter
from vmware.vapi.rest.lib import vapi_to_http_error_map
from vmware.vapi.security.user_password import create_user_password_security_context
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory
from vmware.vapi.stdlib.client.task import Task

SESSION_HEADER = "vmware-api-session-id"
STD_ERROR_PREFIX = "com.vmware.vapi.std.errors."


class _ApiSession(requests.Session):
    """ADAPTATION 5: a GET's JSON body of filter structs becomes /api query parameters."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        data = kwargs.get("data")
        if str(method).upper() == "GET" and data:
            body = json.loads(data)
            params: list[tuple[str, str]] = []
            for value in body.values():
                if not isinstance(value, dict):
                    raise ValueError(f"GET body field is not a filter struct: {body!r}")
                for name, field_value in value.items():
                    for item in field_value if isinstance(field_value, list) else [field_value]:
                        if isinstance(item, (dict, list)):
                            raise ValueError(f"nested filter field {name!r} has no /api query form: {body!r}")
                        params.append((name, json.dumps(item) if isinstance(item, bool) else str(item)))
            kwargs["data"] = None
            kwargs["params"] = params
            headers = dict(kwargs.get("headers") or {})
            headers.pop("Content-Type", None)
            kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)


def _error_from_discriminator(result: MethodResult) -> MethodResult:
    """ADAPTATION 4 (provider half): name the ErrorValue after the body's ``error_type``."""
    if result.error is None or result.runtime_data is None:
        return result
    http_response = result.runtime_data.http_response
    try:
        body = json.loads(http_response.body)
    except (TypeError, ValueError):
        return result
    if not isinstance(body, dict) or not isinstance(body.get("error_type"), str):
        return result
    name = STD_ERROR_PREFIX + body["error_type"].lower()
    # The runtime's table has no entry for the generic std.errors.error; vCenter sends it as 500.
    if vapi_to_http_error_map.get(name) != http_response.status and not (
        name == STD_ERROR_PREFIX + "error" and http_response.status == 500
    ):
        return result   # status and discriminator disagree: leave the runtime's stock error
    struct = DataValueConverter.convert_to_data_value(http_response.body)
    assert isinstance(struct, StructValue)
    error = ErrorValue(name=name, values=dict(struct.get_fields()))
    return MethodResult(error=error, runtime_data=result.runtime_data)


class ApiRestProvider(RestClientProvider):
    """The runtime's REST provider, pinned to the /api dialect (ADAPTATIONS 1 and 4)."""

    def __init__(self, http_provider: Any) -> None:
        super().__init__(http_provider, [], is_vapi_rest=False)

    def set_rest_format(self, is_vapi_rest: bool) -> None:
        # ADAPTATION 1: generated stubs ask for the /rest dialect on construction; keep /api.
        self._is_vapi_rest = False

    def _invoke(self, service_id: str, operation_id: str, input_value: Any, ctx: Any,
                rest_metadata: Any, is_vapi_rest: bool) -> MethodResult:
        result = super()._invoke(service_id, operation_id, input_value, ctx, rest_metadata, False)
        return _error_from_discriminator(result)


def _task_metadata(base: Any) -> Any:
    """ADAPTATION 2: the REST metadata of ``<op>$task``: the base operation plus vmw-task=true."""
    metadata = copy.copy(base)
    template = metadata._url_template  # noqa: SLF001 - the runtime has no public setter
    metadata._url_template = template + ("&" if "?" in template else "?") + "vmw-task=true"
    return metadata


def _get_error_type_by_name(self: ApiInterfaceStub, method_result: MethodResult, op_info: dict[str, Any],
                            rest_metadata: Any) -> Any:
    """ADAPTATION 4 (stub half): resolve the exception class by the error's name.

    Errors the provider half did not rename (no usable ``error_type``) keep the runtime's
    stock matching. A name the operation does not declare returns None, and the runtime
    then resolves it among all standard errors.
    """
    name = method_result.error.name
    if not (isinstance(name, str) and name.startswith(STD_ERROR_PREFIX)):
        return ApiInterfaceStub._get_error_type(self, method_result, op_info, rest_metadata)
    return op_info["errors"].get(name)


_original_stub_init = ApiInterfaceStub.__init__


def _stub_init(self: ApiInterfaceStub, iface_name: str, config: StubConfiguration, operations: dict[str, Any],
               rest_metadata: dict[str, Any] | None = None, is_vapi_rest: bool | None = None) -> None:
    _original_stub_init(self, iface_name, config, operations, rest_metadata, is_vapi_rest)
    provider = config.connector.get_api_provider()
    if isinstance(provider, ApiProviderFilter):
        provider = provider.get_api_provider()   # the last provider of the filter chain
    if not isinstance(provider, ApiRestProvider):
        return   # a connector that is not ours: the runtime as shipped
    # ADAPTATION 1: /api converter mode.
    self._rest_converter_mode = RestConverter.SWAGGER_REST
    self._is_vapi_rest = False
    # ADAPTATION 2: REST metadata for the task variants.
    metadata = dict(self._rest_metadata)
    for name in operations:
        base = name[: -len(TASK_OPERATION)] if name.endswith(TASK_OPERATION) else None
        if base is not None and name not in metadata and base in metadata:
            metadata[name] = _task_metadata(metadata[base])
            provider.add_rest_metadata(self._iface_id.get_name(), name, metadata[name])
    self._rest_metadata = metadata
    # ADAPTATION 4: exception class by the discriminator-derived error name.
    self._get_error_type = MethodType(_get_error_type_by_name, self)


_stub_init._vlcm_adapted = True  # type: ignore[attr-defined]
if not getattr(ApiInterfaceStub.__init__, "_vlcm_adapted", False):
    ApiInterfaceStub.__init__ = _stub_init   # only acts on connectors built by VcenterApiClient


class VcenterApiClient:
    """A logged-in /api client whose stubs are the official generated classes.

    ``client.stub(Compliance).get(cluster)`` returns the binding's typed result.
    """

    def __init__(self, base_url: str, ca: str | None, username: str, password: str,
                 timeout: float = 30.0, login: bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = _ApiSession()
        # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the environment replace a
        # Session's `verify` (merge_environment_settings); the simulator's CA must win.
        self.session.trust_env = False
        self.session.verify = ca if ca else True
        http_provider = RpcProviderFactory().get_rpc_provider(
            "requests", session=self.session, base_url=self.base_url + "/api",
            default_timeout=timeout, pool_size=8)
        self.connector = GenericConnector(http_provider, ApiRestProvider(http_provider), None)
        # The usual configuration of the SDK samples: all standard errors registered.
        self.config = StubConfigurationFactory.new_std_configuration(self.connector)
        self._username = username
        self._password = password
        self.session_id: str | None = None
        if login:
            self.login()

    def stub(self, cls: Callable[[StubConfiguration], VapiInterface]) -> Any:
        """An instance of a generated service class (e.g. ``Compliance``) on this connection."""
        return cls(self.config)

    def login(self) -> str:
        """ADAPTATION 3: POST /api/session via the binding, then the session header."""
        self.connector.set_security_context(
            create_user_password_security_context(self._username, self._password))
        try:
            session_id = self.stub(Session).create()
        finally:
            self.connector.set_security_context(None)
        self.session_id = session_id
        self.session.headers[SESSION_HEADER] = session_id
        return session_id

    def logout(self) -> None:
        if self.session_id is None:
            return
        self.stub(Session).delete()
        self.session_id = None
        self.session.headers.pop(SESSION_HEADER, None)

    def close(self) -> None:
        try:
            self.logout()
        finally:
            self.session.close()

    def __enter__(self) -> VcenterApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def task_result(task: Task, info: TaskInfo | None = None) -> Any:
    """``Task.get_result()`` with the /api converter (see the module docstring)."""
    info = info if info is not None else task.get_info()
    if info.result is None:
        return None
    return TypeConverter.convert_to_python(info.result, task.result_type,
                                           rest_converter_mode=RestConverter.SWAGGER_REST)


def task_error(client: VcenterApiClient, info: TaskInfo) -> VapiError | None:
    """A failed task's ``error`` as the binding's typed exception.

    ``Info.error`` is an ``AnyErrorType``; the runtime resolves it by the ErrorValue's name,
    which a ``/api`` JSON object does not have, so it arrives as ``UnresolvedError``. Like
    ADAPTATION 4, the class comes from the ``error_type`` discriminator, and the value is
    converted strictly (messages need id, default_message and args).
    """
    if info.error is None:
        return None
    raw = info.error.get_struct_value()
    fields = dict(raw.get_fields()) if raw is not None else {}
    discriminator = fields.get("error_type")
    if discriminator is None:
        raise AssertionError(f"task error without error_type: {fields}")
    name = STD_ERROR_PREFIX + discriminator.value.lower()
    error_type = client.config.resolver.resolve(name)
    if error_type is None:
        raise AssertionError(f"task error_type {discriminator.value!r} is not a vAPI standard error")
    return TypeConverter.convert_to_python(ErrorValue(name=name, values=fields), error_type,
                                           client.config.resolver, RestConverter.SWAGGER_REST)


def wait_task(client: VcenterApiClient, task: Task, timeout: float = 60.0,
              on_info: Callable[[TaskInfo], None] | None = None) -> TaskInfo:
    """Poll ``Tasks.get`` (through the binding) until the task is SUCCEEDED or FAILED."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        info = task.get_info()
        if on_info is not None:
            on_info(info)
        if info.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED):
            return info
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task.get_task_id()} still {info.status} after {timeout}s")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def no_extra_fields(value: Any, path: str = "result") -> list[str]:
    """Paths of fields a reply carried that the 9.1.1.0 binding does not define, and of enum values
    it does not declare.

    The runtime keeps unknown fields as "extra fields" and unknown enum values as enum instances
    (a newer server may add both); for the simulator either is invented, so tests assert this list
    is empty.
    """
    from vmware.vapi.bindings.enum import Enum
    from vmware.vapi.bindings.struct import VapiStruct

    found: list[str] = []
    if isinstance(value, Enum):
        declared = {v for v in vars(type(value)).values() if isinstance(v, type(value))}
        if value not in declared:
            found.append(f"{path} = {str(value)!r}, not a {type(value).__name__} value")
    elif isinstance(value, VapiStruct):
        extra = value._get_extra_fields() if hasattr(value, "_get_extra_fields") else {}
        found.extend(f"{path}.{name}" for name in (extra or {}))
        for name, item in vars(value).items():
            if not name.startswith("_"):
                found.extend(no_extra_fields(item, f"{path}.{name}"))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(no_extra_fields(item, f"{path}[{key!r}]"))
    elif isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        for index, item in enumerate(value):
            found.extend(no_extra_fields(item, f"{path}[{index}]"))
    return found
