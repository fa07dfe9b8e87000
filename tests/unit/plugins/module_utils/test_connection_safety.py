# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 8 (7, 10, 11, 12), the pure logic: connection option checks, which connection failures are retried,
whole error texts, UTF-8 basic auth, what is trusted, policy ranges. End to end: tests/integration/test_safety_*.py.
"""

from __future__ import annotations

import base64
import socket
import ssl

import pytest
import requests
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _policy as pol
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ConnectionFailure,
    TLSVerificationError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import (
    connection_option_problems,
    hostname_problem,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import (
    BasicAuthUtf8,
    ConnectionParams,
    RestClient,
    TrustAdapter,
    connection_error_kind,
    ssl_context,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target
from ansible_collections.vsphere.lifecycle.tests.unit.plugins.module_utils.fakes import (
    FakeResponse,
    FakeSession,
    basic_credentials,
    login_ok,
)
from urllib3.exceptions import (
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

PASSWORD = "S3cret!pw"


# ----------------------------------------------------------------------------- option checks
@pytest.mark.parametrize("value", ["vc01", "vcenter.example.com", "10.0.0.5", "fe80::1", "[fe80::1]", "::1",
                                   "vcénter.example.com"])
def test_host_names_and_addresses_pass(value):
    assert hostname_problem(value) is None


@pytest.mark.parametrize(("value", "says"), [
    ("https://vc01.example.com", "is a URL: give the host name only ('vc01.example.com')"),
    ("https://vc01.example.com:8443/ui", "set port: 8443 (or VMWARE_PORT)"),
    ("vc01:8443", "contains a port: give the host name only ('vc01') and set port: 8443"),
    ("[fe80::1]:443", "contains a port: give the host name only ('[fe80::1]') and set port: 443"),
    ("vc01/sdk", "contains a path"),
    ("admin@vc01", "contains '@'"),
    ("vc01 ", "contains white space"),
    ("   ", "is empty"),
])
def test_what_is_not_a_host_name_is_named_with_the_fix(value, says):
    problem = hostname_problem(value)
    assert problem is not None and problem.startswith("hostname (or VMWARE_HOST)") and says in problem, problem


@pytest.mark.parametrize("value", ["https://admin:TopSecret1@vc01/ui", "admin:TopSecret1@vc01", "//admin:TopSecret1@vc01"])
def test_credentials_in_a_host_name_are_masked(value):
    problem = hostname_problem(value)
    assert problem is not None and "TopSecret1" not in problem and "***@vc01" in problem


@pytest.mark.parametrize(("params", "says"), [
    ({"port": 70000}, "port (or VMWARE_PORT) is 70000: give the HTTPS port of vCenter, 1-65535"),
    ({"port": 0}, "port (or VMWARE_PORT) is 0"),
    ({"timeout": 0}, "timeout is 0"),
    ({"timeout": -1}, "timeout is -1"),
    ({"username": "administrator:vsphere.local"}, "username (or VMWARE_USER) contains ':'"),
])
def test_connection_option_problems(params, says):
    base = {"hostname": "vc01", "username": "u", "password": PASSWORD, "port": 443, "timeout": 60}
    problems = connection_option_problems({**base, **params})
    assert len(problems) == 1 and says in problems[0], problems
    assert not any(PASSWORD in p for p in problems)


def test_good_connection_options_have_no_problem():
    assert connection_option_problems({"hostname": "vc01", "username": "administrator@vsphere.local",
                                       "password": "Väter-€", "port": 443, "timeout": 60}) == []


# ----------------------------------------------------------------------------- UTF-8 basic auth
def test_basic_auth_is_utf8_and_never_shows_the_password():
    auth = BasicAuthUtf8("administrator@vsphere.local", "Väter-€-密码")
    assert basic_credentials(auth) == ("administrator@vsphere.local", "Väter-€-密码")
    assert "Väter" not in repr(auth) and "密码" not in repr(auth)
    # requests' own basic auth would have sent Latin-1 (and fails on '€'); the official vAPI runtime sends UTF-8
    expected = base64.b64encode("administrator@vsphere.local:Väter-€-密码".encode()).decode()

    class Req:
        headers: dict[str, str] = {}

    req = Req()
    req.headers = {}
    auth(req)
    assert req.headers["Authorization"] == "Basic " + expected


def test_login_sends_utf8_basic_auth():
    session = FakeSession([login_ok(), FakeResponse(200, [])])
    client = RestClient(ConnectionParams("vc01", "admin@vsphere.local", "pässwörd-€"), session=session,
                        sleep=lambda s: None)
    client.get("/api/vcenter/cluster")
    assert session.calls[0]["auth"] == ("admin@vsphere.local", "pässwörd-€")
    assert isinstance(session.calls[0]["auth_object"], BasicAuthUtf8)


# ----------------------------------------------------------------------------- which connection failures retry
def _chain(*errors: BaseException) -> BaseException:
    """errors[0] raised from errors[1] raised from ... (outermost first), as urllib3 and requests chain them."""
    inner: BaseException | None = None
    for error in reversed(errors):
        if inner is not None:
            error.__cause__ = inner
        inner = error
    assert inner is not None
    return inner


def dns_error() -> BaseException:
    gai = socket.gaierror(-2, "Name or service not known")
    resolution = _chain(NameResolutionError("vc.example.invalid", None, gai), gai)  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/api/session", resolution))  # type: ignore[arg-type]


def refused_error() -> BaseException:
    refused = ConnectionRefusedError(111, "Connection refused")
    new = _chain(NewConnectionError(None, f"Failed to establish a new connection: {refused}"), refused)  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/api/session", new))  # type: ignore[arg-type]


def unreachable_error() -> BaseException:
    route = OSError(113, "No route to host")
    new = _chain(NewConnectionError(None, f"Failed to establish a new connection: {route}"), route)  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/api/session", new))  # type: ignore[arg-type]


def reset_error() -> BaseException:
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))


def timeout_error() -> BaseException:
    return requests.exceptions.ReadTimeout(ReadTimeoutError(None, "/api/session", "Read timed out. (read timeout=60)"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("make_error", "kind", "calls"), [
    (dns_error, "dns", 1), (refused_error, "refused", 1),
    (reset_error, "reset", 6), (timeout_error, "timeout", 6), (unreachable_error, "unreachable", 6),
], ids=["dns", "refused", "reset", "timeout", "unreachable"])
def test_only_failures_a_retry_can_fix_are_retried(make_error, kind, calls):
    session = FakeSession(handler=lambda call: make_error())
    sleeps: list[float] = []
    client = RestClient(ConnectionParams("vc.example.invalid", "u", PASSWORD, port=8443), session=session,
                        sleep=sleeps.append)
    with pytest.raises(ConnectionFailure) as info:
        client.get("/api/vcenter/cluster")
    assert connection_error_kind(make_error()) == kind
    assert len(session.calls) == calls and len(sleeps) == calls - 1
    assert info.value.details["connection_attempts"] == calls and info.value.details["connection_error"] == kind
    assert info.value.details["address"] == "vc.example.invalid:8443"
    assert PASSWORD not in info.value.message and "..." not in info.value.message


def test_dns_message_names_the_host_and_keeps_the_resolver_text_whole():
    session = FakeSession(handler=lambda call: dns_error())
    client = RestClient(ConnectionParams("vc.example.invalid", "u", PASSWORD), session=session, sleep=lambda s: None)
    with pytest.raises(ConnectionFailure) as info:
        client.get("/api/x")
    assert info.value.message.startswith(
        "cannot resolve the vCenter host name 'vc.example.invalid' ([Errno -2] Name or service not known): "
        "check hostname (or VMWARE_HOST)")


def test_refused_message_names_the_address_and_what_to_check():
    session = FakeSession(handler=lambda call: refused_error())
    client = RestClient(ConnectionParams("vc01", "u", PASSWORD, port=8443), session=session, sleep=lambda s: None)
    with pytest.raises(ConnectionFailure) as info:
        client.get("/api/x")
    assert info.value.message.startswith("vCenter vc01:8443 refused the connection ([Errno 111] Connection refused)")
    assert "VMWARE_HOST / VMWARE_PORT" in info.value.message


def test_reset_not_repeated_when_the_caller_forbids_says_so():
    session = FakeSession([login_ok(), reset_error()])
    client = RestClient(ConnectionParams("vc01", "u", PASSWORD), session=session, sleep=lambda s: None)
    with pytest.raises(ConnectionFailure) as info:
        client.post("/api/x", retry_on_reset=False)
    assert len(session.calls) == 2
    assert "1 attempt(s), not repeated because the request may have reached vCenter" in info.value.message
    assert "[Errno 104] Connection reset by peer" in info.value.message


def test_tls_verification_message_keeps_the_ssl_prefix():
    verify = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                             "unable to get local issuer certificate (_ssl.c:1006)")
    error = requests.exceptions.SSLError(MaxRetryError(None, "/api/session", verify))  # type: ignore[arg-type]
    session = FakeSession(handler=lambda call: error)
    client = RestClient(ConnectionParams("vc01", "u", PASSWORD), session=session, sleep=lambda s: None)
    with pytest.raises(TLSVerificationError) as info:
        client.get("/api/x")
    assert ("failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer "
            "certificate (_ssl.c:1006). No ca_path is set, so the system trust store was used.") in info.value.message
    assert len(session.calls) == 1


# ----------------------------------------------------------------------------- trust
def _one_certificate(tmp_path):
    bundle = open(requests.certs.where(), encoding="ascii").read()
    first = bundle[bundle.index("-----BEGIN CERTIFICATE-----"):bundle.index("-----END CERTIFICATE-----") + 25]
    path = tmp_path / "one.pem"
    path.write_text(first + "\n")
    return str(path)


def test_ssl_context_trusts_only_ca_path_when_set(tmp_path):
    context = ssl_context(ConnectionParams("vc01", "u", PASSWORD, ca_path=_one_certificate(tmp_path)))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True
    assert len(context.get_ca_certs()) == 1


def test_ssl_context_without_verification():
    context = ssl_context(ConnectionParams("vc01", "u", PASSWORD, validate_certs=False, ca_path="/ignored.pem"))
    assert context.verify_mode == ssl.CERT_NONE and context.check_hostname is False


def test_the_client_session_trusts_its_own_context_not_requests_bundles(monkeypatch, tmp_path):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    client = RestClient(ConnectionParams("vc01", "u", PASSWORD))
    adapter = client._http.get_adapter("https://vc01:443/api/session")  # noqa: SLF001
    assert isinstance(adapter, TrustAdapter)
    prepared = requests.Request("GET", "https://vc01:443/api/session").prepare()
    # what requests would pass after merging REQUESTS_CA_BUNDLE into verify=True
    _host, pool_kwargs = adapter.build_connection_pool_key_attributes(prepared, requests.certs.where())
    assert "ca_certs" not in pool_kwargs and "ca_cert_dir" not in pool_kwargs
    assert pool_kwargs["ssl_context"] is adapter._context  # noqa: SLF001
    assert pool_kwargs["cert_reqs"] == "CERT_REQUIRED"

    class Conn:
        cert_reqs = ca_certs = ca_cert_dir = "unset"

    conn = Conn()
    adapter.cert_verify(conn, "https://vc01/api", requests.certs.where(), None)
    assert (conn.cert_reqs, conn.ca_certs, conn.ca_cert_dir) == ("CERT_REQUIRED", None, None)
    client.close()


# ----------------------------------------------------------------------------- policy ranges (11)
@pytest.mark.parametrize(("options", "says"), [
    ({"failure_retry_count": -1}, "failure_retry_count is -1"),
    ({"failure_retry_delay": -5}, "failure_retry_delay is -5"),
    ({"parallel_max_hosts": 0}, "parallel_max_hosts is 0"),
    ({"parallel_max_hosts": 97}, "parallel_max_hosts is 97"),
])
def test_policy_numbers_out_of_range_name_the_option_and_range(options, says):
    with pytest.raises(pol.PolicyError) as info:
        pol.managed_options(options)
    assert says in info.value.message and "nothing was changed" in info.value.message
    with pytest.raises(pol.PolicyError):
        pol.validate(Target("cluster", "domain-c1", "C1"), options, (8, 0, 3))


@pytest.mark.parametrize("options", [{"failure_retry_count": 0, "failure_retry_delay": 0}, {"parallel_max_hosts": 1},
                                     {"parallel_max_hosts": 96}])
def test_policy_range_limits_pass(options):
    assert pol.managed_options(options) == options
