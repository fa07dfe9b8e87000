"""The /sdk SOAP codec and PropertyCollector, with pyVmomi 9.1.1.0 as the client.

`soap.handle()` is served in-process by a small werkzeug server (plain HTTP on 127.0.0.1, a
free port) over a World built by hand here, so these tests need nothing but the model, the
engine and soap*.py.  End-to-end tests against the real `vlcmsim` server are in test_soap.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask as _wait_for_task
from pyVmomi import vim, vmodl
from vlcmsim.model import VM, Cluster, Datacenter, Host, Image, World
from vlcmsim.protocols import soap
from werkzeug import Request
from werkzeug.serving import make_server

PC = vmodl.query.PropertyCollector
USER = "administrator@vsphere.local"
PASSWORD = "VMware1!"


def wait_task(task: Any) -> str:
    """pyVim's WaitForTask, bounded in time."""
    return _wait_for_task(task, maxWaitTime=30)


def build_world(version: str = "8.0.3") -> World:
    w = World()
    w.vcenter_version = version
    w.time_scale = 0.0005
    w.datacenters["datacenter-1"] = Datacenter("datacenter-1", "DC1", "group-h2", "group-v3")
    w.clusters["domain-c10"] = Cluster("domain-c10", "Tiny-01", "datacenter-1")
    for num, name in ((11, "esxi-t1"), (12, "esxi-t2")):
        w.hosts[f"host-{num}"] = Host(f"host-{num}", f"{name}.lab.local", "datacenter-1", "domain-c10",
                                      installed=Image("8.0.3-0.35.24280767"))
    w.hosts["host-13"] = Host("host-13", "esxi-ts.lab.local", "datacenter-1", None, tpm=True,
                              version="8.0.2", build="22380479")
    w.vms["vm-20"] = VM("vm-20", "app-1", "host-11")
    w.vms["vm-21"] = VM("vm-21", "ft-1", "host-11", fault_tolerance=True)
    w.vms["vm-22"] = VM("vm-22", "gpu-1", "host-12", directpath=True)
    w.vms["vm-23"] = VM("vm-23", "sql-a", "host-12", shared_disk=True, power_state="poweredOff")
    w.vms["vm-24"] = VM("vm-24", "solo", "host-13")
    w.vms["vm-25"] = VM("vm-25", "pod-1", "host-12", vsphere_pod=True)
    return w


class Harness:
    def __init__(self, world: World) -> None:
        self.world = world

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            return soap.handle(world, Request(environ))(environ, start_response)

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/sdk"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def connect(self, pwd: str = PASSWORD) -> Any:
        return SmartConnect(protocol="http", host="127.0.0.1", port=self.port, user=USER, pwd=pwd)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness(build_world())
    yield h
    h.stop()


@pytest.fixture
def si(harness: Harness) -> Iterator[Any]:
    si = harness.connect()
    yield si
    try:
        Disconnect(si)
    except vim.fault.NotAuthenticated:
        pass


def post(url: str, body: str, cookie: str | None = None) -> requests.Response:
    headers = {"SOAPAction": '"urn:vim25/8.0.3.0"', "Content-Type": "text/xml; charset=utf-8"}
    if cookie:
        headers["Cookie"] = cookie
    return requests.post(url, data=body.encode(), headers=headers, timeout=10)


ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            '<soapenv:Body>{}</soapenv:Body></soapenv:Envelope>')


def host_view_spec(view: Any, paths: list[str]) -> Any:
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name="traverseView", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=paths)])


