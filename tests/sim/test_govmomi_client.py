"""A second SOAP client, written with govmomi (Go), against the real simulator.

govmomi decodes by the wire's xsi:type and has no mercy: a reference typed `ManagedObject`
decodes as nil (no host would be in a cluster), a long typed `xsd:int` does not parse, and
its task waiter needs CreatePropertyCollector.  `tests/govmomi/main.go` does what govc does
(login with the simulator's CA, container view + property collector reads of hosts, clusters
and VMs, paged RetrievePropertiesEx, a maintenance-mode round trip waited on with govmomi's
task waiter, logout) and prints a JSON report; here it is built in GOPATH mode from Debian's
golang-go and golang-github-vmware-govmomi-dev (offline: `make govmomi-deps` installs them,
`make test` runs that first), cached under .cache/govmomi/, and its report is held against
`/sim/state` and `/sim/counters`.  Without Go or govmomi this test fails and names the target.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from vlcmsim.testing import SimulatorHandle, start_simulator

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "tests" / "govmomi" / "main.go"
CACHE = REPO / ".cache" / "govmomi"
DEBIAN_GOPATH = Path("/usr/share/gocode")
GOVMOMI = DEBIAN_GOPATH / "src" / "github.com" / "vmware" / "govmomi"
INSTALL_HINT = ("run `make govmomi-deps` (apt-get install golang-go golang-github-vmware-govmomi-dev; "
                "`make test` does it before the tests)")


def go_env() -> dict[str, str]:
    """GOPATH mode against Debian's Go library sources: no module proxy, no network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(GO111MODULE="off", GOPATH=str(DEBIAN_GOPATH), GOCACHE=str(REPO / ".cache" / "go-build"),
               GOFLAGS="", GOPROXY="off", CGO_ENABLED="0")
    return env


def build_client() -> Path:
    """The client binary, built once per source / Go / govmomi version and cached."""
    go = shutil.which("go")
    if go is None:
        pytest.fail(f"the Go toolchain is missing (no `go` on PATH): {INSTALL_HINT}", pytrace=False)
    if not (GOVMOMI / "vim25").is_dir():
        pytest.fail(f"govmomi's sources are missing ({GOVMOMI}): {INSTALL_HINT}", pytrace=False)
    version = subprocess.run([go, "version"], capture_output=True, text=True, check=True, env=go_env()).stdout
    key = hashlib.sha256(SOURCE.read_bytes() + version.encode()
                         + str((GOVMOMI / "client.go").stat().st_mtime_ns).encode()).hexdigest()[:16]
    binary = CACHE / f"vlcm-govmomi-client-{key}"
    if binary.exists():
        return binary
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = CACHE / f".build-{os.getpid()}"
    began = time.monotonic()
    proc = subprocess.run([go, "build", "-o", str(tmp), str(SOURCE)], capture_output=True, text=True,
                          env=go_env(), cwd=SOURCE.parent)
    if proc.returncode != 0:
        pytest.fail(f"building {SOURCE.relative_to(REPO)} failed:\n{proc.stdout}{proc.stderr}", pytrace=False)
    os.replace(tmp, binary)
    print(f"built {binary.name} in {time.monotonic() - began:.1f} s")
    return binary


@pytest.fixture(scope="module")
def client() -> Path:
    return build_client()


@pytest.fixture(params=["tiny", "demo"])
def sim(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SimulatorHandle]:
    handle = start_simulator(request.param, time_scale=0.0005, state_dir=tmp_path / "sim")
    yield handle
    handle.stop()


def run(client: Path, sim: SimulatorHandle, maintenance_host: str, password: str | None = None,
        url: str | None = None) -> Any:
    assert sim.ca
    return subprocess.run(
        [str(client), "-url", url or sim.url + "/sdk", "-user", sim.username, "-password", password or sim.password,
         "-ca", sim.ca, "-maintenance-host", maintenance_host],
        capture_output=True, text=True, timeout=600)   # a hang guard; the client gives up after 5 minutes itself


