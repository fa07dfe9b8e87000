# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
import requests
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    AuthenticationError,
    ConnectionFailure,
    TLSVerificationError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import (
    SESSION_HEADER,
    ConnectionParams,
    RestClient,
    RetryPolicy,
    parse_retry_after,
    vapi_error_messages,
)
from ansible_collections.vsphere.lifecycle.tests.unit.plugins.module_utils.fakes import (
    FakeResponse,
    FakeSession,
    login_ok,
    vapi_error,
)

PASSWORD = "S3cret!pw"


def make(script, **params):
    kwargs = dict(hostname="vc.example.com", username="admin@vsphere.local", password=PASSWORD)
    kwargs.update(params)
    sleeps: list[float] = []
    session = FakeSession(script)
    client = RestClient(ConnectionParams(**kwargs), session=session, sleep=sleeps.append)
    return client, session, sleeps


def test_lazy_login_then_session_header_and_explicit_verify():
    script = [login_ok("abc"), FakeResponse(200, [{"cluster": "domain-c1", "name": "A"}])]
    client, session, _sleeps = make(script, ca_path="/tmp/ca.pem")
    assert session.calls == []  # nothing before the first call
    assert client.get("/api/vcenter/cluster") == [{"cluster": "domain-c1", "name": "A"}]
    login, call = session.calls
    assert (login["method"], login["path"]) == ("POST", "/api/session")
    assert login["auth"] == ("admin@vsphere.local", PASSWORD)
    assert call["headers"][SESSION_HEADER] == "abc"
    assert call["url"] == "https://vc.example.com:443/api/vcenter/cluster"
    assert all(c["verify"] == "/tmp/ca.pem" for c in session.calls)
    assert all(c["timeout"] == 60.0 for c in session.calls)


@pytest.mark.parametrize("validate, ca, expected", [(False, "/tmp/ca.pem", False), (True, None, True),
                                                    (True, "/x.pem", "/x.pem")])
def test_verify_is_passed_on_every_request(validate, ca, expected):
    script = [login_ok(), FakeResponse(200, {}), FakeResponse(204)]
    client, session, _sleeps = make(script, validate_certs=validate, ca_path=ca)
    client.get("/api/x")
    client.close()
    assert [c["verify"] for c in session.calls] == [expected] * 3


def test_503_burst_is_retried_honouring_retry_after():
    client, session, sleeps = make([login_ok(), vapi_error(503, "SERVICE_UNAVAILABLE", "busy"),
                                    FakeResponse(503, None, {"Retry-After": "2"}), FakeResponse(200, "ok")])
    assert client.get("/api/x") == "ok"
    assert sleeps == [0.5, 2.0]
    assert client.retries == 2


def test_retries_are_bounded():
    policy_retries = 3
    client, session, sleeps = make([login_ok()] + [vapi_error(503, "SERVICE_UNAVAILABLE", "down")] * 10)
    client.retry = RetryPolicy(max_retries=policy_retries)
    with pytest.raises(ApiError) as err:
        client.get("/api/x")
    assert err.value.status == 503 and err.value.error_type == "SERVICE_UNAVAILABLE"
    assert "down" in str(err.value)
    assert len(session.calls) == 1 + policy_retries + 1
    assert sleeps == [0.5, 1.0, 2.0]


def test_connection_reset_is_retried_then_reported():
    reset = requests.exceptions.ConnectionError("Connection aborted.", ConnectionResetError(104, "reset"))
    client, session, sleeps = make([login_ok(), reset, reset, FakeResponse(200, 1)])
    assert client.get("/api/x") == 1
    assert sleeps == [0.5, 1.0]
    client, session, sleeps = make([login_ok()] + [reset] * 7)
    with pytest.raises(ConnectionFailure, match="vc.example.com:443 failed"):
        client.get("/api/x")
    assert len(sleeps) == 5


def test_no_retry_on_reset_when_caller_forbids_it():
    reset = requests.exceptions.ConnectionError("reset")
    client, session, sleeps = make([login_ok(), reset])
    with pytest.raises(ConnectionFailure):
        client.post("/api/x", retry_on_reset=False)
    assert sleeps == []