# --------------------------------------------------------------------------- versions, wire format
@pytest.mark.parametrize(("version", "api", "pyvmomi_version"), [
    ("8.0.3", "8.0.3.0", "vim.version.v8_0_3_0"),
    ("9.1.0", "9.1.0.0", "vim.version.v9_1_0_0"),
])
def test_service_versions_and_about(version: str, api: str, pyvmomi_version: str) -> None:
    h = Harness(build_world(version))
    try:
        xml = requests.get(h.url + "/vimServiceVersions.xml", timeout=10).text
        assert f"<version>{api}</version>" in xml.split("<priorVersions>")[0]
        si = h.connect()
        assert si._stub.version == pyvmomi_version
        about = si.RetrieveContent().about
        assert (about.apiType, about.apiVersion, about.version) == ("VirtualCenter", api, version)
        assert about.fullName == f"VMware vCenter Server {version} build-{h.world.vcenter_build}"
        Disconnect(si)
    finally:
        h.stop()


def test_fault_on_the_wire_is_a_soap_fault(harness: Harness) -> None:
    body = ENVELOPE.format('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>'
                           f'<userName>{USER}</userName><password>wrong</password></Login>')
    resp = post(harness.url, body)
    assert resp.status_code == 500
    assert "<faultcode>ServerFaultCode</faultcode>" in resp.text
    assert '<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin">' in resp.text
    assert "Set-Cookie" not in resp.headers


def test_bad_password_raises_invalid_login(harness: Harness) -> None:
    with pytest.raises(vim.fault.InvalidLogin):
        harness.connect(pwd="not-the-password")
    assert harness.world.counters.logins["soap"] == 0
    assert not harness.world.sessions


def test_unparseable_request_is_invalid_request(harness: Harness) -> None:
    resp = post(harness.url, "<soapenv:Envelope")
    assert resp.status_code == 500
    assert 'xsi:type="InvalidRequest"' in resp.text
    # well-formed XML, but a value the parameter's type does not allow (an unknown enum value)
    body = ENVELOPE.format('<MigrateVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">vm-20</_this>'
                           '<host type="HostSystem">host-12</host><priority>fastest</priority></MigrateVM_Task>')
    resp = post(harness.url, body)
    assert resp.status_code == 500 and 'xsi:type="InvalidRequest"' in resp.text
    assert harness.world.vms["vm-20"].host == "host-11"


def test_unknown_method_is_method_not_found(si: Any, harness: Harness) -> None:
    cookie = si._stub.cookie
    body = ENVELOPE.format('<NoSuchMethod xmlns="urn:vim25"><_this type="Folder">group-d1</_this></NoSuchMethod>')
    resp = post(harness.url, body, cookie)
    assert resp.status_code == 500 and 'xsi:type="MethodNotFound"' in resp.text
    # a real method on the wrong object type
    body = ENVELOPE.format('<EnterMaintenanceMode_Task xmlns="urn:vim25"><_this type="Folder">group-d1</_this>'
                           '<timeout>0</timeout></EnterMaintenanceMode_Task>')
    resp = post(harness.url, body, cookie)
    assert resp.status_code == 500 and 'xsi:type="MethodNotFound"' in resp.text


# --------------------------------------------------------------------------- sessions
def test_session_cookie_and_not_authenticated(harness: Harness) -> None:
    si = harness.connect()
    cookie = si._stub.cookie
    assert cookie.startswith('vmware_soap_session="')
    assert si.content.sessionManager.currentSession.userName == USER
    assert len(harness.world.sessions) == 1 and harness.world.counters.logins["soap"] == 1
    # no cookie at all
    body = ENVELOPE.format('<RetrieveProperties xmlns="urn:vim25"><_this type="PropertyCollector">'
                           'propertyCollector</_this><specSet><propSet><type>Folder</type><pathSet>name</pathSet>'
                           '</propSet><objectSet><obj type="Folder">group-d1</obj></objectSet></specSet>'
                           '</RetrieveProperties>')
    resp = post(harness.url, body)
    assert resp.status_code == 500 and 'xsi:type="NotAuthenticated"' in resp.text
    assert "<returnval" in post(harness.url, body, cookie).text
    # a forged session id
    root = si.content.rootFolder
    with pytest.raises(vim.fault.NotAuthenticated) as err:
        si._stub.cookie = 'vmware_soap_session="0123456789abcdef"; Path=/'
        root.name  # noqa: B018 - the property fetch is the call under test
    assert err.value.object == vim.Folder("group-d1") and err.value.privilegeId == "System.View"
    si._stub.cookie = cookie
    Disconnect(si)
    assert not harness.world.sessions
    assert harness.world.counters.logouts["soap"] == 1
    with pytest.raises(vim.fault.NotAuthenticated):
        si.content.rootFolder.name  # noqa: B018


