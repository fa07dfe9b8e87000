"""The SOAP wire as strict clients read it: every property value carries its declared xsi:type.

pyVmomi forgives a value typed `xsd:int` where the WSDL says `xsd:long`, or a reference typed
`ManagedObject`; govmomi does not (a host's `parent` decodes as nil, a 256 GiB `memorySize`
does not parse).  These tests read, over real HTTPS from a started simulator (`demo`: TPM
host, Fault Tolerance, DirectPath I/O, shared disks, a standalone host; `livepatch` for the live patch
prerequisites: DPU hosts, TPM attestation, partial maintenance mode, vSphere Pods), the properties the
collection reads or will read of hosts, clusters, VMs, datacenters and resource pools through
RetrievePropertiesEx, ContinueRetrievePropertiesEx, RetrieveProperties and WaitForUpdatesEx,
keep the raw response, and check every `<val xsi:type=...>` against the type pyVmomi's type
info declares for the path (`_GetPropertyInfo`, `VmomiSupport.GetWsdlName`; through the actual
value's type where the declared type lacks a step, as vCenter resolves paths).  Requests are
serialised by pyVmomi's own stub (`SerializeRequest`) and posted with `requests`; responses
are decoded by pyVmomi too, so the test also sees the typed values (memorySize a `long`).
"""

from __future__ import annotations

import io
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl
from vlcmsim.testing import SimulatorHandle, start_simulator

PC = vmodl.query.PropertyCollector
XSD = "http://www.w3.org/2001/XMLSchema"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
VIM = "{urn:vim25}"

# What the collection reads or will read (module_utils, inventory, live patch prerequisites),
# each path checked on every object of the type that has it set.
PATHS: dict[Any, list[str]] = {
    vim.HostSystem: [
        "name", "parent", "overallStatus", "vm", "datastore", "network",
        "runtime", "runtime.inMaintenanceMode", "runtime.connectionState", "runtime.powerState",
        "runtime.standbyMode", "runtime.partialMaintenanceMode",
        "summary.hardware", "summary.hardware.memorySize", "summary.hardware.numCpuCores",
        "summary.hardware.numCpuThreads", "summary.hardware.numCpuPkgs", "summary.hardware.cpuMhz",
        "summary.hardware.numNics", "summary.hardware.cpuModel",
        "summary.config.name", "summary.config.port", "summary.config.product",
        "summary.config.product.version", "summary.config.product.build", "summary.config.product.apiVersion",
        "summary.quickStats", "summary.quickStats.overallMemoryUsage", "summary.quickStats.overallCpuUsage",
        "summary.quickStats.uptime", "summary.rebootRequired", "summary.runtime.inMaintenanceMode",
        "hardware.memorySize", "hardware.cpuInfo.hz", "hardware.cpuInfo.numCpuCores", "hardware.cpuPkg",
        "hardware.systemInfo.uuid",
        "config.product", "config.product.version", "config.product.build",
        "capability", "capability.tpmSupported", "capability.tpmVersion", "capability.maintenanceModeSupported",
    ],
    vim.ClusterComputeResource: [
        "name", "parent", "host", "resourcePool", "datastore", "network", "overallStatus",
        "configurationEx", "configurationEx.drsConfig", "configurationEx.drsConfig.enabled",
        "configurationEx.drsConfig.defaultVmBehavior", "configurationEx.drsConfig.vmotionRate",
        "configurationEx.dasConfig.enabled", "configurationEx.dasConfig.admissionControlEnabled",
        "configurationEx.dasConfig.failoverLevel",
        "configurationEx.vsanConfigInfo", "configurationEx.vsanConfigInfo.enabled",
        "summary", "summary.effectiveMemory", "summary.effectiveCpu", "summary.totalMemory", "summary.totalCpu",
        "summary.numHosts", "summary.numEffectiveHosts", "summary.numCpuCores", "summary.currentFailoverLevel",
    ],
    vim.VirtualMachine: [
        "name", "parent", "resourcePool", "datastore", "network", "overallStatus",
        "runtime.host", "runtime.powerState", "runtime.connectionState", "runtime.faultToleranceState",
        "runtime.maxMemoryUsage",
        "config", "config.hardware.memoryMB", "config.hardware.numCPU", "config.hardware.device", "config.ftInfo",
        "config.uuid", "config.instanceUuid", "config.guestId", "config.template", "config.modified",
        "summary.quickStats", "summary.quickStats.overallCpuUsage", "summary.quickStats.guestHeartbeatStatus",
        "summary.config.memorySizeMB", "summary.config.numCpu",
    ],
    vim.Datacenter: ["name", "parent", "hostFolder", "vmFolder", "datastoreFolder", "networkFolder", "overallStatus"],
    vim.ResourcePool: ["name", "parent", "owner", "vm", "resourcePool", "overallStatus"],
}
TYPE_NAMES = [VmomiSupport.GetWsdlName(t) for t in PATHS]