def movable_host(state: dict[str, Any]) -> dict[str, Any]:
    """A host DRS can empty: in a fully automated DRS cluster, no FT, DirectPath or shared-disk VM."""
    clusters = {c["id"]: c for c in state["clusters"]}
    pinned = {v["host"] for v in state["vms"] if v["fault_tolerance"] or v["directpath"] or v["shared_disk"]}
    candidates = [h for h in state["hosts"] if h["cluster"] and h["id"] not in pinned
                  and clusters[h["cluster"]]["drs_enabled"] and clusters[h["cluster"]]["drs_behavior"] == "fullyAutomated"]
    assert candidates, "the scenario has no host DRS can evacuate"
    return max(candidates, key=lambda h: h["name"])


def test_govmomi_reads_the_inventory_and_runs_a_maintenance_round_trip(client: Path, sim: SimulatorHandle) -> None:
    state = sim.admin_get("/sim/state")
    target = movable_host(state)
    proc = run(client, sim, target["name"])
    assert proc.returncode == 0, f"govmomi client failed:\n{proc.stderr}"
    report = json.loads(proc.stdout)
    assert report["apiVersion"] == "8.0.3.0"

    # hosts: every one, in its cluster (the parent govmomi used to decode as nil), memorySize exact
    hosts = {h["id"]: h for h in report["hosts"]}
    assert set(hosts) == {h["id"] for h in state["hosts"]}
    for model in state["hosts"]:
        got = hosts[model["id"]]
        assert got["name"] == model["name"]
        if model["cluster"]:
            assert got["parent"] == {"type": "ClusterComputeResource", "value": model["cluster"]}
        else:
            assert got["parent"]["type"] == "ComputeResource" and got["parent"]["value"].startswith("domain-s")
        assert got["memorySize"] == model["memory_mb"] * 1024 * 1024
        assert (got["version"], got["build"]) == (model["version"], model["build"])
        assert got["connectionState"] == model["connection_state"]
        assert got["vms"] == sorted(v["id"] for v in state["vms"] if v["host"] == model["id"])
        assert got["rawTypes"] == {
            "parent": "types.ManagedObjectReference", "summary.hardware.memorySize": "int64",
            "hardware.memorySize": "int64", "summary.hardware.numCpuCores": "int16",
            "runtime.inMaintenanceMode": "bool", "runtime.connectionState": "types.HostSystemConnectionState",
            "vm": "types.ArrayOfManagedObjectReference", "config.product": "types.AboutInfo"}

    # clusters: configurationEx as ClusterConfigInfoEx, paths through it, longs as int64
    clusters = {c["id"]: c for c in report["clusters"]}
    assert set(clusters) == {c["id"] for c in state["clusters"]}
    for model in state["clusters"]:
        got = clusters[model["id"]]
        assert (got["name"], got["drsEnabled"], got["drsBehavior"], got["haEnabled"], got["admissionControlEnabled"]) == (
            model["name"], model["drs_enabled"], model["drs_behavior"], model["ha_enabled"], model["admission_control"])
        members = sorted(h["id"] for h in state["hosts"] if h["cluster"] == model["id"])
        assert got["hosts"] == members and got["numHosts"] == len(members)
        assert got["rawValues"]["configurationEx.drsConfig.enabled"] == str(model["drs_enabled"]).lower()
        assert got["rawValues"]["configurationEx.drsConfig.defaultVmBehavior"] == model["drs_behavior"]
        assert got["rawValues"]["configurationEx.dasConfig.admissionControlEnabled"] == str(
            model["admission_control"]).lower()
        assert got["rawTypes"]["summary.effectiveMemory"] == "int64"
        assert got["rawTypes"]["summary.totalMemory"] == "int64"
        assert got["rawTypes"]["configurationEx.drsConfig.defaultVmBehavior"] == "types.DrsBehavior"

    # VMs, and the same VMs one per RetrievePropertiesEx page
    vms = {v["id"]: v for v in report["vms"]}
    assert set(vms) == {v["id"] for v in state["vms"]}
    for model in state["vms"]:
        assert (vms[model["id"]]["host"], vms[model["id"]]["powerState"], vms[model["id"]]["memoryMB"]) == (
            model["host"], model["power_state"], model["memory_mb"])
    assert report["pagedVms"] == report["pages"] == len(state["vms"])

    # the maintenance-mode round trip, waited on by govmomi's task waiter (its own PropertyCollector)
    mm = report["maintenance"]
    assert mm["host"] == target["id"]
    assert (mm["enterState"], mm["inMaintenanceAfterEnter"], mm["exitState"], mm["inMaintenanceAfterExit"]) == (
        "success", True, "success", False)
    after = sim.admin_get("/sim/state")
    tasks = {t["id"]: t for t in after["tasks"]}
    assert tasks[mm["enterTask"]]["status"] == tasks[mm["exitTask"]]["status"] == "SUCCEEDED"
    assert not next(h for h in after["hosts"] if h["id"] == target["id"])["in_maintenance"]
    assert report["loggedOut"] is True
    counters = sim.admin_get("/sim/counters")
    assert counters["live_sessions"]["soap"] == 0
    assert counters["logins"]["soap"] == counters["logouts"]["soap"] == 1