# --------------------------------------------------------------------------- inventory and properties
def test_every_property_of_every_object_is_typed(si: Any, harness: Harness) -> None:
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name="v", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[PC.PropertySpec(type=vim.ManagedEntity, all=True)])
    objects = {o.obj._moId: (o.obj, {p.name: p.val for p in o.propSet})
               for o in content.propertyCollector.RetrieveProperties([spec])}
    w = harness.world
    expected = (set(w.datacenters) | set(w.clusters) | set(w.hosts) | set(w.vms)
                | {"domain-s13", "group-h2", "group-v3", "group-s1", "group-n1", "resgroup-10", "resgroup-13"})
    assert set(objects) == expected
    for host_id, host in w.hosts.items():
        ref, props = objects[host_id]
        assert isinstance(ref, vim.HostSystem)
        assert props["name"] == host.name
        assert isinstance(props["runtime"], vim.host.RuntimeInfo)
        assert props["runtime"].connectionState == "connected"
        assert props["runtime"].inMaintenanceMode is False
        assert [p.hostStatus for p in props["runtime"].partialMaintenanceMode] == ["notInPartialMM"]
        assert isinstance(props["config"].product, vim.AboutInfo)
        assert props["capability"].tpmSupported is host.tpm
        assert props["hardware"].memorySize == host.memory_mb * 1024 * 1024
        assert props["summary"].config.name == host.name
        assert sorted(v._moId for v in props["vm"]) == sorted(v.id for v in w.vms.values() if v.host == host_id)
    assert objects["host-11"][1]["config"].product.build == "24280767"     # from the installed image
    assert objects["host-13"][1]["config"].product.version == "8.0.2"      # no image: the model's version
    assert objects["host-11"][1]["parent"] == vim.ClusterComputeResource("domain-c10")
    assert objects["host-13"][1]["parent"] == vim.ComputeResource("domain-s13")
    cluster = objects["domain-c10"][1]
    assert cluster["configurationEx"].drsConfig.enabled is True
    assert cluster["configurationEx"].drsConfig.defaultVmBehavior == "fullyAutomated"
    assert cluster["configurationEx"].dasConfig.admissionControlEnabled is True
    assert [h._moId for h in cluster["host"]] == ["host-11", "host-12"]
    assert cluster["summary"].numHosts == 2
    ft = objects["vm-21"][1]
    assert ft["runtime"].faultToleranceState == "running"
    assert ft["config"].ftInfo.role == 1
    assert objects["vm-20"][1]["runtime"].faultToleranceState == "notConfigured"
    assert objects["vm-20"][1]["config"].ftInfo is None
    gpu_devices = objects["vm-22"][1]["config"].hardware.device
    assert any(isinstance(d, vim.vm.device.VirtualPCIPassthrough) for d in gpu_devices)
    shared = objects["vm-23"][1]["config"].hardware.device
    ctrl = [d for d in shared if isinstance(d, vim.vm.device.VirtualLsiLogicController)]
    assert ctrl and ctrl[0].sharedBus == "physicalSharing"
    assert any(isinstance(d, vim.vm.device.VirtualDisk) and d.backing.sharing == "sharingMultiWriter"
               for d in shared)
    plain = objects["vm-20"][1]["config"].hardware.device
    assert not any(isinstance(d, vim.vm.device.VirtualPCIPassthrough) for d in plain)
    assert [d.sharedBus for d in plain if isinstance(d, vim.vm.device.VirtualLsiLogicController)] == ["noSharing"]
    assert objects["vm-23"][1]["runtime"].powerState == "poweredOff"
    assert objects["vm-20"][1]["summary"].quickStats.overallCpuUsage == w.vms["vm-20"].cpu_mhz
    assert objects["vm-25"][1]["config"].guestId == "crxPod1Guest"          # vSphere Pod
    assert objects["vm-20"][1]["config"].guestId == "otherLinux64Guest"
    # every compute resource has its root resource pool "Resources", where its hosts' VMs run
    pool = objects["resgroup-10"][1]
    assert (pool["name"], pool["parent"], pool["owner"]) == ("Resources", vim.ClusterComputeResource("domain-c10"),
                                                             vim.ClusterComputeResource("domain-c10"))
    assert cluster["resourcePool"] == vim.ResourcePool("resgroup-10")
    assert objects["domain-s13"][1]["resourcePool"] == vim.ResourcePool("resgroup-13")
    in_cluster = {v.id for v in w.vms.values() if w.hosts[v.host].cluster == "domain-c10"}
    assert {v._moId for v in pool["vm"]} == in_cluster
    assert all(objects[v][1]["resourcePool"] == vim.ResourcePool("resgroup-10") for v in in_cluster)


