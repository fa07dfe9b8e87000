# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 8, reproductions 7, 10 and the trust store of 12: connection options and connection failures, through
ansible-playbook against vlcmsim (tiny scenario, time scale 0.001).

- Bad connection options fail before the first call, naming the option, its VMWARE_* variable and the fix.
- A password with characters outside Latin-1 logs in (REST and SOAP): credentials are sent as UTF-8.
- A name that does not resolve and a refused connection are tried once (counted by a probe that records the
  module's name lookups and connection attempts), resets/timeouts/503 keep their bounded retries (counted by
  the simulator).
- Without ca_path the system trust store is used: REQUESTS_CA_BUNDLE is not, SSL_CERT_FILE (OpenSSL's
  override of the system store) is.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import Simulator, start_simulator

SIM_SCENARIO = "tiny"
SIM_TIME_SCALE = 0.001
REST_ONLY = True
PROBE_DIR = Path(__file__).resolve().parent / "connprobe"

INFO = """
    - name: info
      vsphere.lifecycle.cluster_info:
"""


def info_with(**options: Any) -> str:
    lines = "".join(f"        {key}: {value}\n" for key, value in options.items())
    return INFO.rstrip("\n") + "\n" + lines


def probe_env(log: Path) -> dict[str, str]:
    """Environment that makes every Python process of the run record its name lookups and connects in ``log``."""
    return {"PYTHONPATH": str(PROBE_DIR), "VLCM_PROBE_FILE": str(log)}


def probe_lines(log: Path, prefix: str) -> list[str]:
    return [line for line in (log.read_text().splitlines() if log.exists() else []) if line.startswith(prefix)]


def non_session_writes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Calls other than GET and login/logout that happened between two /sim/counters snapshots."""
    old, new = before["calls"], after["calls"]
    return {key: new[key] - old.get(key, 0) for key in new
            if new[key] != old.get(key, 0) and not key.startswith("GET ")
            and key not in ("POST /api/session", "DELETE /api/session")}


# ----------------------------------------------------------------------------- 7: options checked before any call
@pytest.mark.parametrize(("host", "says"), [
    ("https://127.0.0.1", "is a URL: give the host name only ('127.0.0.1')"),
    ("https://127.0.0.1:{port}/ui", "is a URL: give the host name only ('127.0.0.1')"),
    ("127.0.0.1:{port}", "contains a port: give the host name only ('127.0.0.1') and set port: {port}"),
    ("127.0.0.1/sdk", "contains a path: give the host name only"),
], ids=["url", "url-with-port-and-path", "host-with-port", "host-with-path"])
def test_hostname_that_is_not_a_host_name_fails_before_any_call(sim, run_playbook, host, says):
    before = sim.counters()
    result = run_playbook(INFO, env={"VMWARE_HOST": host.format(port=sim.port)})
    assert not result.ok
    msg = result.task("info")["msg"]
    assert "hostname (or VMWARE_HOST)" in msg and says.format(port=sim.port) in msg, msg
    assert "nothing was sent to vCenter" in msg and "unexpected error" not in msg
    after = sim.counters()
    assert after["calls"] == before["calls"] and after["logins"] == before["logins"]


def test_credentials_in_a_url_given_as_hostname_are_not_repeated(sim, run_playbook):
    url_secret = "Url-Secret-4711"
    result = run_playbook(INFO, env={"VMWARE_HOST": f"https://automation:{url_secret}@127.0.0.1"})
    assert not result.ok
    msg = result.task("info")["msg"]
    assert "is a URL" in msg and "***@127.0.0.1" in msg
    assert url_secret not in result.output
    assert sim.counters()["logins"]["rest"] == 0


@pytest.mark.parametrize("port", [70000, 0, -1])
def test_port_out_of_range_fails_before_any_call(sim, run_playbook, port):
    result = run_playbook(INFO, env={"VMWARE_PORT": str(port)})
    assert not result.ok
    msg = result.task("info")["msg"]
    assert f"port (or VMWARE_PORT) is {port}" in msg and "1-65535" in msg, msg
    assert "unexpected error" not in msg
    assert sim.counters()["calls"] == {} and sim.counters()["logins"]["rest"] == 0


@pytest.mark.parametrize("timeout", [0, -5])
def test_timeout_not_positive_fails_before_any_call(sim, run_playbook, timeout):
    result = run_playbook(info_with(timeout=timeout))
    assert not result.ok
    msg = result.task("info")["msg"]
    assert f"timeout is {timeout}" in msg and "give a positive number" in msg, msg
    assert "unexpected error" not in msg
    assert sim.counters()["calls"] == {}


# ----------------------------------------------------------------------------- 7: a password outside Latin-1
UTF8_PASSWORD = "Väter-€-密码!"  # Latin-1 (ä), outside Latin-1 (€), outside the BMP's Latin scripts (密码)


@pytest.fixture(scope="module")
def utf8_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    server = start_simulator(tmp_path_factory.mktemp("vlcmsim-utf8"), scenario="tiny", time_scale=0.001,
                             extra_args=["--password", UTF8_PASSWORD])
    try:
        yield server
    finally:
        server.stop()


def test_password_outside_latin1_logs_in_over_rest_and_soap(sim, utf8_sim, run_playbook):
    utf8_sim.reset()
    env = utf8_sim.env()
    assert env["VMWARE_PASSWORD"] == UTF8_PASSWORD
    result = run_playbook(INFO + """
    - name: needs SOAP (the API version), then refuses live_patch_mode on 8.0 U3
      vsphere.lifecycle.remediation_policy:
        cluster: Tiny-01
        live_patch_mode: AUTO
      ignore_errors: true
