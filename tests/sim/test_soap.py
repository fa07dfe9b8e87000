"""pyVmomi 9.1.1.0 against the real `vlcmsim` server over HTTPS (the SOAP side, /sdk).

One simulator per module (`vlcmsim.testing.start_simulator`: scenario `tiny`, HTTPS with its
generated CA, a free port), reset through `POST /sim/reset` before each test; results are
read back through SOAP, through `/sim/state` and `/sim/counters`, and through REST
(`GET /api/vcenter/host`).  A second module-scoped simulator runs `demo` for the objects
`tiny` lacks (TPM host, Fault Tolerance, DirectPath I/O, shared disks).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl
from vlcmsim.testing import SimulatorHandle, start_simulator

PC = vmodl.query.PropertyCollector
HOST_PATHS = ["name", "parent", "runtime", "config.product", "capability", "hardware", "summary", "vm"]


def connect(sim: SimulatorHandle, **kwargs: Any) -> Any:
    """pyVmomi SmartConnect to the simulator, trusting its CA unless the caller says otherwise."""
    if "sslContext" not in kwargs and not kwargs.get("disableSslCertValidation"):
        kwargs["sslContext"] = ssl.create_default_context(cafile=sim.ca)
    kwargs.setdefault("pwd", sim.password)
    return SmartConnect(host=sim.host, port=sim.port, user=sim.username, **kwargs)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    handle = start_simulator("tiny", time_scale=0.0005, state_dir=tmp_path_factory.mktemp("vlcmsim"), require_ca=True)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    handle = start_simulator("demo", time_scale=0.0005, state_dir=tmp_path_factory.mktemp("vlcmsim-demo"),
                             require_ca=True)
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def fresh(sim: SimulatorHandle) -> None:
    sim.reset()


@pytest.fixture
def si(sim: SimulatorHandle) -> Iterator[Any]:
    si = connect(sim)
    yield si
    try:
        Disconnect(si)
    except vim.fault.NotAuthenticated:
        pass


def host_view_spec(view: Any, paths: list[str]) -> Any:
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name="traverseView", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=paths)])


def bulk_hosts(si: Any, paths: list[str], max_objects: int | None = None) -> dict[str, dict[str, Any]]:
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    try:
        pc = content.propertyCollector
        result = pc.RetrievePropertiesEx([host_view_spec(view, paths)], PC.RetrieveOptions(maxObjects=max_objects))
        rows: dict[str, dict[str, Any]] = {}
        while result is not None:
            for obj in result.objects:
                rows[obj.obj._moId] = {"obj": obj.obj, **{p.name: p.val for p in obj.propSet}}
            if not result.token:
                break
            result = pc.ContinueRetrievePropertiesEx(result.token)
        return rows
    finally:
        view.DestroyView()


def state_by_id(sim: SimulatorHandle, kind: str) -> dict[str, dict[str, Any]]:
    return {x["id"]: x for x in sim.state()[kind]}


# --------------------------------------------------------------------------- connecting
def test_smartconnect_with_the_ca_and_disconnect_logs_out(sim: SimulatorHandle) -> None:
    si = connect(sim)
    about = si.RetrieveContent().about
    assert (about.apiType, about.apiVersion) == ("VirtualCenter", "8.0.3.0")
    assert about.version == sim.state()["vcenter"]["version"]
    counters = sim.counters()
    assert counters["logins"]["soap"] == 1 and counters["live_sessions"]["soap"] == 1
    assert si.content.sessionManager.currentSession.userName == sim.username
    Disconnect(si)
    assert sim.counters()["live_sessions"]["soap"] == 0


def test_certificate_is_checked_unless_disabled(sim: SimulatorHandle) -> None:
    with pytest.raises(ssl.SSLError):
        connect(sim, sslContext=ssl.create_default_context())      # system CAs do not know the simulator
    si = connect(sim, disableSslCertValidation=True)
    assert si.RetrieveContent().rootFolder._moId == "group-d1"
    Disconnect(si)


def test_bad_password_is_invalid_login(sim: SimulatorHandle) -> None:
    with pytest.raises(vim.fault.InvalidLogin):
        connect(sim, pwd="not-the-password")
    counters = sim.counters()
    assert counters["logins"]["soap"] == 0 and counters["live_sessions"]["soap"] == 0


def test_invalid_and_expired_sessions_are_not_authenticated(sim: SimulatorHandle, si: Any) -> None:
    cookie = si._stub.cookie
    si._stub.cookie = 'vmware_soap_session="00000000000000000000000000000000"; Path=/'
    with pytest.raises(vim.fault.NotAuthenticated):
        si.content.rootFolder.childEntity  # noqa: B018 - the property fetch is the call under test
    si._stub.cookie = cookie
    assert si.content.rootFolder.childEntity
    sim.add_faults({"type": "expire_session", "path": "/sdk"})
    with pytest.raises(vim.fault.NotAuthenticated):
        si.content.rootFolder.childEntity  # noqa: B018
    assert sim.counters()["live_sessions"]["soap"] == 0


# --------------------------------------------------------------------------- reading
def test_bulk_host_read_matches_rest_and_state(sim: SimulatorHandle, si: Any) -> None:
    check_hosts(sim, si)


def check_hosts(sim: SimulatorHandle, si: Any) -> dict[str, dict[str, Any]]:
    """Container view + one PropertyCollector read of all hosts, compared with REST and /sim/state."""
    rows = bulk_hosts(si, HOST_PATHS)
    hosts = state_by_id(sim, "hosts")
    assert set(rows) == set(hosts)
    token = requests.post(sim.url + "/api/session", auth=(sim.username, sim.password), verify=sim.ca,
                          timeout=10).json()
    try:
        rest = requests.get(sim.url + "/api/vcenter/host", headers={"vmware-api-session-id": token},
                            verify=sim.ca, timeout=10).json()
    finally:
        requests.delete(sim.url + "/api/session", headers={"vmware-api-session-id": token}, verify=sim.ca,
                        timeout=10)
    assert {h["host"]: h["name"] for h in rest} == {moid: row["name"] for moid, row in rows.items()}
    for moid, row in rows.items():
        model = hosts[moid]
        assert row["name"] == model["name"]
        assert row["runtime"].connectionState == model["connection_state"]
        assert row["runtime"].inMaintenanceMode is model["in_maintenance"]
        assert row["config.product"].version == model["version"]
        assert row["config.product"].build == model["build"]
        assert row["config.product"].apiType == "HostAgent"
        assert row["capability"].tpmSupported is model["tpm"]
        assert row["hardware"].memorySize == model["memory_mb"] * 1024 * 1024
        assert row["summary"].config.name == model["name"]
        if model["cluster"]:
            assert row["parent"] == vim.ClusterComputeResource(model["cluster"])
        else:
            assert isinstance(row["parent"], vim.ComputeResource)
        vms = {v["id"] for v in sim.state()["vms"] if v["host"] == moid}
        assert {v._moId for v in row.get("vm", [])} == vms
    return rows


def test_paging_returns_every_host_once(sim: SimulatorHandle, si: Any) -> None:
    paged = bulk_hosts(si, ["name"], max_objects=1)
    assert sorted(paged) == sorted(state_by_id(sim, "hosts"))


def check_vms(sim: SimulatorHandle, si: Any) -> dict[str, dict[str, Any]]:
    """VM runtime and devices of every VM, compared with the model's flags in /sim/state."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name="v", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=[
            "name", "runtime.host", "runtime.powerState", "runtime.faultToleranceState", "config.hardware.device"])])
    rows = {o.obj._moId: {p.name: p.val for p in o.propSet} for o in content.propertyCollector.RetrieveContents([spec])}
    vms = state_by_id(sim, "vms")
    assert set(rows) == set(vms)
    for moid, row in rows.items():
        model = vms[moid]
        assert row["runtime.host"]._moId == model["host"]
        assert row["runtime.powerState"] == model["power_state"]
        assert (row["runtime.faultToleranceState"] != "notConfigured") is model["fault_tolerance"]
        devices = row["config.hardware.device"]
        assert any(isinstance(d, vim.vm.device.VirtualPCIPassthrough) for d in devices) is model["directpath"]
        multiwriter = any(isinstance(d, vim.vm.device.VirtualDisk) and d.backing.sharing == "sharingMultiWriter"
                          for d in devices)
        assert multiwriter is model["shared_disk"]
    return rows