def test_nested_paths_and_enum_values_are_typed(si: Any) -> None:
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    spec = host_view_spec(view, ["runtime.connectionState", "config.product.apiVersion", "summary.quickStats"])
    result = content.propertyCollector.RetrieveContents([spec])
    assert len(result) == 3
    for obj in result:
        props = {p.name: p.val for p in obj.propSet}
        assert props["runtime.connectionState"] == vim.HostSystem.ConnectionState.connected
        assert isinstance(props["runtime.connectionState"], str)
        assert props["config.product.apiVersion"] in ("8.0.3.0", "8.0.2.0")
        assert isinstance(props["summary.quickStats"], vim.host.Summary.QuickStats)
    view.DestroyView()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        view.view  # noqa: B018


def test_folder_traversal_specs(si: Any) -> None:
    """The classic pre-ContainerView traversal: Folder.childEntity / Datacenter.hostFolder / ..."""
    content = si.RetrieveContent()
    folder_ts = PC.TraversalSpec(name="folder", type=vim.Folder, path="childEntity", skip=False, selectSet=[
        PC.SelectionSpec(name="folder"), PC.SelectionSpec(name="dc"), PC.SelectionSpec(name="cr")])
    dc_ts = PC.TraversalSpec(name="dc", type=vim.Datacenter, path="hostFolder", skip=False,
                             selectSet=[PC.SelectionSpec(name="folder")])
    cr_ts = PC.TraversalSpec(name="cr", type=vim.ComputeResource, path="host", skip=False)
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder, skip=False,
                                                  selectSet=[folder_ts, dc_ts, cr_ts])],
                         propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=["name"])])
    names = sorted(o.propSet[0].val for o in content.propertyCollector.RetrieveProperties([spec]))
    assert names == ["esxi-t1.lab.local", "esxi-t2.lab.local", "esxi-ts.lab.local"]


def test_invalid_property_and_missing_object(si: Any) -> None:
    content = si.RetrieveContent()
    pc = content.propertyCollector
    host = vim.HostSystem("host-11", si._stub)
    with pytest.raises(vmodl.query.InvalidProperty) as err:
        pc.RetrieveProperties([PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=host)],
                                             propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=["runtime.nope"])])])
    assert err.value.name == "runtime.nope"
    with pytest.raises(vmodl.fault.ManagedObjectNotFound) as nf:
        vim.HostSystem("host-999", si._stub).name  # noqa: B018
    assert nf.value.obj._moId == "host-999"


