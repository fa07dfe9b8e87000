"""Property collectors of one's own (CreatePropertyCollector) and requests with a bad `_this`.

govmomi's task waiter (and govc) create a PropertyCollector per wait, put one filter on it,
wait on it with WaitForUpdatesEx and destroy it.  Against the real `vlcmsim` server over HTTPS
(scenario `tiny`), with pyVmomi as the client: a created collector's filters and update
versions are its own, destroying it ends its waits and its filters, the session's default
collector cannot be destroyed, a session's collectors end with it.  Requests whose `_this`
names no managed object answer typed vmodl faults with a clear message.
"""

from __future__ import annotations

import io
import ssl
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import SoapAdapter, vim, vmodl
from vlcmsim.testing import SimulatorHandle, start_simulator

PC = vmodl.query.PropertyCollector


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    handle = start_simulator("tiny", time_scale=0.0005, state_dir=tmp_path_factory.mktemp("vlcmsim-pc"))
    yield handle
    handle.stop()


def connect(sim: SimulatorHandle) -> Any:
    u = urlsplit(sim.url)
    return SmartConnect(host=u.hostname, port=u.port, user=sim.username, pwd=sim.password,
                        sslContext=ssl.create_default_context(cafile=sim.ca))


@pytest.fixture
def si(sim: SimulatorHandle) -> Iterator[Any]:
    sim.admin_post("/sim/reset")
    si = connect(sim)
    yield si
    try:
        Disconnect(si)
    except vim.fault.NotAuthenticated:
        pass


def host_filter(host: Any, paths: list[str]) -> Any:
    return PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=host)], propSet=[PC.PropertySpec(type=vim.HostSystem,
                                                                                       pathSet=paths)])


def first_host(sim: SimulatorHandle, si: Any) -> Any:
    host = next(h for h in sim.admin_get("/sim/state")["hosts"] if h["cluster"])
    return vim.HostSystem(host["id"], si._stub)


def test_a_created_collector_has_its_own_filters_and_versions(sim: SimulatorHandle, si: Any) -> None:
    default = si.RetrieveContent().propertyCollector
    mine = default.CreatePropertyCollector()
    assert isinstance(mine, vmodl.query.PropertyCollector) and mine._moId != default._moId
    host = first_host(sim, si)
    flt = mine.CreateFilter(host_filter(host, ["runtime.inMaintenanceMode"]), False)
    assert [f._moId for f in mine.filter] == [flt._moId]
    assert list(default.filter) == []
    # the default collector has no filter: its first update set is empty, the created one reports its object
    assert default.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0)).filterSet == []
    first = mine.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
    assert [(fs.filter._moId, [ou.obj._moId for ou in fs.objectSet]) for fs in first.filterSet] == [
        (flt._moId, [host._moId])]
    # versions are per collector: the created one's version means nothing to the default one
    with pytest.raises(vmodl.query.InvalidCollectorVersion):
        default.WaitForUpdatesEx(first.version + "0", PC.WaitOptions(maxWaitSeconds=0))
    assert mine.WaitForUpdatesEx(first.version, PC.WaitOptions(maxWaitSeconds=0)) is None
    # retrieval works on any collector of the session
    contents = mine.RetrieveContents([host_filter(host, ["name"])])
    assert [c.obj for c in contents] == [host]
    mine.DestroyPropertyCollector()


def test_destroying_a_collector_ends_its_filters(sim: SimulatorHandle, si: Any) -> None:
    mine = si.RetrieveContent().propertyCollector.CreatePropertyCollector()
    flt = mine.CreateFilter(host_filter(first_host(sim, si), ["name"]), False)
    mine.DestroyPropertyCollector()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        mine.CreateFilter(host_filter(first_host(sim, si), ["name"]), False)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        flt.DestroyPropertyFilter()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        mine.DestroyPropertyCollector()


def test_the_default_collector_cannot_be_destroyed(si: Any) -> None:
    default = si.RetrieveContent().propertyCollector
    with pytest.raises(vmodl.fault.NotSupported):
        default.DestroyPropertyCollector()
    assert default.RetrieveContents([PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=si.RetrieveContent().rootFolder)],
                                                   propSet=[PC.PropertySpec(type=vim.Folder, pathSet=["name"])])])


def _wait_in_thread(pc: Any, version: str) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def waiter() -> None:
        try:
            outcome.append(pc.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=60)))
        except vmodl.MethodFault as exc:
            outcome.append(exc)

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    return thread, outcome