def test_vm_devices_and_fault_tolerance(sim: SimulatorHandle, si: Any) -> None:
    check_vms(sim, si)


def test_demo_tpm_ft_directpath_shared_disk(demo: SimulatorHandle) -> None:
    si = connect(demo)
    try:
        hosts = check_hosts(demo, si)
        vms = check_vms(demo, si)
    finally:
        Disconnect(si)
    model_vms = state_by_id(demo, "vms").values()
    # the demo scenario has each special case, so the comparisons above covered both values
    assert any(row["capability"].tpmSupported for row in hosts.values())
    assert any(not row["capability"].tpmSupported for row in hosts.values())
    assert any(v["fault_tolerance"] for v in model_vms) and any(v["directpath"] for v in model_vms)
    assert any(v["shared_disk"] for v in model_vms)
    assert any(row["runtime.faultToleranceState"] == "running" for row in vms.values())
    assert demo.counters()["live_sessions"]["soap"] == 0


# --------------------------------------------------------------------------- tasks
def _cluster_host_with_vms(sim: SimulatorHandle) -> tuple[str, list[str]]:
    state = sim.state()
    for host in state["hosts"]:
        running = [v["id"] for v in state["vms"] if v["host"] == host["id"] and v["power_state"] == "poweredOn"]
        if host["cluster"] and running:
            return host["id"], running
    raise AssertionError("scenario tiny has no clustered host with powered-on VMs")


