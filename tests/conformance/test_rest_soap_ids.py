"""Cross-check: the ids REST lists (official bindings) are the moids SOAP serves (pyVmomi 9.1.1.0)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from _vapi_client import VcenterApiClient
from com.vmware.vcenter_client import VM, Cluster, Datacenter, Host
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim
from vlcmsim.testing import SimulatorHandle


@pytest.fixture
def soap(sim: SimulatorHandle) -> Iterator[vim.ServiceInstance]:
    parts = urlsplit(sim.url)
    context = ssl.create_default_context(cafile=sim.ca)
    si = SmartConnect(host=parts.hostname, port=parts.port, user=sim.username, pwd=sim.password,
                      sslContext=context)
    try:
        yield si
    finally:
        Disconnect(si)


def _moids(si: vim.ServiceInstance, kind: type) -> dict[str, str]:
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        return {obj._moId: obj.name for obj in view.view}
    finally:
        view.Destroy()


def test_rest_ids_are_soap_moids(sim: SimulatorHandle, client: VcenterApiClient, soap: vim.ServiceInstance) -> None:
    rest_hosts = {h.host: h.name for h in client.stub(Host).list()}
    assert rest_hosts and rest_hosts == _moids(soap, vim.HostSystem)
    rest_clusters = {c.cluster: c.name for c in client.stub(Cluster).list()}
    assert rest_clusters and rest_clusters == _moids(soap, vim.ClusterComputeResource)
    rest_vms = {v.vm: v.name for v in client.stub(VM).list()}
    assert rest_vms and rest_vms == _moids(soap, vim.VirtualMachine)
    rest_dcs = {d.datacenter: d.name for d in client.stub(Datacenter).list()}
    assert rest_dcs and rest_dcs == _moids(soap, vim.Datacenter)
    live = sim.counters()["live_sessions"]
    assert live == {"rest": 1, "soap": 1}
