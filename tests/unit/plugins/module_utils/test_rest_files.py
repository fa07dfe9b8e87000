# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RestClient.download / upload: streamed, with the session, retried only before the first byte."""
from __future__ import annotations

import hashlib
import io

import pytest
import urllib3
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError, ConnectionFailure
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import (
    SESSION_HEADER,
    ConnectionParams,
    RestClient,
    download_path,
    redact_url,
)
from ansible_collections.vsphere.lifecycle.tests.unit.plugins.module_utils.fakes import (
    FakeResponse,
    FakeSession,
    FakeStream,
    login_ok,
    vapi_error,
)

URL = "http://vc.example.com:9084/vum-filedownload/download?file=OFFLINE_BUNDLE_1.zip"


def make(script):
    sleeps: list[float] = []
    session = FakeSession(script)
    params = ConnectionParams(hostname="vc.example.com", username="u@vsphere.local", password="pw", ca_path="/ca.pem")
    return RestClient(params, session=session, sleep=sleeps.append), session, sleeps


def cut() -> Exception:
    return urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead", ConnectionResetError(104, "reset"))


def test_download_streams_to_the_file_with_session_over_https_of_vcenter():
    client, session, _sleeps = make([login_ok("sid-9"), FakeStream([b"abc", b"defg"])])
    sink, seen = io.BytesIO(), []
    info = client.download(URL, sink, chunk=3, on_progress=lambda done, total: seen.append((done, total)))
    assert sink.getvalue() == b"abcdefg"
    assert info == {"size": 7, "sha256": hashlib.sha256(b"abcdefg").hexdigest(), "content_length": 7,
                    "content_type": "application/zip"}
    assert seen == [(3, 7), (7, 7)]
    call = session.calls[1]
    # vCenter's own HTTPS address, the path and query of the URL it returned; never http or port 9084
    assert call["url"] == "https://vc.example.com:443/vum-filedownload/download?file=OFFLINE_BUNDLE_1.zip"
    assert call["headers"][SESSION_HEADER] == "sid-9" and call["stream"] is True
    assert call["verify"] == "/ca.pem" and call["timeout"] == 60.0


def test_reset_before_the_first_byte_is_retried_after_it_is_not():
    client, session, sleeps = make([login_ok(), FakeStream([cut()], length=4), FakeStream([b"ab", b"cd"])])
    sink = io.BytesIO()
    assert client.download(URL, sink)["size"] == 4 and sink.getvalue() == b"abcd"
    assert sleeps == [0.5]
    client, session, sleeps = make([login_ok(), FakeStream([b"ab", cut()], length=4), FakeStream([b"abcd"])])
    with pytest.raises(ConnectionFailure) as err:
        client.download(URL, io.BytesIO())
    text = str(err.value)
    assert "interrupted after 2 of 4 bytes" in text and "/vum-filedownload/download" in text
    assert "file=" not in text and sleeps == [] and len(session.calls) == 2     # no second GET


def test_short_body_is_an_interruption():
    client, _session, _sleeps = make([login_ok(), FakeStream([b"ab"], length=10)])
    with pytest.raises(ConnectionFailure, match="ended after 2 of 10 bytes"):
        client.download(URL, io.BytesIO())


def test_download_errors_503_retry_401_relogin_404_error():
    script = [login_ok("one"), vapi_error(503, "SERVICE_UNAVAILABLE", "busy"), vapi_error(401, "UNAUTHENTICATED", "x"),
              login_ok("two"), FakeStream([b"ok"])]
    client, session, sleeps = make(script)
    sink = io.BytesIO()
    client.download(URL, sink)
    assert sink.getvalue() == b"ok" and sleeps == [0.5] and client.logins == 2
    assert session.calls[-1]["headers"][SESSION_HEADER] == "two"
    client, _session, _sleeps = make([login_ok(), vapi_error(404, "NOT_FOUND", "No exported file")])
    with pytest.raises(ApiError) as err:
        client.download(URL, io.BytesIO())
    assert err.value.status == 404 and "file=" not in str(err.value)


def test_a_failing_file_is_not_taken_for_a_network_error():
    class Full:
        def write(self, data):
            raise OSError(28, "No space left on device")

    client, session, sleeps = make([login_ok(), FakeStream([b"ab"])])
    with pytest.raises(OSError, match="No space left"):
        client.download(URL, Full())
    assert sleeps == [] and len(session.calls) == 2


def test_upload_sends_the_file_rewound_on_retry():
    body = io.BytesIO(b"zipbytes")
    client, session, sleeps = make([login_ok(), vapi_error(503, "SERVICE_UNAVAILABLE", "busy"),
                                    FakeResponse(200, "file-1")])
    body.read(3)
    assert client.upload("/vum-fileupload", body, content_type="application/zip") == "file-1"
    first, second = session.calls[1], session.calls[2]
    assert first["data"] is body and second["data"] is body and body.tell() == 0
    assert second["headers"]["Content-Type"] == "application/zip" and second["headers"][SESSION_HEADER] == "sid-1"
    assert second["url"] == "https://vc.example.com:443/vum-fileupload"


def test_api_error_keeps_the_vapi_data():
    error = FakeResponse(400, {"error_type": "RESOURCE_IN_USE", "messages": [], "data": {"affected_desired_states": []}})
    client, _session, _sleeps = make([login_ok(), error])
    with pytest.raises(ApiError) as err:
        client.delete("/api/esx/settings/depots/offline/d1")
    assert err.value.data == {"affected_desired_states": []} and "data" not in err.value.details


def test_download_path_and_redact_url():
    assert download_path(URL) == ("/vum-filedownload/download?file=OFFLINE_BUNDLE_1.zip", "/vum-filedownload/download")
    assert download_path("/x") == ("/x", "/x")
    assert download_path("//elsewhere.example.com/x?y=1") == ("/x?y=1", "/x")     # only ever vCenter's address
    for bad in ("", "relative/path", "https://vc.example.com"):
        with pytest.raises(ValueError):
            download_path(bad)
    assert redact_url("https://user:pw@repo.example.com:8443/b.zip?token=s3cret#x") == \
        "https://repo.example.com:8443/b.zip"
    assert redact_url("file:///tmp/b.zip") == "file:///tmp/b.zip"
    assert redact_url(None) is None and redact_url("/local/path.zip") == "/local/path.zip"