def test_paging_with_tokens(si: Any) -> None:
    content = si.RetrieveContent()
    pc = content.propertyCollector
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    spec = host_view_spec(view, ["name"])
    first = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=2))
    assert len(first.objects) == 2 and first.token
    rest = pc.ContinueRetrievePropertiesEx(first.token)
    assert len(rest.objects) == 1 and rest.token is None
    seen = [o.obj._moId for o in first.objects + rest.objects]
    assert sorted(seen) == ["host-11", "host-12", "host-13"]
    with pytest.raises(vmodl.fault.InvalidArgument):
        pc.ContinueRetrievePropertiesEx(first.token)     # finished tokens are gone
    again = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=1))
    pc.CancelRetrievePropertiesEx(again.token)
    with pytest.raises(vmodl.fault.InvalidArgument):
        pc.ContinueRetrievePropertiesEx(again.token)
    everything = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    assert len(everything.objects) == 3 and everything.token is None


def test_wait_for_updates_reports_changes(si: Any, harness: Harness) -> None:
    content = si.RetrieveContent()
    pc = content.propertyCollector
    host = vim.HostSystem("host-12", si._stub)
    flt = pc.CreateFilter(PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=host)], propSet=[
        PC.PropertySpec(type=vim.HostSystem, pathSet=["runtime.inMaintenanceMode", "name"])]), True)
    first = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
    (update,) = first.filterSet
    assert update.filter == flt
    (obj,) = update.objectSet
    assert obj.kind == "enter" and {c.name: c.val for c in obj.changeSet} == {
        "runtime.inMaintenanceMode": False, "name": "esxi-t2.lab.local"}
    assert pc.WaitForUpdatesEx(first.version, PC.WaitOptions(maxWaitSeconds=0)) is None

    returned = threading.Event()

    def flip() -> None:
        time.sleep(0.2)
        with harness.world.lock:
            harness.world.hosts["host-12"].in_maintenance = True
        # A wait that did not wake on this change is still asleep much later: undo the change then, so that
        # at its deadline it finds nothing new and returns None, which fails the assertions below.
        if not returned.wait(30):
            with harness.world.lock:
                harness.world.hosts["host-12"].in_maintenance = False

    threading.Thread(target=flip, daemon=True).start()
    second = pc.WaitForUpdatesEx(first.version, PC.WaitOptions(maxWaitSeconds=60))
    returned.set()
    assert second is not None, "WaitForUpdatesEx did not wake on the change"
    (obj,) = second.filterSet[0].objectSet
    assert obj.kind == "modify"
    assert [(c.name, c.op, c.val) for c in obj.changeSet] == [("runtime.inMaintenanceMode", "assign", True)]
    assert second.version != first.version
    # an older version this collector handed out still works (another thread may be behind)
    replay = pc.WaitForUpdatesEx(first.version, PC.WaitOptions(maxWaitSeconds=0))
    assert [(c.name, c.val) for c in replay.filterSet[0].objectSet[0].changeSet] == [
        ("runtime.inMaintenanceMode", True)]
    assert pc.WaitForUpdatesEx(second.version, PC.WaitOptions(maxWaitSeconds=0)) is None
    with pytest.raises(vmodl.query.InvalidCollectorVersion):
        pc.WaitForUpdatesEx("no-such-version", PC.WaitOptions(maxWaitSeconds=0))
    assert [f._moId for f in pc.filter] == [flt._moId]
    flt.Destroy()
    assert list(pc.filter) == []