def test_enter_maintenance_evacuates_then_exit(sim: SimulatorHandle, si: Any) -> None:
    host_id, running = _cluster_host_with_vms(sim)
    host = vim.HostSystem(host_id, si._stub)
    snapshot = sim.counters()
    before = snapshot["evacuations"]
    assert host.runtime.inMaintenanceMode is False
    assert sim.mutating_calls(since=snapshot) == {}                 # SOAP reads change nothing
    task = host.EnterMaintenanceMode_Task(timeout=0, evacuatePoweredOffVms=False)
    assert WaitForTask(task, maxWaitTime=60) == "success"
    assert task.info.state == "success" and task.info.entity == host
    assert host.runtime.inMaintenanceMode is True
    assert not any(v._moId in running for v in host.vm)
    state = sim.state()
    assert state_by_id(sim, "hosts")[host_id]["in_maintenance"] is True
    moved = {v["id"]: v["host"] for v in state["vms"] if v["id"] in running}
    assert host_id not in moved.values()
    assert sim.counters()["evacuations"] == before + len(running)
    assert any(t["id"] == task._moId and t["protocol"] == "soap" and t["status"] == "SUCCEEDED"
               for t in state["tasks"])
    assert WaitForTask(host.ExitMaintenanceMode_Task(timeout=0), maxWaitTime=60) == "success"
    assert host.runtime.inMaintenanceMode is False
    assert state_by_id(sim, "hosts")[host_id]["in_maintenance"] is False
    # the shared "nothing changed" helper sees SOAP mutations by method (every SOAP call is POST /sdk)
    assert sim.mutating_calls(since=snapshot) == {"SOAP EnterMaintenanceMode_Task": 1,
                                                  "SOAP ExitMaintenanceMode_Task": 1}


def test_reconfigure_cluster_sticks(sim: SimulatorHandle, si: Any) -> None:
    cluster_id = next(iter(state_by_id(sim, "clusters")))
    cluster = vim.ClusterComputeResource(cluster_id, si._stub)
    spec = vim.cluster.ConfigSpecEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior="manual"),
        dasConfig=vim.cluster.DasConfigInfo(admissionControlEnabled=False))
    assert WaitForTask(cluster.ReconfigureComputeResource_Task(spec, modify=True), maxWaitTime=60) == "success"
    cfg = cluster.configurationEx
    assert (cfg.drsConfig.enabled, cfg.drsConfig.defaultVmBehavior) == (True, "manual")
    assert cfg.dasConfig.admissionControlEnabled is False
    model = state_by_id(sim, "clusters")[cluster_id]
    assert (model["drs_enabled"], model["drs_behavior"], model["admission_control"]) == (True, "manual", False)
    # DRS is no longer fully automated: entering maintenance with running VMs now fails
    host_id, _ = _cluster_host_with_vms(sim)
    with pytest.raises(vim.fault.InvalidState):
        WaitForTask(vim.HostSystem(host_id, si._stub).EnterMaintenanceMode_Task(0), maxWaitTime=60)
    assert state_by_id(sim, "hosts")[host_id]["in_maintenance"] is False