def test_expired_session_relogs_in_once():
    script = [login_ok("one"), vapi_error(401, "UNAUTHENTICATED", "expired"), login_ok("two"), FakeResponse(200, "ok")]
    client, session, _sleeps = make(script)
    assert client.get("/api/x") == "ok"
    assert [c["headers"].get(SESSION_HEADER) for c in session.calls if c["path"] == "/api/x"] == ["one", "two"]
    assert client.logins == 2


def test_second_401_is_an_error_not_a_loop():
    script = [login_ok(), vapi_error(401, "UNAUTHENTICATED", "no"), login_ok(),
              vapi_error(401, "UNAUTHENTICATED", "still no")]
    client, session, _sleeps = make(script)
    with pytest.raises(ApiError) as err:
        client.get("/api/x")
    assert err.value.status == 401 and len(session.calls) == 4


def test_login_refused_is_clean_and_has_no_password():
    client, _session, _sleeps = make([vapi_error(401, "UNAUTHENTICATED", "Authentication required.")])
    with pytest.raises(AuthenticationError) as err:
        client.get("/api/x")
    text = str(err.value)
    assert "admin@vsphere.local" in text and "refused" in text
    assert PASSWORD not in text and PASSWORD not in repr(client) and PASSWORD not in repr(client.params)


def test_tls_failure_says_how_to_fix():
    error = requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                         "self-signed certificate in certificate chain (_ssl.c:1006)')")
    client, _session, sleeps = make([error])
    with pytest.raises(TLSVerificationError) as err:
        client.get("/api/x")
    assert "ca_path" in str(err.value) and "validate_certs" in str(err.value)
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value)
    assert sleeps == []  # not retried


def test_other_tls_failure_is_a_connection_failure():
    error = requests.exceptions.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)")
    client, _session, _sleeps = make([error])
    with pytest.raises(ConnectionFailure, match="TLS handshake .* HTTPS port") as err:
        client.get("/api/x")
    assert not isinstance(err.value, TLSVerificationError)


def test_vapi_error_becomes_typed_api_error():
    client, _session, _sleeps = make([login_ok(), vapi_error(404, "NOT_FOUND", "Cluster domain-c9 not found.")])
    with pytest.raises(ApiError) as err:
        client.get("/api/esx/settings/clusters/domain-c9/software")
    assert err.value.error_type == "NOT_FOUND"
    assert err.value.messages == ["Cluster domain-c9 not found."]
    assert "GET /api/esx/settings/clusters/domain-c9/software" in str(err.value)


def test_close_logs_out_once_and_only_when_logged_in():
    client, session, _sleeps = make([])
    client.close()
    assert session.calls == []
    client, session, _sleeps = make([login_ok("sid"), FakeResponse(200, 1), FakeResponse(204)])
    client.get("/api/x")
    client.close()
    client.close()
    assert [(c["method"], c["path"]) for c in session.calls][-1] == ("DELETE", "/api/session")
    assert session.calls[-1]["headers"][SESSION_HEADER] == "sid"
    assert len(session.calls) == 3 and session.closed


def test_logout_failure_is_swallowed():
    client, session, _sleeps = make([login_ok(), FakeResponse(200, 1), requests.exceptions.ConnectionError("gone")])
    client.get("/api/x")
    client.close()
    assert not client.logged_in


def test_retry_policy_delays():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=5.0, retry_after_max=30.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.delay(1, "7") == 7.0
    assert policy.delay(1, "600") == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_vapi_error_messages_both_forms():
    assert vapi_error_messages({"error_type": "NOT_FOUND", "messages": [{"default_message": "gone"}]}) == (
        "NOT_FOUND", ["gone"])
    legacy = {"type": "com.vmware.vapi.std.errors.not_found", "value": {"messages": [{"default_message": "gone"}]}}
    assert vapi_error_messages(legacy) == ("NOT_FOUND", ["gone"])
    assert vapi_error_messages("nonsense") == (None, [])


def test_ipv6_base_url():
    assert ConnectionParams("fe80::1", "u", "p", port=8443).base_url == "https://[fe80::1]:8443"