# Live patch prerequisites (issue 13), on the livepatch scenario: partial maintenance mode, DPUs (the NICs a DPU
# backs, and its health status), TPM attestation, connection state; VMs that cannot fast-suspend-resume.
LIVE_PATCH_PATHS: dict[Any, list[str]] = {
    vim.HostSystem: [
        "name", "runtime.connectionState", "runtime.inMaintenanceMode", "runtime.partialMaintenanceMode",
        "runtime.healthSystemRuntime", "runtime.healthSystemRuntime.hardwareStatusInfo",
        "runtime.healthSystemRuntime.hardwareStatusInfo.dpuStatusInfo", "config.network", "config.network.pnic",
        "summary.tpmAttestation", "summary.tpmAttestation.status", "capability.tpmSupported",
        "capability.tpmVersion", "config.product.version", "config.product.build",
    ],
    vim.VirtualMachine: [
        "name", "runtime.host", "runtime.powerState", "runtime.faultToleranceState", "config.hardware.device",
        "config.guestId", "config.ftInfo", "summary.config.guestId",
    ],
}


# --------------------------------------------------------------------------- expected types
def declared_type(managed: Any, path: str, values: dict[str, Any]) -> Any:
    """pyVmomi's declared type of a path: each step on the declared type, else on the actual value's
    type (the value of the prefix, which the test requests alongside)."""
    parts = path.split(".")
    typ = managed._GetPropertyInfo(parts[0]).type
    for i, part in enumerate(parts[1:], 1):
        try:
            typ = typ._GetPropertyInfo(part).type
        except AttributeError:
            prefix = ".".join(parts[:i])
            assert prefix in values, f"{path}: {prefix} is needed to resolve the runtime type"
            actual = type(values[prefix])
            assert issubclass(actual, typ), f"{prefix}: {actual} is not a {typ}"
            typ = actual._GetPropertyInfo(part).type
    return typ


def wire_name(declared: Any) -> str:
    """The xsi:type vCenter sends for a value of a declared type (WSDL names; references are
    ManagedObjectReference, arrays of them ArrayOfManagedObjectReference)."""
    if issubclass(declared, list):
        if issubclass(declared.Item, VmomiSupport.ManagedObject):
            return "ArrayOfManagedObjectReference"
        return VmomiSupport.GetWsdlName(declared)
    if issubclass(declared, VmomiSupport.ManagedObject):
        return "ManagedObjectReference"
    ns, name = VmomiSupport.GetQualifiedWsdlName(declared)
    return f"xsd:{name}" if ns == XSD else name


_RANGES = {"xsd:byte": 8, "xsd:short": 16, "xsd:int": 32, "xsd:long": 64}


def check_value(where: str, declared: Any, xsi: str | None, text: str) -> list[str]:
    """Problems of one `<val>`: its xsi:type against the declared type, and the text against the xsd type."""
    want = wire_name(declared)
    if xsi is None:
        return [f"{where}: no xsi:type (want {want})"]
    if xsi != want:
        if not (issubclass(declared, VmomiSupport.DataObject) and not issubclass(declared, list)):
            return [f"{where}: xsi:type {xsi}, declared {want}"]
        try:          # a data object may be of a type derived from the declared one (ClusterConfigInfoEx)
            actual = VmomiSupport.GetWsdlType("urn:vim25", xsi)
        except KeyError:
            return [f"{where}: xsi:type {xsi} is no vim25 type (declared {want})"]
        if not issubclass(actual, declared):
            return [f"{where}: xsi:type {xsi} does not derive from the declared {want}"]
    if xsi in _RANGES:
        bits = _RANGES[xsi]
        if not -(2 ** (bits - 1)) <= int(text) < 2 ** (bits - 1):
            return [f"{where}: {text} does not fit {xsi}"]
    if xsi == "xsd:boolean" and text not in ("true", "false"):
        return [f"{where}: {text!r} is not an xsd:boolean"]
    if xsi == "xsd:dateTime":
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    return []