""", connection=False, env=env)
    assert result.status("info") == "ok", result.output
    assert [c["name"] for c in result.task("info")["clusters"]] == ["Tiny-01"]
    soap_step = result.task("needs SOAP (the API version), then refuses live_patch_mode on 8.0 U3")
    assert "live_patch_mode needs vCenter Server 9.1" in soap_step["msg"], soap_step["msg"]
    counters = utf8_sim.counters()
    assert counters["logins"]["rest"] == 2 and counters["logins"]["soap"] == 1
    assert utf8_sim.wait_sessions_closed() == {"rest": 0, "soap": 0}
    assert UTF8_PASSWORD not in result.output and "密码" not in result.output


def test_wrong_password_outside_latin1_is_refused_cleanly(sim, utf8_sim, run_playbook):
    utf8_sim.reset()
    wrong = "Väter-€-falsch"
    result = run_playbook(INFO, connection=False, env={**utf8_sim.env(), "VMWARE_PASSWORD": wrong})
    assert not result.ok
    msg = result.task("info")["msg"]
    assert "was refused" in msg and "check username and password" in msg, msg
    assert result.task("info")["error"] == "AuthenticationError"
    assert wrong not in result.output and "falsch" not in result.output


# ----------------------------------------------------------------------------- 10: no retry for what cannot recover
def test_unresolvable_name_is_tried_once_and_named_whole(sim, run_playbook, tmp_path):
    name = "vcenter-that-does-not-exist.vsphere-lifecycle-tests.invalid"
    try:
        socket.getaddrinfo(name, 443)
    except socket.gaierror as exc:
        resolver_says = str(exc)  # e.g. "[Errno -2] Name or service not known": must reach the user whole
    else:  # pragma: no cover - a resolver that answers for .invalid
        pytest.skip(f"{name} resolves on this machine")
    log = tmp_path / "probe.log"
    result = run_playbook(INFO, env={"VMWARE_HOST": name, **probe_env(log)})
    assert not result.ok
    failure = result.task("info")
    msg = failure["msg"]
    assert f"cannot resolve the vCenter host name '{name}' ({resolver_says})" in msg, msg
    assert "VMWARE_HOST" in msg and "DNS" in msg and "..." not in msg
    assert failure["connection_error"] == "dns" and failure["connection_attempts"] == 1
    assert len(probe_lines(log, f"getaddrinfo {name} ")) == 1  # one lookup: no retry (was 6)


def test_refused_connection_is_tried_once_and_names_the_address(sim, run_playbook, tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused
    port = closed.getsockname()[1]
    log = tmp_path / "probe.log"
    try:
        result = run_playbook(INFO, env={"VMWARE_PORT": str(port), **probe_env(log)})
    finally:
        closed.close()
    assert not result.ok
    failure = result.task("info")
    msg = failure["msg"]
    assert f"vCenter 127.0.0.1:{port} refused the connection" in msg, msg
    assert "VMWARE_HOST / VMWARE_PORT" in msg and "Connection refused" in msg
    assert failure["connection_error"] == "refused" and failure["connection_attempts"] == 1
    assert len(probe_lines(log, f"connect 127.0.0.1 {port}")) == 1  # one attempt: no retry (was 6)


def test_probe_counts_attempts_of_a_healthy_run(sim, run_playbook, tmp_path):
    # the probe itself: one lookup-free connection per request on a kept-alive session
    log = tmp_path / "probe.log"
    result = run_playbook(INFO, env=probe_env(log))
    assert result.ok, result.output
    assert 1 <= len(probe_lines(log, f"connect 127.0.0.1 {sim.port}")) <= 3


# ----------------------------------------------------------------------------- 10: retries that can help stay
def test_reset_connection_is_retried_within_bounds(sim, run_playbook):
    sim.add_faults({"type": "reset_connection", "path": "/api/session", "method": "POST", "count": 2})
    result = run_playbook(INFO)
    assert result.ok, result.output
    assert sim.calls("POST /api/session") == 3


def test_reset_connection_every_time_gives_up_after_six_attempts(sim, run_playbook):
    sim.add_faults({"type": "reset_connection", "path": "/api/session", "method": "POST", "count": 50})
    result = run_playbook(INFO)
    assert not result.ok
    failure = result.task("info")
    assert failure["connection_error"] == "reset" and failure["connection_attempts"] == 6
    assert f"connection to vCenter 127.0.0.1:{sim.port} failed (POST /api/session, 6 attempt(s))" in failure["msg"]
    assert "Check hostname and port" in failure["msg"]
    assert sim.calls("POST /api/session") == 6


def test_timeout_is_retried(sim, run_playbook):
    sim.add_faults({"type": "slow", "seconds": 3, "path": "/api/vcenter/cluster", "method": "GET", "count": 1})
    result = run_playbook(info_with(timeout=1))
    assert result.ok, result.output
    assert sim.calls("GET /api/vcenter/cluster") == 2


def test_503_is_retried(sim, run_playbook):
    sim.add_faults({"type": "http_status", "status": 503, "path": "/api/vcenter/cluster", "count": 2})
    result = run_playbook(INFO)
    assert result.ok, result.output
    assert sim.calls("GET /api/vcenter/cluster") == 3


# ----------------------------------------------------------------------------- 10 + 12: TLS and the trust store
def test_untrusted_certificate_message_keeps_the_ssl_prefix(sim, run_playbook):
    result = run_playbook(INFO, connection=False, env=sim.env(ca=False))
    assert not result.ok
    failure = result.task("info")
    msg = failure["msg"]
    assert f"TLS certificate verification of vCenter 127.0.0.1:{sim.port} failed: [SSL: CERTIFICATE_VERIFY_FAILED]" \
           in msg, msg
    assert "system trust store" in msg and "ca_path (or VMWARE_CA_PATH)" in msg
    assert failure["error"] == "TLSVerificationError" and failure["connection_attempts"] == 1
    assert sim.counters()["calls"] == {}


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_without_ca_path_requests_ca_bundle_is_not_trusted(sim, run_playbook, variable):
    result = run_playbook(INFO, connection=False, env={**sim.env(ca=False), variable: sim.ca})
    assert not result.ok
    assert result.task("info")["error"] == "TLSVerificationError"
    assert sim.counters()["logins"]["rest"] == 0


def test_without_ca_path_the_system_trust_store_is_used(sim, run_playbook):
    # OpenSSL's SSL_CERT_FILE replaces the system CA bundle for this run: trusting it = using the system store
    result = run_playbook(INFO, connection=False, env={**sim.env(ca=False), "SSL_CERT_FILE": sim.ca})
    assert result.ok, result.output
    assert sim.counters()["logins"]["rest"] == 1


def test_with_ca_path_only_that_bundle_is_trusted(sim, run_playbook):
    # ca_path = a bundle without the simulator's CA (certifi's), while the system store (SSL_CERT_FILE) has it
    import certifi

    result = run_playbook(INFO, connection=False, env={**sim.env(ca=False), "VMWARE_CA_PATH": certifi.where(),
                                                       "SSL_CERT_FILE": sim.ca})
    assert not result.ok
    assert result.task("info")["error"] == "TLSVerificationError"
    assert f"Trusted: only the CA bundle {certifi.where()} (ca_path)" in result.task("info")["msg"]
