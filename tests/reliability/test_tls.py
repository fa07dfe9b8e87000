# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS refusals (issue 12, item 4): a certificate signed by another CA, an expired certificate and a certificate
for another name are each refused before any request reaches vCenter, with the fix for that case named. The
simulators serve the flawed certificates with ``--tls-flaw`` (vlcmsim/certs.py); the same module run against a
good certificate is the control."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from integration.harness import PlaybookRunner, start_simulator
from vlcmsim import certs
from vlcmsim.testing import SimulatorHandle

TASK = """
- name: info
  vsphere.lifecycle.image_info:
    cluster: Tiny-01
"""


pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture(scope="module")
def flawed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[SimulatorHandle, SimulatorHandle]]]:
    """flaw -> (the simulator, a handle of its admin API that does not verify: its certificate is the flaw)."""
    started = {}
    try:
        for flaw in certs.FLAWS:
            started[flaw] = start_simulator(tmp_path_factory.mktemp(f"vlcmsim-{flaw}"), scenario="tiny",
                                            extra_args=["--tls-flaw", flaw])
        yield {flaw: (h, dataclasses.replace(h, ca=None, process=None)) for flaw, h in started.items()}
    finally:
        for handle in started.values():
            handle.stop()


def run(sim: SimulatorHandle, collections_path: Path, tmp_path: Path, ca: str | None):
    env = sim.env(ca=False)
    if ca:
        env["VMWARE_CA_PATH"] = ca
    return PlaybookRunner(tmp_path, collections_path)(TASK, env=env)


def refused(admin: SimulatorHandle, result, before: dict) -> str:
    assert not result.ok, result.output[-2000:]
    failure = result.task("info")
    assert failure["error"] == "TLSVerificationError", failure
    assert "Traceback" not in result.output
    after = admin.counters()
    assert after["calls"] == before["calls"]      # nothing reached vCenter
    assert after["logins"] == before["logins"]
    return failure["msg"]


def test_a_certificate_from_another_ca_is_refused_naming_ca_path(sim, collections_path, tmp_path):
    other_ca, _, _ = certs.ensure(tmp_path / "other-ca")      # a CA that did not sign the simulator's certificate
    msg = refused(sim, run(sim, collections_path, tmp_path, other_ca), sim.counters())
    assert "CERTIFICATE_VERIFY_FAILED" in msg and "unable to get local issuer certificate" in msg, msg
    assert f"Trusted: only the CA bundle {other_ca} (ca_path)" in msg
    assert "Set ca_path (or VMWARE_CA_PATH) to the CA bundle that signed the vCenter certificate" in msg


def test_the_right_ca_is_accepted(sim, collections_path, tmp_path):
    # control: the same run with the simulator's own CA
    result = run(sim, collections_path, tmp_path, sim.ca)
    assert result.ok, result.output[-2000:]
    assert sim.counters()["logins"]["rest"] == 1


def test_an_expired_certificate_is_refused_naming_renewal(flawed, collections_path, tmp_path):
    sim, admin = flawed["expired"]
    before = admin.counters()
    msg = refused(admin, run(sim, collections_path, tmp_path, sim.ca), before)   # the right CA: only the date is wrong
    assert "certificate has expired" in msg, msg
    assert "renew the vCenter certificate" in msg and "clock" in msg
    assert "ca_path does not help" in msg


def test_a_certificate_for_another_name_is_refused_naming_hostname(flawed, collections_path, tmp_path):
    sim, admin = flawed["wrong-name"]
    before = admin.counters()
    msg = refused(admin, run(sim, collections_path, tmp_path, sim.ca), before)
    assert "mismatch" in msg.lower(), msg
    assert f"not issued for '{sim.host}'" in msg and "set hostname (or VMWARE_HOST)" in msg
    assert "Set ca_path" not in msg                      # another CA bundle would not help


@pytest.mark.parametrize("flaw", certs.FLAWS)
def test_without_verification_the_flawed_servers_answer(flawed, collections_path, tmp_path, flaw):
    # control: the refusals above come from verification, not from a broken server
    sim, admin = flawed[flaw]
    env = {**sim.env(ca=False), "VMWARE_VALIDATE_CERTS": "false"}
    result = PlaybookRunner(tmp_path, collections_path)(TASK, env=env)
    assert result.ok, result.output[-2000:]
    assert admin.wait_sessions_closed() == {"rest": 0, "soap": 0}