def test_cancel_wait_for_updates_ends_the_wait_on_that_collector(sim: SimulatorHandle, si: Any) -> None:
    mine = si.RetrieveContent().propertyCollector.CreatePropertyCollector()
    mine.CreateFilter(host_filter(first_host(sim, si), ["name"]), False)
    version = mine.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0)).version
    thread, outcome = _wait_in_thread(mine, version)
    while thread.is_alive():            # a cancel before the wait began cancels nothing: repeat until it ends
        mine.CancelWaitForUpdates()
        thread.join(0.05)
    assert len(outcome) == 1 and isinstance(outcome[0], vmodl.fault.RequestCanceled)
    mine.DestroyPropertyCollector()


def test_destroying_a_collector_ends_a_wait_on_it(sim: SimulatorHandle, si: Any) -> None:
    mine = si.RetrieveContent().propertyCollector.CreatePropertyCollector()
    mine.CreateFilter(host_filter(first_host(sim, si), ["name"]), False)
    version = mine.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0)).version
    thread, outcome = _wait_in_thread(mine, version)
    mine.DestroyPropertyCollector()
    thread.join()
    # a wait under way is canceled; one that arrives after the destroy finds no collector
    assert len(outcome) == 1
    assert isinstance(outcome[0], vmodl.fault.RequestCanceled | vmodl.fault.ManagedObjectNotFound)


def test_a_sessions_collectors_end_with_it(sim: SimulatorHandle) -> None:
    sim.admin_post("/sim/reset")
    si = connect(sim)
    mine = si.RetrieveContent().propertyCollector.CreatePropertyCollector()
    moid = mine._moId
    Disconnect(si)
    assert sim.admin_get("/sim/counters")["live_sessions"]["soap"] == 0
    si = connect(sim)
    try:
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            vmodl.query.PropertyCollector(moid, si._stub).DestroyPropertyCollector()
    finally:
        Disconnect(si)


# --------------------------------------------------------------------------- _this
ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>')


def post(sim: SimulatorHandle, si: Any, body: str) -> tuple[int, Any]:
    """Post a hand-made request in the session of `si`; the response as pyVmomi decodes it."""
    http = requests.Session()
    http.trust_env = False
    resp = http.post(sim.url + "/sdk", data=ENVELOPE.format(body), verify=sim.ca, timeout=30,
                     headers={"Cookie": si._stub.cookie, "SOAPAction": "urn:vim25/8.0.3.0",
                              "Content-Type": "text/xml; charset=utf-8"})
    if resp.status_code != 500:
        return resp.status_code, resp.text
    return 500, SoapAdapter.SoapResponseDeserializer(si._stub).Deserialize(io.BytesIO(resp.content), object)


@pytest.mark.parametrize(("this", "words"), [
    ('<_this type=""></_this>', ["DestroyPropertyCollector", "no managed object type"]),
    ("<_this>propertyCollector</_this>", ["DestroyPropertyCollector", "no managed object type"]),
    ('<_this type="NoSuchThing">x</_this>', ["'NoSuchThing'", "not a managed object type"]),
    ('<_this type="HostSystemConnectionState">connected</_this>', ["not a managed object type"]),
    ("", ["DestroyPropertyCollector", "no _this"]),
])
def test_a_this_without_a_managed_object_type_is_invalid_request(sim: SimulatorHandle, si: Any, this: str,
                                                                   words: list[str]) -> None:
    status, fault = post(sim, si, f'<DestroyPropertyCollector xmlns="urn:vim25">{this}</DestroyPropertyCollector>')
    assert status == 500
    assert isinstance(fault, vmodl.fault.InvalidRequest), fault
    assert all(w in fault.msg for w in words), fault.msg
    assert "Unable to parse" not in fault.msg


def test_a_this_with_an_empty_or_unknown_moid_is_managed_object_not_found(si: Any, sim: SimulatorHandle) -> None:
    for moid in ("", "session[nobody]nothing"):
        status, fault = post(sim, si, f'<DestroyPropertyCollector xmlns="urn:vim25"><_this type="PropertyCollector">'
                                      f"{moid}</_this></DestroyPropertyCollector>")
        assert status == 500
        assert isinstance(fault, vmodl.fault.ManagedObjectNotFound), fault
        assert fault.obj == vmodl.query.PropertyCollector(moid)
