# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SOAP client of module_utils against vlcmsim's /sdk: explicit SSL context, one bulk read, disconnect."""

from __future__ import annotations

import pytest

from .harness import REPO  # noqa: F401 - makes sure the repo is importable as a collection below

SIM_SCENARIO = "tiny"


@pytest.fixture
def soap_module(collections_path, monkeypatch):
    monkeypatch.syspath_prepend(str(collections_path))
    from ansible_collections.vsphere.lifecycle.plugins.module_utils import _rest, _soap

    return _rest, _soap


def test_bulk_read_and_disconnect(sim, soap_module):
    _rest, _soap = soap_module
    from pyVmomi import vim

    params = _rest.ConnectionParams(sim.host, sim.username, sim.password, port=sim.port, ca_path=sim.ca)
    client = _soap.SoapClient(params)
    try:
        rows = client.retrieve(vim.HostSystem, ["name", "runtime.inMaintenanceMode"])
    finally:
        client.close()
    state = {h["id"]: h for h in sim.state()["hosts"]}
    assert {r["moid"]: r["name"] for r in rows} == {i: h["name"] for i, h in state.items()}
    assert all(r["runtime.inMaintenanceMode"] is False for r in rows)
    counters = sim.counters()
    assert counters["logins"]["soap"] == 1 and counters["live_sessions"]["soap"] == 0


def test_untrusted_certificate_is_refused_with_a_fix(sim, soap_module):
    _rest, _soap = soap_module
    from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import TLSVerificationError

    params = _rest.ConnectionParams(sim.host, sim.username, sim.password, port=sim.port)
    with pytest.raises(TLSVerificationError, match="ca_path"):
        _soap.SoapClient(params).content()
    assert sim.mutating_calls() == {} and sim.counters()["logins"]["soap"] == 0


def test_wrong_password_is_authentication_error(sim, soap_module):
    _rest, _soap = soap_module
    from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import AuthenticationError

    params = _rest.ConnectionParams(sim.host, sim.username, "nope-nope", port=sim.port, ca_path=sim.ca)
    with pytest.raises(AuthenticationError) as err:
        _soap.SoapClient(params).content()
    assert "nope-nope" not in str(err.value)
    assert sim.mutating_calls() == {} and sim.counters()["logins"]["soap"] == 0
