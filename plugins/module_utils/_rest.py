# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vCenter REST (``/api``) client. Knows nothing of Ansible.

One ``requests.Session`` per client (and one client per module run), lazy login with basic
auth on ``POST /api/session`` (credentials encoded as UTF-8, as the official vAPI runtime
does), the session id in header ``vmware-api-session-id``, one re-login when vCenter answers
401 UNAUTHENTICATED, bounded retries with exponential backoff for 429/502/503/504, connection
resets and timeouts (honouring ``Retry-After``), no retry for what retrying cannot fix (a
name that does not resolve, a refused connection), a default timeout, and ``DELETE
/api/session`` on close. Files move streamed: :meth:`RestClient.download` (exported images) and
:meth:`RestClient.upload` (``/vum-fileupload``), with the same session, checks and retries.

Trust: the certificate of vCenter is verified against ``ca_path`` when set, otherwise against
the system trust store (OpenSSL's default paths, as ``ssl.create_default_context()`` and the
SOAP client use them): never against certifi's bundle, and ``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE`` cannot replace the choice (see :func:`ssl_context`).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    AuthenticationError,
    ConnectionFailure,
    MissingLibraryError,
    TLSVerificationError,
)

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import RequestException, SSLError, Timeout
    from urllib3.exceptions import HTTPError as Urllib3Error

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - exercised by the import sanity test
    requests = None  # type: ignore[assignment]
    HTTPAdapter = object  # type: ignore[assignment,misc]
    RequestException = Urllib3Error = OSError  # type: ignore[assignment,misc]
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = str(exc)

SESSION_HEADER = "vmware-api-session-id"
DOWNLOAD_CHUNK = 1024 * 1024


class Client(Protocol):
    """What the vLCM, inventory, policy and task helpers need of a REST client (:class:`RestClient`, or a test double)."""

    def get(self, path: str, **kwargs: Any) -> Any: ...

    def post(self, path: str, **kwargs: Any) -> Any: ...

    def put(self, path: str, **kwargs: Any) -> Any: ...

    def delete(self, path: str, **kwargs: Any) -> Any: ...


RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class ConnectionParams:
    """The connection options, as the user gave them (see the ``vcenter`` doc fragment)."""

    hostname: str
    username: str
    password: str = field(repr=False)
    port: int = 443
    validate_certs: bool = True
    ca_path: str | None = None
    timeout: float = 60.0

    @property
    def verify(self) -> bool | str:
        """The value for ``requests``' ``verify``: False, True or the CA bundle path.

        What is trusted is decided by :func:`ssl_context` (mounted on the client's session); this
        value only says whether to verify.
        """
        if not self.validate_certs:
            return False
        return self.ca_path or True

    @property
    def base_url(self) -> str:
        host = self.hostname
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # IPv6 literal
        return f"https://{host}:{self.port}"


def ssl_context(params: ConnectionParams) -> ssl.SSLContext:
    """The SSL context of every connection to vCenter (REST and SOAP alike).

    ``validate_certs: false``: no verification. Otherwise only the CA bundle ``ca_path`` when set, else the
    system trust store (``ssl.create_default_context()``: the operating system's CA bundle, or the file and
    directory OpenSSL's ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` name). ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``
    and certifi's bundle play no part.
    """
    if not params.validate_certs:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if params.ca_path:
        return ssl.create_default_context(cafile=params.ca_path)
    return ssl.create_default_context()


class TrustAdapter(HTTPAdapter):  # type: ignore[misc,valid-type]
    """A ``requests`` transport adapter that trusts exactly what :func:`ssl_context` says.

    ``requests`` would otherwise verify against certifi's bundle, or against ``REQUESTS_CA_BUNDLE`` /
    ``CURL_CA_BUNDLE`` when set (it replaces ``verify=True`` with them), never the system trust store.
    """

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # whether to verify comes from ``verify``; what to trust only from the context (no CA file of requests')
        conn.cert_reqs = "CERT_REQUIRED" if verify else "CERT_NONE"
        conn.ca_certs = None
        conn.ca_cert_dir = None

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        pool_kwargs.pop("ca_certs", None)
        pool_kwargs.pop("ca_cert_dir", None)
        pool_kwargs["ssl_context"] = self._context
        return host_params, pool_kwargs


