"""vcenter datacenter/cluster/host/VM list with their filters, through com.vmware.vcenter_client."""

from __future__ import annotations

from _vapi_client import VcenterApiClient, no_extra_fields
from com.vmware.vcenter.vm_client import Power
from com.vmware.vcenter_client import VM, Cluster, Datacenter, Host
from vlcmsim.testing import Ids, SimulatorHandle


def test_datacenter_list(client: VcenterApiClient, ids: Ids) -> None:
    stub = client.stub(Datacenter)
    everything = stub.list()
    assert no_extra_fields(everything) == []
    assert {(d.datacenter, d.name) for d in everything} == {(i, n) for n, i in ids.datacenter.items()}
    only = stub.list(Datacenter.FilterSpec(names={"DC1"}))
    assert [d.datacenter for d in only] == [ids.datacenter["DC1"]]
    assert stub.list(Datacenter.FilterSpec(names={"no-such-dc"})) == []


def test_cluster_list(client: VcenterApiClient, ids: Ids) -> None:
    stub = client.stub(Cluster)
    clusters = stub.list()
    assert no_extra_fields(clusters) == []
    by_id = {c.cluster: c for c in clusters}
    assert set(by_id) == set(ids.cluster.values())
    tiny = by_id[ids.cluster["Tiny-01"]]
    assert (tiny.name, tiny.drs_enabled, tiny.ha_enabled) == ("Tiny-01", True, True)
    assert [c.cluster for c in stub.list(Cluster.FilterSpec(names={"Tiny-01"}))] == [ids.cluster["Tiny-01"]]
    in_dc = stub.list(Cluster.FilterSpec(datacenters={ids.datacenter["DC1"]}))
    assert {c.cluster for c in in_dc} == set(ids.cluster.values())
    assert stub.list(Cluster.FilterSpec(clusters={"domain-c999999"})) == []


def test_host_list(client: VcenterApiClient, ids: Ids) -> None:
    stub = client.stub(Host)
    hosts = stub.list()
    assert no_extra_fields(hosts) == []
    assert {h.host: h.name for h in hosts} == {i: n for n, i in ids.host.items()}
    assert all(h.connection_state == Host.ConnectionState.CONNECTED for h in hosts)
    assert all(h.power_state == Host.PowerState.POWERED_ON for h in hosts)
    in_cluster = stub.list(Host.FilterSpec(clusters={ids.cluster["Tiny-01"]}))
    assert {h.name for h in in_cluster} == {"esxi-t1.lab.local", "esxi-t2.lab.local"}
    standalone = stub.list(Host.FilterSpec(standalone=True))
    assert {h.name for h in standalone} == {"esxi-ts.lab.local"}
    clustered = stub.list(Host.FilterSpec(standalone=False))
    assert {h.name for h in clustered} == {"esxi-t1.lab.local", "esxi-t2.lab.local"}
    by_name = stub.list(Host.FilterSpec(names={"esxi-t2.lab.local"}))
    assert [h.host for h in by_name] == [ids.host["esxi-t2.lab.local"]]
    disconnected = stub.list(Host.FilterSpec(connection_states={Host.ConnectionState.DISCONNECTED}))
    assert disconnected == []


def test_host_list_follows_a_disconnect(client: VcenterApiClient, sim: SimulatorHandle, ids: Ids) -> None:
    sim.add_faults({"type": "host_disconnect", "host": "esxi-t2.lab.local"})
    stub = client.stub(Host)
    disconnected = stub.list(Host.FilterSpec(connection_states={Host.ConnectionState.DISCONNECTED}))
    assert [h.host for h in disconnected] == [ids.host["esxi-t2.lab.local"]]


def test_vm_list(client: VcenterApiClient, ids: Ids) -> None:
    stub = client.stub(VM)
    vms = stub.list()
    assert no_extra_fields(vms) == []
    assert {v.vm: v.name for v in vms} == {i: n for n, i in ids.vm.items()}
    state = {v["name"]: v for v in ids.state["vms"]}
    for v in vms:
        expected = {"poweredOn": Power.State.POWERED_ON, "poweredOff": Power.State.POWERED_OFF,
                    "suspended": Power.State.SUSPENDED}[state[v.name]["power_state"]]
        assert v.power_state == expected, v.name
    on_t1 = stub.list(VM.FilterSpec(hosts={ids.host["esxi-t1.lab.local"]}))
    assert {v.name for v in on_t1} == {"tiny-app-01", "tiny-db-01"}
    in_cluster_off = stub.list(VM.FilterSpec(clusters={ids.cluster["Tiny-01"]},
                                             power_states={Power.State.POWERED_OFF}))
    assert {v.name for v in in_cluster_off} == {"tiny-template"}
    assert [v.vm for v in stub.list(VM.FilterSpec(names={"tiny-web-01"}))] == [ids.vm["tiny-web-01"]]