# --------------------------------------------------------------------------- tasks
def test_enter_and_exit_maintenance_evacuates(si: Any, harness: Harness) -> None:
    # with HA admission control on, one of two hosts cannot go (no failover capacity would be left): turn it off
    harness.world.clusters["domain-c10"].admission_control = False
    host = vim.HostSystem("host-11", si._stub)
    task = host.EnterMaintenanceMode_Task(timeout=0, evacuatePoweredOffVms=False)
    assert task._moId.startswith("task-")
    assert wait_task(task) == "success"
    info = task.info
    assert (info.state, info.entity, info.entityName) == ("success", host, "esxi-t1.lab.local")
    assert info.name.info.wsdlName == "EnterMaintenanceMode_Task"
    assert info.descriptionId == "HostSystem.enterMaintenanceMode"
    assert info.queueTime <= info.startTime <= info.completeTime
    assert host.runtime.inMaintenanceMode is True
    assert list(host.vm) == []
    assert {v.host for v in harness.world.vms.values() if v.id in ("vm-20", "vm-21")} == {"host-12"}
    assert wait_task(host.ExitMaintenanceMode_Task(timeout=0)) == "success"
    assert host.runtime.inMaintenanceMode is False


def test_task_error_is_the_vim_fault(si: Any) -> None:
    standalone = vim.HostSystem("host-13", si._stub)   # a powered-on VM and no DRS
    task = standalone.EnterMaintenanceMode_Task(0)
    with pytest.raises(vim.fault.InvalidState) as err:
        wait_task(task)
    assert "solo" in err.value.msg
    assert task.info.state == "error" and isinstance(task.info.error, vim.fault.InvalidState)
    assert standalone.runtime.inMaintenanceMode is False
    vm = vim.VirtualMachine("vm-24", si._stub)
    with pytest.raises(vim.fault.InvalidPowerState) as perr:
        wait_task(vm.PowerOnVM_Task())
    assert perr.value.existingState == "poweredOn"


def test_reconfigure_cluster_modify_semantics(si: Any, harness: Harness) -> None:
    cluster = vim.ClusterComputeResource("domain-c10", si._stub)
    spec = vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(defaultVmBehavior="partiallyAutomated"))
    assert wait_task(cluster.ReconfigureComputeResource_Task(spec, True)) == "success"
    cfg = cluster.configurationEx
    assert (cfg.drsConfig.enabled, cfg.drsConfig.defaultVmBehavior) == (True, "partiallyAutomated")
    assert (cfg.dasConfig.enabled, cfg.dasConfig.admissionControlEnabled) == (True, True)   # untouched
    model = harness.world.clusters["domain-c10"]
    assert (model.drs_behavior, model.ha_enabled) == ("partiallyAutomated", True)
    spec = vim.cluster.ConfigSpecEx(dasConfig=vim.cluster.DasConfigInfo(enabled=True))
    assert wait_task(cluster.ReconfigureComputeResource_Task(spec, False)) == "success"
    cfg = cluster.configurationEx
    assert (cfg.drsConfig.enabled, cfg.dasConfig.enabled) == (False, True)    # complete spec: DRS default off
    bad = vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(enabled=True))
    with pytest.raises(vmodl.fault.InvalidArgument):
        vim.ComputeResource("domain-s13", si._stub).ReconfigureComputeResource_Task(bad, True)


def test_vm_power_relocate_migrate(si: Any, harness: Harness) -> None:
    vm = vim.VirtualMachine("vm-20", si._stub)
    assert wait_task(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=vim.HostSystem("host-12")))) == "success"
    assert vm.runtime.host._moId == "host-12" and harness.world.vms["vm-20"].host == "host-12"
    assert wait_task(vm.MigrateVM_Task(host=vim.HostSystem("host-11"), priority="defaultPriority")) == "success"
    assert vm.runtime.host._moId == "host-11"
    assert wait_task(vm.PowerOffVM_Task()) == "success"
    assert vm.runtime.powerState == "poweredOff" and harness.world.vms["vm-20"].power_state == "poweredOff"
    assert wait_task(vm.PowerOnVM_Task()) == "success"
    assert vm.summary.runtime.powerState == "poweredOn"
    gpu = vim.VirtualMachine("vm-22", si._stub)
    with pytest.raises(vim.fault.InvalidState):
        wait_task(gpu.MigrateVM_Task(host=vim.HostSystem("host-11"), priority="defaultPriority"))
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vm.RelocateVM_Task(vim.vm.RelocateSpec(host=vim.HostSystem("host-404")))