class BasicAuthUtf8:
    """HTTP basic authentication with the credentials encoded as UTF-8 (``requests`` would use Latin-1).

    vCenter decodes basic credentials as UTF-8, and the official vAPI runtime encodes them so; a
    password with a character outside Latin-1 (e.g. '€') cannot be sent otherwise. A callable auth
    object also keeps ``requests`` from adding ``.netrc`` credentials.
    """

    def __init__(self, username: str, password: str) -> None:
        self._header = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")

    def __repr__(self) -> str:  # never show the credentials
        return "BasicAuthUtf8(***)"

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = self._header
        return request


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff; ``Retry-After`` wins when the server sends one."""

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    statuses: frozenset[int] = RETRY_STATUSES

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        parsed = parse_retry_after(retry_after)
        if parsed is not None:
            return min(parsed, self.retry_after_max)
        return min(self.backoff_base * (2 ** (attempt - 1)), self.backoff_max)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds form or HTTP date), None when absent or unreadable."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def vapi_error_messages(body: Any) -> tuple[str | None, list[str]]:
    """(error_type, [messages]) from a vAPI error body, in the ``/api`` or the older ``/rest`` form."""
    if not isinstance(body, Mapping):
        return None, []
    error_type = body.get("error_type")
    messages_src: Any = body.get("messages")
    if error_type is None and isinstance(body.get("value"), Mapping):  # /rest: {"type": "...", "value": {...}}
        value = body["value"]
        raw_type = str(body.get("type") or "")
        error_type = raw_type.rsplit(".", 1)[-1].upper() or None
        messages_src = value.get("messages")
    messages: list[str] = []
    for message in messages_src or []:
        if isinstance(message, Mapping):
            text = message.get("default_message") or message.get("localized") or message.get("id")
            if text:
                messages.append(str(text))
        elif message:
            messages.append(str(message))
    return (str(error_type) if error_type else None), messages


def _describe_tls_error(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "hostname mismatch", "doesn't match"):
        if marker in text:
            idx = text.find(marker)
            snippet = text[idx:]
            for stop in ("')", '")', "'))", ")"):
                cut = snippet.find(stop)
                if cut > 0:
                    snippet = snippet[:cut]
                    break
            return snippet.strip()
    return text


LOGOUT_ATTEMPTS = 3


class RestClient:
    """A vCenter ``/api`` client. Create one per module run; call :meth:`close` at the end."""

    def __init__(
        self,
        params: ConnectionParams,
        *,
        retry: RetryPolicy | None = None,
        session: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "vsphere.lifecycle",
        task_poll_max: float | None = None,
    ) -> None:
        if session is None:
            if not HAS_REQUESTS:
                raise MissingLibraryError("requests", REQUESTS_IMPORT_ERROR)
            session = requests.Session()
            session.mount("https://", TrustAdapter(ssl_context(params)))
        self.params = params
        self.task_poll_max = task_poll_max   # longest pause between two reads of a running task (None: the default)
        self.retry = retry or RetryPolicy()
        self._http = session
        self._http.headers.update({"Accept": "application/json", "User-Agent": user_agent})
        self._sleep = sleep
        self._session_id: str | None = None
        self._login_lock = threading.Lock()   # threads sharing this client log in again once, not once each
        self.logins = 0
        self.retries = 0

    def __repr__(self) -> str:  # never show credentials or the session id
        return f"RestClient({self.params.base_url!r}, user={self.params.username!r}, logged_in={self.logged_in})"

    # ----------------------------------------------------------------- session
    @property
    def logged_in(self) -> bool:
        return self._session_id is not None

    def login(self) -> None:
        """``POST /api/session`` with basic auth; keeps the session id for the next calls."""
        response = self._send(
            "POST", "/api/session", auth=BasicAuthUtf8(self.params.username, self.params.password), headers={}
        )
        if response.status_code in (401, 403):
            error_type, messages = vapi_error_messages(_json_or_none(response))
            detail = f" ({'; '.join(messages)})" if messages else ""
            raise AuthenticationError(
                f"login to vCenter {self.params.hostname} as '{self.params.username}' was refused"
                f"{detail}: check username and password (or VMWARE_USER / VMWARE_PASSWORD)",
                status=response.status_code,
                error_type=error_type,
            )
        if response.status_code not in (200, 201):
            raise self._api_error("POST", "/api/session", response, what="login")
        session_id = _json_or_none(response)
        if not isinstance(session_id, str) or not session_id:
            raise ApiError(
                f"login to vCenter {self.params.hostname} returned no session id (HTTP {response.status_code})",
                status=response.status_code,
                method="POST",
                path="/api/session",
            )
        self._session_id = session_id
        self.logins += 1

    def logout(self) -> None:
        """``DELETE /api/session``; never raises (called on the way out, also after failures).

        A reset connection or a 429/502/503/504 answer is retried (up to ``LOGOUT_ATTEMPTS`` in all, short
        waits): a logout lost on the wire would leave the session open on vCenter until its idle timeout.
        Repeating it is harmless (a session already gone answers 401)."""
        if self._session_id is None:
            return
        try:
            for attempt in range(1, LOGOUT_ATTEMPTS + 1):
                try:
                    response = self._http.request(
                        "DELETE",
                        self.params.base_url + "/api/session",
                        headers={SESSION_HEADER: self._session_id},
                        verify=self.params.verify,
                        timeout=min(self.params.timeout, 15.0),
                    )
                except Exception as exc:  # noqa: BLE001 - best effort on the way out
                    if not _is_connection_error(exc) or _is_tls_error(exc) or attempt == LOGOUT_ATTEMPTS:
                        return
                else:
                    if response.status_code not in self.retry.statuses or attempt == LOGOUT_ATTEMPTS:
                        _close_quietly(response)
                        return
                    _close_quietly(response)
                self._sleep(min(self.retry.delay(attempt), 2.0))
        finally:
            self._session_id = None

    def close(self) -> None:
        self.logout()
        try:
            self._http.close()
        except Exception:  # noqa: BLE001
            pass

    # ----------------------------------------------------------------- calls
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        json: Any = None,
        expect: Iterable[int] = (200, 201, 202, 204),
        retry_on_reset: bool = True,
    ) -> Any:
        """Call ``/api`` + ``path`` and return the decoded JSON body (None when empty).

        Errors become :class:`ApiError` (with the vAPI ``error_type`` and messages); a 401
        triggers one re-login; 429/502/503/504 and connection resets are retried.
        """
        url_path = path if path.startswith("/api") else "/api" + ("" if path.startswith("/") else "/") + path
        response = self._authorized(method.upper(), url_path, params=params, json=json, retry_on_reset=retry_on_reset)
        if response.status_code in set(expect):
            return _json_or_none(response)
        raise self._api_error(method.upper(), url_path, response)

    def _authorized(self, method: str, path: str, *, headers: Mapping[str, str] | None = None,
                    **kwargs: Any) -> Any:
        """One request with the session header (login first when there is no session; after a 401, one re-login
        and the request again), with the retries of :meth:`_send`; returns the response, whatever its status.

        Threads may share the client (fleet_compliance's workers): one login, and after a 401 one login again
        however many of them saw it, so that no session is left open in vCenter."""
        with self._login_lock:
            if self._session_id is None:
                self.login()
        relogged = False
        while True:
            sent_with = self._session_id
            response = self._send(method, path, headers={**(headers or {}), SESSION_HEADER: sent_with or ""},
                                  **kwargs)
            if response.status_code == 401 and not relogged:
                # expired or unknown session: log in again, once, and repeat the call
                _close_quietly(response)
                relogged = True
                with self._login_lock:
                    if self._session_id == sent_with:   # no other thread has logged in again since
                        self._session_id = None
                        self.login()
                continue
            return response

    # ----------------------------------------------------------------- files
    def download(self, url: str, fileobj: Any, *, chunk: int = DOWNLOAD_CHUNK,
                 on_progress: Callable[[int, int | None], None] | None = None) -> dict[str, Any]:
        """Stream ``GET url`` into ``fileobj`` (anything with ``write(bytes)``); returns ``{"size", "sha256",
        "content_length", "content_type"}``.

        ``url`` is a path on vCenter or a URL vCenter returned (export: ``http://vc:9084/vum-filedownload/download
        ?file=...``). Only its path and query are used: the request goes to the vCenter address of this client, over
        HTTPS with the same certificate checks, timeout (per read) and session header as every call, so the session
        id never travels to another host or in clear text. Retries (connection resets and timeouts, 429/502/503/504,
        one re-login after a 401) happen only while no byte of the body has reached ``fileobj``; an interruption
        after that raises :class:`ConnectionFailure` (``fileobj`` cannot be rewound here: the caller discards it).
        A body shorter than its ``Content-Length`` is an interruption too. ``on_progress(done, total)`` is called
        after every block (``total`` None without ``Content-Length``). Messages name the path, never the query.
        """
        try:
            path, shown = download_path(url)
        except ValueError as exc:
            raise ApiError(f"vCenter {self.params.hostname} returned an unusable download URL: {exc}") from None
        address = f"{self.params.hostname}:{self.params.port}"
        attempt = 0
        while True:
            attempt += 1
            response = self._authorized("GET", path, stream=True, headers={"Accept": "*/*"})
            if response.status_code != 200:
                error = self._api_error("GET", shown, response)
                _close_quietly(response)
                raise error
            total = _content_length(response)
            try:
                size, digest = _copy_body(response, fileobj, chunk, total, on_progress)
            except _BodyInterrupted as broken:
                if broken.size == 0 and attempt <= self.retry.max_retries:
                    self.retries += 1              # nothing reached fileobj yet: the request can be repeated
                    self._sleep(self.retry.delay(attempt))
                    continue
                of_total = f" of {total}" if total is not None else ""
                raise ConnectionFailure(
                    f"download of {shown} from vCenter {address} was interrupted after {broken.size}{of_total} "
                    f"bytes ({_root_reason(broken.cause)}); not retried once data had arrived: run the module again",
                    address=address, connection_attempts=attempt, connection_error=connection_error_kind(broken.cause),
                ) from None
            finally:
                _close_quietly(response)
            if total is not None and size != total:
                raise ConnectionFailure(f"download of {shown} from vCenter {address} ended after {size} of {total} "
                                        "bytes: run the module again", address=address, connection_attempts=attempt)
            return {"size": size, "sha256": digest.hexdigest(), "content_length": total,
                    "content_type": response.headers.get("Content-Type")}

    def upload(self, path: str, fileobj: Any, *, content_type: str = "application/octet-stream",
               expect: Iterable[int] = (200, 201)) -> Any:
        """``POST path`` with the bytes of ``fileobj`` (a seekable binary file, sent in blocks, rewound before each
        retry) as the body and the session header; returns the decoded JSON answer.

        Used for ``/vum-fileupload`` (offline bundles pushed to the depot). Retries as every call: a repeated
        upload at most leaves an unused file on the server, it changes no configuration.
        """
        response = self._authorized("POST", path, data=fileobj, headers={"Content-Type": content_type})
        if response.status_code in set(expect):
            return _json_or_none(response)
        raise self._api_error("POST", path, response)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    # ----------------------------------------------------------------- transport
    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        headers: dict[str, str],
        auth: Any = None,
        retry_on_reset: bool = True,
        stream: bool = False,
        data: Any = None,
    ) -> Any:
        """One logical request with bounded retries; returns the final response.

        ``stream``: the body is left unread (see :meth:`download`); ``data``: a body to send as is (a file object
        is rewound before every attempt).
        """
        url = self.params.base_url + path
        extra: dict[str, Any] = {}
        if stream:
            extra["stream"] = True
        attempt = 0
        while True:
            attempt += 1
            if data is not None:
                if hasattr(data, "seek"):
                    data.seek(0)
                extra["data"] = data
            try:
                response = self._http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                    auth=auth,
                    verify=self.params.verify,  # explicit on every call: env CA bundles must not win
                    timeout=self.params.timeout,
                    **extra,
                )
            except Exception as exc:  # noqa: BLE001 - classified below
                address = f"{self.params.hostname}:{self.params.port}"
                if _is_tls_error(exc) and not _is_verification_error(exc):
                    raise ConnectionFailure(
                        f"TLS handshake with vCenter {address} failed: {_tls_reason(exc)}. Is this the HTTPS port "
                        "of vCenter? Check hostname and port (or VMWARE_HOST / VMWARE_PORT; vCenter serves HTTPS "
                        "on 443).", address=address, connection_attempts=attempt,
                    ) from None
                if _is_tls_error(exc):
                    raise TLSVerificationError(
                        f"TLS certificate verification of vCenter {address} failed: {_tls_reason(exc)}. "
                        + tls_fix(_tls_reason(exc), self.params),
                        address=address, connection_attempts=attempt,
                    ) from None
                if not _is_connection_error(exc):
                    raise
                kind = connection_error_kind(exc)
                if kind in RETRYABLE_CONNECTION_ERRORS and retry_on_reset and attempt <= self.retry.max_retries:
                    self.retries += 1
                    self._sleep(self.retry.delay(attempt))
                    continue
                raise ConnectionFailure(
                    self._connection_message(kind, exc, method, path, attempt, retried=retry_on_reset),
                    address=address, connection_attempts=attempt, connection_error=kind,
                ) from None
            if response.status_code in self.retry.statuses and attempt <= self.retry.max_retries:
                self.retries += 1
                retry_after = response.headers.get("Retry-After")
                _close_quietly(response)
                self._sleep(self.retry.delay(attempt, retry_after))
                continue
            return response

    def _connection_message(self, kind: str, exc: BaseException, method: str, path: str, attempts: int, *,
                            retried: bool) -> str:
        """What failed, at which address, and what to check; no retry happened for ``dns`` and ``refused``."""
        host, port = self.params.hostname, self.params.port
        reason = _root_reason(exc)
        if kind == "dns":
            return (f"cannot resolve the vCenter host name '{host}' ({reason}): check hostname (or VMWARE_HOST) "
                    "for typos, and that the node running the module can resolve it (DNS, /etc/hosts)")
        if kind == "refused":
            return (f"vCenter {host}:{port} refused the connection ({reason}): nothing accepts connections on "
                    "that port. Check hostname and port (or VMWARE_HOST / VMWARE_PORT; vCenter serves HTTPS on "
                    "443) and that vCenter is running")
        tries = f"{attempts} attempt(s)"
        if not retried:
            tries += ", not repeated because the request may have reached vCenter: check its recent tasks before "\
                     "running again"
        if kind == "timeout":
            return (f"connection to vCenter {host}:{port} timed out ({method} {path}, {tries}, timeout "
                    f"{self.params.timeout:g} s per response): check that the address is reachable from the node "
                    "running the module (routing, firewall, proxy), or raise timeout when vCenter is just slow")
        if kind == "unreachable":
            return (f"vCenter {host}:{port} is unreachable ({method} {path}, {tries}): {reason}. Check the address "
                    "(hostname / VMWARE_HOST) and the network path from the node running the module")
        return (f"connection to vCenter {host}:{port} failed ({method} {path}, {tries}): {reason}. Check hostname "
                "and port (or VMWARE_HOST / VMWARE_PORT) and the network path to vCenter (firewall, proxy)")

    def _api_error(self, method: str, path: str, response: Any, what: str | None = None) -> ApiError:
        error_type, messages = vapi_error_messages(_json_or_none(response))
        label = what or f"{method} {path}"
        text = f"vCenter {self.params.hostname}: {label} failed with HTTP {response.status_code}"
        if error_type:
            text += f" {error_type}"
        if messages:
            text += ": " + "; ".join(messages)
        body = _json_or_none(response)
        return ApiError(
            text, status=response.status_code, error_type=error_type, messages=messages, method=method, path=path,
            data=body.get("data") if isinstance(body, Mapping) else None,
        )


def download_path(url: str) -> tuple[str, str]:
    """(path and query to request from vCenter, path alone to show) of a download URL or path.

    ``http://vc:9084/vum-filedownload/download?file=X.json`` -> (``/vum-filedownload/download?file=X.json``,
    ``/vum-filedownload/download``). Messages and results show only the path: a query may carry a token.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(str(url))
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        raise ValueError(f"not a download URL or absolute path: {parts.path or '(empty)'}")
    return parts.path + (f"?{parts.query}" if parts.query else ""), parts.path