def test_vm_power_and_migration(sim: SimulatorHandle, si: Any) -> None:
    host_id, running = _cluster_host_with_vms(sim)
    state = sim.state()
    cluster = state_by_id(sim, "hosts")[host_id]["cluster"]
    other = next(h["id"] for h in state["hosts"] if h["cluster"] == cluster and h["id"] != host_id)
    movable = next(v for v in state["vms"] if v["id"] in running and not v["directpath"] and not v["shared_disk"])
    vm = vim.VirtualMachine(movable["id"], si._stub)
    assert WaitForTask(vm.MigrateVM_Task(host=vim.HostSystem(other), priority="defaultPriority"),
                       maxWaitTime=60) == "success"
    assert vm.runtime.host._moId == other == state_by_id(sim, "vms")[vm._moId]["host"]
    assert WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=vim.HostSystem(host_id))),
                       maxWaitTime=60) == "success"
    assert vm.runtime.host._moId == host_id
    assert WaitForTask(vm.PowerOffVM_Task(), maxWaitTime=60) == "success"
    assert state_by_id(sim, "vms")[vm._moId]["power_state"] == "poweredOff"
    with pytest.raises(vim.fault.InvalidPowerState):
        WaitForTask(vm.PowerOffVM_Task(), maxWaitTime=60)
    assert WaitForTask(vm.PowerOnVM_Task(), maxWaitTime=60) == "success"
    assert vm.runtime.powerState == "poweredOn"


def test_rest_apply_is_seen_through_soap_updates(tmp_path: Any) -> None:
    """One model: a vLCM apply started over REST shows in a SOAP PropertyCollector filter."""
    sim = handle = start_simulator("tiny", time_scale=0.002, state_dir=tmp_path / "apply", require_ca=True)
    try:
        state = sim.state()
        cluster = next(c for c in state["clusters"] if c["name"] == "Tiny-01")
        members = [h["id"] for h in state["hosts"] if h["cluster"] == cluster["id"]]
        desired_build = cluster["desired_image"]["base_image"].rsplit(".", 1)[-1]
        si = connect(sim)
        pc = si.RetrieveContent().propertyCollector
        pc.CreateFilter(PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=vim.HostSystem(h)) for h in members],
            propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=["runtime.inMaintenanceMode",
                                                                    "config.product.build"])]), True)
        update = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
        seen: dict[str, list[tuple[str, Any]]] = {h: [] for h in members}
        rest = handle.session()
        resp = rest.post(f"{sim.url}/api/esx/settings/clusters/{cluster['id']}/software?action=apply&vmw-task=true",
                         json={"accept_eula": True}, timeout=30)
        assert resp.status_code == 200, resp.text
        task_id = resp.json()
        deadline = time.monotonic() + 60
        status = "RUNNING"
        version = update.version
        while time.monotonic() < deadline:
            update = pc.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=1))
            if update is not None:
                version = update.version
                for obj in update.filterSet[0].objectSet:
                    seen[obj.obj._moId] += [(c.name, c.val) for c in obj.changeSet]
            status = rest.get(f"{sim.url}/api/cis/tasks/{task_id}", timeout=30).json()["status"]
            if status in ("SUCCEEDED", "FAILED") and update is None:
                break
        assert status == "SUCCEEDED"
        for host_id in members:
            maintenance = [v for name, v in seen[host_id] if name == "runtime.inMaintenanceMode"]
            builds = [v for name, v in seen[host_id] if name == "config.product.build"]
            assert maintenance == [True, False], (host_id, seen[host_id])
            assert builds == [desired_build]
        Disconnect(si)
        rest.delete(f"{sim.url}/api/session", timeout=30)
        assert sim.counters()["live_sessions"] == {"rest": 0, "soap": 0}
    finally:
        handle.stop()