def test_wait_for_tasks_and_cancel_wait(si: Any, harness: Harness) -> None:
    from pyVim.task import WaitForTasks

    vms = [vim.VirtualMachine(v, si._stub) for v in ("vm-20", "vm-24")]
    tasks = [vm.PowerOffVM_Task() for vm in vms]
    WaitForTasks(tasks)
    assert [t.info.state for t in tasks] == ["success", "success"]
    assert {harness.world.vms[v._moId].power_state for v in vms} == {"poweredOff"}

    pc = si.RetrieveContent().propertyCollector
    pc.CreateFilter(PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=vim.HostSystem("host-11"))], propSet=[
        PC.PropertySpec(type=vim.HostSystem, pathSet=["name"])]), False)
    version = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0)).version
    assert pc.CheckForUpdates(version) is None
    outcome: list[Any] = []

    def waiter() -> None:
        try:
            outcome.append(pc.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=20)))
        except vmodl.fault.RequestCanceled as exc:
            outcome.append(exc)

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    time.sleep(0.3)
    pc.CancelWaitForUpdates()
    thread.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], vmodl.fault.RequestCanceled)


def test_concurrent_sessions(harness: Harness) -> None:
    """Several pyVmomi sessions at once: bulk reads and tasks do not see each other's views."""
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            si = harness.connect()
            content = si.RetrieveContent()
            for _ in range(5):
                view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
                rows = content.propertyCollector.RetrievePropertiesEx(
                    [host_view_spec(view, ["name", "runtime", "summary"])], PC.RetrieveOptions(maxObjects=1))
                count = len(rows.objects)
                while rows.token:
                    rows = content.propertyCollector.ContinueRetrievePropertiesEx(rows.token)
                    count += len(rows.objects)
                assert count == 3
                assert [v._moId for v in content.viewManager.viewList] == [view._moId]
                view.DestroyView()
            vm = vim.VirtualMachine("vm-23", si._stub)        # powered off: a cold migration, always allowed
            assert wait_task(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=vim.HostSystem(f"host-1{n % 2 + 1}"))))
            Disconnect(si)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    assert harness.world.counters.logins["soap"] == 8 and not harness.world.sessions


def test_search_index_task_manager_and_cancel(si: Any, harness: Harness) -> None:
    content = si.RetrieveContent()
    index = content.searchIndex
    host = index.FindByInventoryPath("DC1/host/Tiny-01/esxi-t2.lab.local")
    assert host == vim.HostSystem("host-12")
    assert index.FindByInventoryPath("DC1/vm/ft-1") == vim.VirtualMachine("vm-21")
    assert index.FindByInventoryPath("DC1/host/esxi-ts.lab.local") == vim.ComputeResource("domain-s13")
    assert index.FindByInventoryPath("DC1/host/Nope") is None
    assert index.FindChild(vim.Folder("group-v3", si._stub), "gpu-1") == vim.VirtualMachine("vm-22")
    assert index.FindByDnsName(None, "ESXI-T1.lab.local", False) == vim.HostSystem("host-11")
    assert index.FindByDnsName(None, "app-1", True) is None
    uuid = vim.VirtualMachine("vm-20", si._stub).config.uuid
    assert index.FindByUuid(None, uuid, True) == vim.VirtualMachine("vm-20")
    assert list(index.FindAllByUuid(vim.Datacenter("datacenter-1"), uuid, True)) == [vim.VirtualMachine("vm-20")]
    assert index.FindByUuid(None, uuid, False) is None
    task = vim.VirtualMachine("vm-20", si._stub).PowerOffVM_Task()
    with pytest.raises(vmodl.fault.NotSupported):
        task.CancelTask()
    wait_task(task)
    assert task in list(content.taskManager.recentTask)