def redact_url(url: Any) -> Any:
    """A URL fit for messages and results: no user info, no query, no fragment (either may carry a secret or
    a session); anything that is not an absolute URL is returned as is."""
    from urllib.parse import urlsplit, urlunsplit

    if not isinstance(url, str) or "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unreadable URL)"
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


class _BodyInterrupted(Exception):
    """Reading a response body failed after ``size`` bytes had been written out."""

    def __init__(self, size: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.size = size
        self.cause = cause


def _copy_body(response: Any, fileobj: Any, chunk: int, total: int | None,
               on_progress: Callable[[int, int | None], None] | None) -> tuple[int, Any]:
    """Copy a streamed body into ``fileobj`` as its bytes arrive; returns (size, sha256 object).

    Reads with ``raw.read1`` where urllib3 has it (whatever has arrived, up to ``chunk``), so a connection that
    breaks in the middle has delivered what it carried before (``iter_content`` would wait for a full chunk and
    drop a partial one); otherwise ``iter_content``. A failure of the read is a :class:`_BodyInterrupted`; a
    failure of ``fileobj`` (a full disk) propagates as it is.
    """
    raw_read1 = getattr(getattr(response, "raw", None), "read1", None)
    if callable(raw_read1):
        def read() -> bytes:
            return raw_read1(chunk, decode_content=True)
    else:
        blocks = response.iter_content(chunk_size=chunk)

        def read() -> bytes:
            return next(blocks, b"")
    digest = hashlib.sha256()
    size = 0
    while True:
        try:
            block = read()
        except (OSError, http.client.HTTPException, Urllib3Error, RequestException) as exc:
            # the connection or the body broke (reset, timeout, cut short, TLS)
            raise _BodyInterrupted(size, exc) from None
        if not block:
            return size, digest
        fileobj.write(block)
        digest.update(block)
        size += len(block)
        if on_progress is not None:
            on_progress(size, total)


def _content_length(response: Any) -> int | None:
    try:
        value = int(response.headers.get("Content-Length"))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def _close_quietly(response: Any) -> None:
    close = getattr(response, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # noqa: BLE001 - releasing a connection must not hide the real outcome
            pass


def _json_or_none(response: Any) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _is_tls_error(exc: BaseException) -> bool:
    if HAS_REQUESTS and isinstance(exc, SSLError):
        return True
    import ssl

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_verification_error(exc: BaseException) -> bool:
    """A certificate the client does not trust (as opposed to another TLS failure)."""
    import ssl

    text = str(exc)
    if any(m in text for m in ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "hostname mismatch",
                               "doesn't match", "IP address mismatch")):
        return True
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_connection_error(exc: BaseException) -> bool:
    if HAS_REQUESTS and isinstance(exc, (RequestsConnectionError, Timeout)):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


def _is_timeout(exc: BaseException) -> bool:
    return (HAS_REQUESTS and isinstance(exc, Timeout)) or isinstance(exc, TimeoutError)


# connection errors that a retry can fix (a reset, a timeout, a network that comes back); a name that does not
# resolve or a refused connection stay as they are for the seconds a retry waits
RETRYABLE_CONNECTION_ERRORS = frozenset({"reset", "timeout", "unreachable", "other"})
_UNREACHABLE_ERRNOS = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN})


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it wraps (``__cause__``, ``__context__``, urllib3's ``reason``, exception
    arguments), outermost first, each once."""
    seen: set[int] = set()
    chain: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        chain.append(current)
        todo.extend([getattr(current, "reason", None), current.__cause__, current.__context__,
                     *getattr(current, "args", ())])
    return chain


def connection_error_kind(exc: BaseException) -> str:
    """``dns``, ``refused``, ``timeout``, ``unreachable``, ``reset`` or ``other`` for a connection-level failure."""
    chain = exception_chain(exc)
    if any(isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError" for e in chain):
        return "dns"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "refused"
    if any(isinstance(e, OSError) and e.errno in _UNREACHABLE_ERRNOS for e in chain):
        return "unreachable"
    if _is_timeout(exc) or any(isinstance(e, (TimeoutError, socket.timeout)) or "Timeout" in type(e).__name__
                               for e in chain):
        return "timeout"
    if any(isinstance(e, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError))
           or type(e).__name__ in ("RemoteDisconnected", "ProtocolError", "IncompleteRead") for e in chain):
        return "reset"
    return "other"


def _root_reason(exc: BaseException) -> str:
    """The innermost operating-system or protocol error, e.g. ``[Errno 111] Connection refused``, whole."""
    chain = exception_chain(exc)
    for wanted in (socket.gaierror, OSError):
        for error in reversed(chain):
            if isinstance(error, wanted) and error.errno is not None:
                return str(error)
    inner = chain[-1]
    text = str(inner) or type(inner).__name__
    return text if type(inner).__name__ in text else f"{type(inner).__name__}: {text}"


def _tls_reason(exc: BaseException) -> str:
    """The message of the ``ssl`` error itself, e.g. ``[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:
    unable to get local issuer certificate (_ssl.c:1006)``, whole (not urllib3's wrapping around it)."""
    chain = exception_chain(exc)
    for wanted in (ssl.SSLCertVerificationError, ssl.SSLError):
        for error in chain:
            if isinstance(error, wanted):
                return str(error)
    return _describe_tls_error(exc)


def tls_fix(reason: str, params: ConnectionParams) -> str:
    """What to do about a failed certificate verification, by its reason: an expired certificate and a name the
    certificate does not cover are not fixed by another CA bundle."""
    low = reason.lower()
    if "expired" in low:
        return (f"The certificate vCenter {params.hostname} presents has expired (or the clock of the node running "
                "the module is wrong): renew the vCenter certificate (vSphere Client: Administration > "
                "Certificates), or correct the clock; ca_path does not help here.")
    if "mismatch" in low or "doesn't match" in low or "not valid for" in low:
        return (f"The vCenter certificate is not issued for '{params.hostname}': set hostname (or VMWARE_HOST) to "
                "the name the certificate is issued for (vCenter's FQDN, not an alias or an IP address), or "
                "reissue the certificate with that name.")
    return (f"{_trust_hint(params)}Set ca_path (or VMWARE_CA_PATH) to the CA bundle that signed the vCenter "
            "certificate, or set validate_certs: false (VMWARE_VALIDATE_CERTS=false) to skip verification "
            "(not recommended).")


def _trust_hint(params: ConnectionParams) -> str:
    if not params.ca_path:
        return "No ca_path is set, so the system trust store was used. "
    return f"Trusted: only the CA bundle {params.ca_path} (ca_path). "