def test_govmomi_client_says_why_it_fails_and_logs_out(client: Path, tmp_path: Path) -> None:
    sim = start_simulator("tiny", time_scale=0.0005, state_dir=tmp_path / "sim")
    try:
        proc = run(client, sim, "no-such-host.lab.local")
        assert proc.returncode == 1 and proc.stdout == ""
        assert 'no host named "no-such-host.lab.local"' in proc.stderr
        assert sim.admin_get("/sim/counters")["live_sessions"]["soap"] == 0
        proc = run(client, sim, "esxi-t2.lab.local", password="not-the-password")
        assert proc.returncode == 1 and "Login" in proc.stderr and "incorrect user name or password" in proc.stderr
    finally:
        sim.stop()


class Rewriter(ThreadingHTTPServer):
    """A plain-HTTP proxy to the simulator that rewrites its SOAP responses (a broken vCenter)."""

    def __init__(self, sim: SimulatorHandle, rewrite: dict[bytes, bytes]) -> None:
        http = requests.Session()
        http.trust_env = False
        http.verify = sim.ca

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.body()
                headers = {k: v for k, v in self.headers.items() if k in ("Cookie", "SOAPAction", "Content-Type")}
                resp = http.post(sim.url + self.path, data=body, headers=headers, timeout=60)
                content = resp.content
                for old, new in rewrite.items():
                    content = content.replace(old, new)
                self.send_response(resp.status_code)
                self.send_header("Content-Type", resp.headers.get("Content-Type", "text/xml"))
                self.send_header("Content-Length", str(len(content)))
                if "Set-Cookie" in resp.headers:     # over plain HTTP the cookie cannot be Secure
                    self.send_header("Set-Cookie", resp.headers["Set-Cookie"].replace("; Secure", ""))
                self.end_headers()
                self.wfile.write(content)

            def body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() != "chunked":    # Go's client chunks
                    return self.rfile.read(int(self.headers.get("Content-Length", 0)))
                out = b""
                while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                    out += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
                return out

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sdk"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


@pytest.mark.parametrize(("rewrite", "why"), [
    ({b'xsi:type="ManagedObjectReference"': b'xsi:type="ManagedObject"'}, "parent decoded as nil"),
    ({b'xsi:type="xsd:long"': b'xsi:type="xsd:int"'}, "value out of range"),
])
def test_govmomi_client_fails_on_the_wire_faults_it_was_written_for(client: Path, tmp_path: Path,
                                                                     rewrite: dict[bytes, bytes], why: str) -> None:
    """The negative control: responses as the simulator used to send them make the client fail, saying why."""
    sim = start_simulator("tiny", time_scale=0.0005, state_dir=tmp_path / "sim")
    proxy = Rewriter(sim, rewrite)
    try:
        proc = run(client, sim, "esxi-t2.lab.local", url=proxy.url)
        assert proc.returncode == 1 and proc.stdout == ""
        assert why in proc.stderr, proc.stderr
        assert sim.admin_get("/sim/counters")["live_sessions"]["soap"] == 0
        # the same client through the same proxy, rewriting nothing, succeeds
        proxy.close()
        proxy = Rewriter(sim, {})
        proc = run(client, sim, "esxi-t2.lab.local", url=proxy.url)
        assert proc.returncode == 0, proc.stderr
    finally:
        proxy.close()
        sim.stop()