def wire_vals(raw: bytes) -> dict[tuple[str, str], tuple[str | None, str, str]]:
    """(moid, path) -> (obj type, xsi:type, text) of every propSet/changeSet value in a response."""
    out: dict[tuple[str, str], tuple[str | None, str, str]] = {}
    for el in ET.fromstring(raw).iter():
        obj = el.find(f"{VIM}obj")
        if obj is None:
            continue
        for prop in [*el.findall(f"{VIM}propSet"), *el.findall(f"{VIM}changeSet")]:
            val = prop.find(f"{VIM}val")
            if val is not None:
                key = (obj.text or "", prop.findtext(f"{VIM}name") or "")
                out[key] = (val.get(XSI_TYPE), obj.get("type") or "", "".join(val.itertext()))
    return out


def check_response(raw: bytes, decoded: dict[str, dict[str, Any]]) -> tuple[list[str], set[tuple[str, str]]]:
    """(problems, (type name, path) pairs seen) of a response, decoded = moid -> {path: pyVmomi value}."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for (moid, path), (xsi, obj_type, text) in wire_vals(raw).items():
        managed = VmomiSupport.GetWsdlType("urn:vim25", obj_type)
        declared = declared_type(managed, path, decoded.get(moid, {}))
        problems += check_value(f"{obj_type}:{moid} {path}", declared, xsi, text)
        seen.add((obj_type, path))
    return problems, seen


# --------------------------------------------------------------------------- a raw client
class Wire:
    """pyVmomi builds the request and decodes the response; the bytes between are ours to read."""

    def __init__(self, handle: SimulatorHandle) -> None:
        u = urlsplit(handle.url)
        self.si = SmartConnect(host=u.hostname, port=u.port, user=handle.username, pwd=handle.password,
                               sslContext=ssl.create_default_context(cafile=handle.ca))
        self.stub = self.si._stub
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = handle.ca
        self.url = handle.url + "/sdk"
        self.content = self.si.RetrieveContent()

    def call(self, this: Any, method: str, **kwargs: Any) -> tuple[bytes, Any]:
        info = VmomiSupport.GetWsdlMethod("urn:vim25", method).info
        args = [kwargs.get(p.name) for p in info.params]
        body = self.stub.SerializeRequest(this, info, args)
        resp = self.http.post(self.url, data=body, timeout=60, headers={
            "Cookie": self.stub.cookie, "SOAPAction": self.stub.versionId,
            "Content-Type": "text/xml; charset=utf-8"})
        obj = SoapAdapter.SoapResponseDeserializer(self.stub).Deserialize(io.BytesIO(resp.content), info.result)
        if resp.status_code != 200:
            raise obj
        return resp.content, obj

    def view(self, types: list[Any]) -> Any:
        return self.content.viewManager.CreateContainerView(self.content.rootFolder, types, True)


def view_spec(view: Any, paths: dict[Any, list[str]]) -> Any:
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name="traverseView", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[PC.PropertySpec(type=t, pathSet=p) for t, p in paths.items()])


def decoded_contents(objects: list[Any]) -> dict[str, dict[str, Any]]:
    return {o.obj._moId: {p.name: p.val for p in o.propSet} for o in objects}


def decoded_updates(update_set: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for fs in update_set.filterSet:
        for ou in fs.objectSet:
            out.setdefault(ou.obj._moId, {}).update({c.name: c.val for c in ou.changeSet if c.val is not None})
    return out


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    handle = start_simulator("demo", time_scale=0.0005, state_dir=tmp_path_factory.mktemp("vlcmsim-wire"))
    yield handle
    handle.stop()


@pytest.fixture
def wire(sim: SimulatorHandle) -> Iterator[Wire]:
    sim.admin_post("/sim/reset")
    w = Wire(sim)
    yield w
    Disconnect(w.si)


def expected_pairs(paths: dict[Any, list[str]] = PATHS) -> set[tuple[str, str]]:
    return {(VmomiSupport.GetWsdlName(t), p) for t, ps in paths.items() for p in ps}


@pytest.fixture(scope="module")
def lp_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    handle = start_simulator("livepatch", time_scale=0.0005, state_dir=tmp_path_factory.mktemp("vlcmsim-wire-lp"))
    yield handle
    handle.stop()


# --------------------------------------------------------------------------- the checks
def test_the_paths_are_the_collections_and_exist_in_pyvmomi() -> None:
    assert sum(len(p) for p in PATHS.values()) >= 30
    for managed, paths in PATHS.items():
        for path in paths:
            try:
                managed._GetPropertyInfo(path.split(".")[0])
            except AttributeError:
                pytest.fail(f"{VmomiSupport.GetWsdlName(managed)} has no property {path}")


def test_retrieve_properties_ex_sends_every_value_with_its_declared_type(wire: Wire, sim: SimulatorHandle) -> None:
    view = wire.view(list(PATHS))
    pages = 0
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    decoded: dict[str, dict[str, Any]] = {}
    raw, result = wire.call(wire.content.propertyCollector, "RetrievePropertiesEx",
                            specSet=[view_spec(view, PATHS)], options=PC.RetrieveOptions(maxObjects=7))
    while True:
        pages += 1
        page = decoded_contents(result.objects)
        decoded.update(page)
        p, s = check_response(raw, page)
        problems += p
        seen |= s
        if not result.token:
            break
        raw, result = wire.call(wire.content.propertyCollector, "ContinueRetrievePropertiesEx", token=result.token)
    view.DestroyView()
    assert pages > 2                                 # ContinueRetrievePropertiesEx answered too
    assert problems == []
    assert expected_pairs() - seen == set()          # every path was on the wire at least once
    state = sim.admin_get("/sim/state")
    for host in state["hosts"]:
        size = decoded[host["id"]]["summary.hardware.memorySize"]
        assert type(size) is VmomiSupport.long and size == host["memory_mb"] * 1024 * 1024
        assert decoded[host["id"]]["hardware.memorySize"] == size
        assert decoded[host["id"]]["capability.tpmSupported"] is host["tpm"]
    for cluster in state["clusters"]:
        row = decoded[cluster["id"]]
        assert row["configurationEx.drsConfig.enabled"] is cluster["drs_enabled"]
        assert row["configurationEx.dasConfig.admissionControlEnabled"] is cluster["admission_control"]
        assert row["configurationEx.vsanConfigInfo.enabled"] is cluster["vsan"]
        assert type(row["summary.effectiveMemory"]) is VmomiSupport.long


def test_live_patch_prerequisites_go_out_with_their_declared_types(lp_sim: SimulatorHandle) -> None:
    lp_sim.admin_post("/sim/reset")
    wire = Wire(lp_sim)
    try:
        view = wire.view(list(LIVE_PATCH_PATHS))
        raw, result = wire.call(wire.content.propertyCollector, "RetrieveProperties",
                                specSet=[view_spec(view, LIVE_PATCH_PATHS)])
        decoded = decoded_contents(result)
        problems, seen = check_response(raw, decoded)
        assert problems == []
        assert expected_pairs(LIVE_PATCH_PATHS) - seen == set()      # a DPU host, a TPM host, FT/passthrough VMs
        wire_types = {xsi for xsi, _, _ in wire_vals(raw).values()}
        assert {"ArrayOfHostPartialMaintenanceModeRuntimeInfo", "ArrayOfPhysicalNic", "HostTpmAttestationInfo",
                "ArrayOfDpuStatusInfo", "HealthSystemRuntime"} <= wire_types
        state = lp_sim.admin_get("/sim/state")
        for host in state["hosts"]:
            row = decoded[host["id"]]
            assert ("runtime.healthSystemRuntime.hardwareStatusInfo.dpuStatusInfo" in row) is host["dpu"]
            assert any(n.dpuId for n in row["config.network.pnic"]) is host["dpu"]
            assert ("summary.tpmAttestation" in row) is host["tpm"]
            assert [(p.key, p.hostStatus) for p in row["runtime.partialMaintenanceMode"]] == \
                [("quickPatchPartialMM", "notInPartialMM")]
        # the checker sees a partial maintenance mode list typed as anything else
        bad = raw.replace(b'xsi:type="ArrayOfHostPartialMaintenanceModeRuntimeInfo"', b'xsi:type="ArrayOfAnyType"')
        assert len(check_response(bad, decoded)[0]) == len(state["hosts"])
        view.DestroyView()
    finally:
        Disconnect(wire.si)


def test_retrieve_properties_sends_the_same_types(wire: Wire) -> None:
    view = wire.view(list(PATHS))
    raw, result = wire.call(wire.content.propertyCollector, "RetrieveProperties", specSet=[view_spec(view, PATHS)])
    problems, seen = check_response(raw, decoded_contents(result))
    assert problems == [] and expected_pairs() - seen == set()


def test_wait_for_updates_ex_sends_declared_types_on_a_collector_of_its_own(wire: Wire, sim: SimulatorHandle) -> None:
    _, pc = wire.call(wire.content.propertyCollector, "CreatePropertyCollector")
    assert pc._moId != wire.content.propertyCollector._moId
    view = wire.view([vim.HostSystem, vim.ClusterComputeResource])
    paths = {t: PATHS[t] for t in (vim.HostSystem, vim.ClusterComputeResource)}
    wire.call(pc, "CreateFilter", spec=view_spec(view, paths), partialUpdates=False)
    raw, first = wire.call(pc, "WaitForUpdatesEx", version="", options=PC.WaitOptions(maxWaitSeconds=0))
    problems, seen = check_response(raw, decoded_updates(first))
    assert problems == [] and {(t, p) for t, p in expected_pairs() if t in ("HostSystem", "ClusterComputeResource")} <= seen
    assert {ou.kind for fs in first.filterSet for ou in fs.objectSet} == {"enter"}

    # a change: a host enters maintenance mode (its VMs leave, the cluster's effective memory drops)
    host = next(h for h in sim.admin_get("/sim/state")["hosts"] if h["name"] == "esxi-a4.lab.local")
    task = vim.HostSystem(host["id"], wire.stub).EnterMaintenanceMode_Task(timeout=0)
    changed: dict[str, dict[str, Any]] = {}
    version = first.version
    while "runtime.inMaintenanceMode" not in changed.get(host["id"], {}):
        raw, update = wire.call(pc, "WaitForUpdatesEx", version=version, options=PC.WaitOptions(maxWaitSeconds=30))
        assert update is not None, "no update within 30 s of EnterMaintenanceMode_Task"
        version = update.version
        modified = decoded_updates(update)
        problems, _ = check_response(raw, {m: {**first_values(first, m), **v} for m, v in modified.items()})
        assert problems == []
        for moid, vals in modified.items():
            changed.setdefault(moid, {}).update(vals)
    assert changed[host["id"]]["runtime.inMaintenanceMode"] is True

    # the task itself, as govmomi's task waiter follows it: a filter on its info
    task_paths = ["info", "info.state", "info.entity", "info.entityName", "info.descriptionId", "info.queueTime",
                  "info.completeTime", "info.cancelable"]
    _, task_filter = wire.call(pc, "CreateFilter", spec=PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=task)], propSet=[PC.PropertySpec(type=vim.Task, pathSet=task_paths)]),
        partialUpdates=False)
    state = ""
    task_seen: set[tuple[str, str]] = set()
    while state != "success":
        raw, update = wire.call(pc, "WaitForUpdatesEx", version=version, options=PC.WaitOptions(maxWaitSeconds=30))
        assert update is not None, "no task update within 30 s"
        version = update.version
        mine = decoded_updates(update).get(task._moId, {})
        problems, seen = check_response(raw, decoded_updates(update))
        assert problems == []
        task_seen |= seen
        state = mine.get("info.state", state)
        assert state in ("queued", "running", "success")
    assert {("Task", p) for p in ["info", "info.state", "info.entity", "info.completeTime"]} <= task_seen
    wire.call(task_filter, "DestroyPropertyFilter")
    wire.call(pc, "DestroyPropertyCollector")


def first_values(update_set: Any, moid: str) -> dict[str, Any]:
    return decoded_updates(update_set).get(moid, {})


def test_fetch_of_one_property_is_typed_too(wire: Wire, sim: SimulatorHandle) -> None:
    host = sim.admin_get("/sim/state")["hosts"][0]
    ref = vim.HostSystem(host["id"], wire.stub)
    assert ref.summary.hardware.memorySize == host["memory_mb"] * 1024 * 1024
    assert type(ref.hardware.memorySize) is VmomiSupport.long
    assert isinstance(ref.parent, vim.ClusterComputeResource)


# --------------------------------------------------------------------------- the checker can fail
def test_the_checker_catches_the_faults_strict_clients_saw(wire: Wire) -> None:
    view = wire.view([vim.HostSystem])
    paths = {vim.HostSystem: ["parent", "summary.hardware.memorySize", "summary.hardware.numCpuCores", "vm"]}
    raw, result = wire.call(wire.content.propertyCollector, "RetrieveProperties", specSet=[view_spec(view, paths)])
    decoded = decoded_contents(result)
    assert check_response(raw, decoded)[0] == []
    hosts = len(result)
    # what the simulator used to send: pyVmomi's client-side names for references and Python's int
    bad = (raw.replace(b'xsi:type="ManagedObjectReference"', b'xsi:type="ManagedObject"')
              .replace(b'xsi:type="xsd:long"', b'xsi:type="xsd:int"')
              .replace(b'xsi:type="xsd:short"', b'xsi:type="xsd:int"')
              .replace(b'xsi:type="ArrayOfManagedObjectReference"', b'xsi:type="ArrayOfVirtualMachine"'))
    problems = check_response(bad, decoded)[0]
    assert len(problems) == 4 * hosts
    assert sum("parent: xsi:type ManagedObject, declared ManagedObjectReference" in p for p in problems) == hosts
    assert sum("memorySize: xsi:type xsd:int, declared xsd:long" in p for p in problems) == hosts
    assert sum("numCpuCores: xsi:type xsd:int, declared xsd:short" in p for p in problems) == hosts
    assert sum(" vm: xsi:type ArrayOfVirtualMachine" in p for p in problems) == hosts


def test_the_checker_catches_values_that_do_not_fit_and_wrong_data_types() -> None:
    assert check_value("x", VmomiSupport.long, "xsd:long", "274877906944") == []
    assert check_value("x", int, "xsd:int", "274877906944") == ["x: 274877906944 does not fit xsd:int"]
    assert check_value("x", bool, "xsd:boolean", "1") == ["x: '1' is not an xsd:boolean"]
    assert check_value("x", vim.ComputeResource.ConfigInfo, "ClusterConfigInfoEx", "") == []
    assert check_value("x", vim.cluster.ConfigInfoEx, "ComputeResourceConfigInfo", "") == [
        "x: xsi:type ComputeResourceConfigInfo does not derive from the declared ClusterConfigInfoEx"]
    assert check_value("x", str, None, "a") == ["x: no xsi:type (want xsd:string)"]


def test_a_path_through_a_subtype_resolves_on_clusters_only(wire: Wire) -> None:
    view = wire.view([vim.ComputeResource])
    paths = {vim.ComputeResource: ["name", "configurationEx.drsConfig.enabled", "summary.currentFailoverLevel"]}
    raw, result = wire.call(wire.content.propertyCollector, "RetrieveProperties", specSet=[view_spec(view, paths)])
    rows = decoded_contents(result)
    clusters = {m: r for m, r in rows.items() if m.startswith("domain-c")}
    standalone = {m: r for m, r in rows.items() if m.startswith("domain-s")}
    assert clusters and standalone
    assert all(r["configurationEx.drsConfig.enabled"] is True and "summary.currentFailoverLevel" in r
               for r in clusters.values())
    # a standalone host's ComputeResourceConfigInfo has no drsConfig: the property is simply absent
    assert all(set(r) == {"name"} for r in standalone.values())
    with pytest.raises(vmodl.query.InvalidProperty):
        wire.call(wire.content.propertyCollector, "RetrieveProperties",
                  specSet=[view_spec(view, {vim.ComputeResource: ["configurationEx.noSuchThing"]})])

