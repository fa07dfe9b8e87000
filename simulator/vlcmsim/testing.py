"""The one client of a running vlcmsim for tests and benchmarks.

    from vlcmsim.testing import start_simulator
    sim = start_simulator("tiny", time_scale=0.0005, state_dir=tmp_path / "sim")
    try:
        before = sim.counters()
        http = sim.session()                                   # logged in to /api
        http.get(sim.url + "/api/vcenter/cluster")
        sim.add_faults({"type": "http_status", "status": 503, "path": "/api/session"})
        assert sim.mutating_calls(since=before) == {}          # a GET and a login mutate nothing
        env = sim.env()                                        # VMWARE_* for ansible, as AWX injects them
    finally:
        sim.stop()

`start_simulator` runs the simulator's CLI (`python -m vlcmsim`) on 127.0.0.1, port 0 by default, and
returns a :class:`SimulatorHandle` once DIR/server.json names the new process; `SimulatorHandle.attach(DIR)`
is the same handle for a simulator started elsewhere (``make demo``). The handle is a plain HTTP client of
the admin API (``/sim/state``, ``/sim/counters``, ``/sim/events``, ``/sim/faults``, ``/sim/reset``) and of
``POST /api/session``; it imports nothing else of vlcmsim, so what it reports is what any client would see.

``python -m vlcmsim.testing env DIR [--no-ca]`` prints the ``VMWARE_*`` variables of the simulator whose
state directory is DIR as shell ``export`` lines.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

# ---------------------------------------------------------------------------------------------- mutation
# Which counted calls change vCenter. Counter keys are "<METHOD> <route>[?action=<action>]" for REST
# (e.g. "PUT /api/esx/settings/clusters/{cluster}/policies/apply") and SOAP method names under
# counters["soap_methods"] (every SOAP call is a "POST /sdk" on the wire, so the verb says nothing there).
#
# A REST call mutates unless it is a GET, a login or logout (POST/DELETE /api/session: a session is not
# vCenter state a module is asked to change), or a compliance scan (POST ...?action=scan: it refreshes the
# stored compliance report, which is a read of the hosts; a scan's own count is asserted where it matters).
# A SOAP call mutates unless its method is one of SOAP_READS (sessions, views, the property collector,
# searches): an unknown method counts as mutating, so a new SOAP read shows up as a failing test rather
# than a mutation slipping through.
REST_NON_MUTATING = frozenset({"POST /api/session", "DELETE /api/session"})
REST_READ_ACTIONS = frozenset({"scan"})
SOAP_READS = frozenset({
    "RetrieveServiceContent", "CurrentTime", "Login", "Logout", "SessionIsActive",
    "CreateContainerView", "DestroyView",
    "RetrieveProperties", "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "CancelRetrievePropertiesEx",
    "CreateFilter", "DestroyPropertyFilter", "WaitForUpdatesEx", "WaitForUpdates", "CheckForUpdates",
    "CancelWaitForUpdates", "Fetch",
    "FindByInventoryPath", "FindChild", "FindByDnsName", "FindAllByDnsName", "FindByUuid", "FindAllByUuid",
    "FindByIp",
})


def is_mutating_rest_call(key: str) -> bool:
    """True when the counted REST call ``key`` ("METHOD /api/route[?action=x]") changes vCenter state."""
    method, _, rest = key.partition(" ")
    if not rest.startswith("/api/") or method == "GET" or key in REST_NON_MUTATING:
        return False
    action = rest.partition("?action=")[2]
    return action not in REST_READ_ACTIONS


def mutating_calls(after: Mapping[str, Any], before: Mapping[str, Any] | None = None) -> dict[str, int]:
    """The mutating calls counted between two ``/sim/counters`` snapshots (``before=None``: since the reset).

    Returns ``{key: count}`` for every REST key (see :func:`is_mutating_rest_call`) and every SOAP method
    (as ``"SOAP <Method>"``, see SOAP_READS) whose count grew; ``{}`` means nothing changed vCenter.
    """
    found: dict[str, int] = {}
    for key, count in _grown(after.get("calls") or {}, (before or {}).get("calls") or {}):
        if is_mutating_rest_call(key):
            found[key] = count
    for name, count in _grown(after.get("soap_methods") or {}, (before or {}).get("soap_methods") or {}):
        if name not in SOAP_READS:
            found[f"SOAP {name}"] = count
    return found


def _grown(after: Mapping[str, int], before: Mapping[str, int]) -> Iterable[tuple[str, int]]:
    for key, count in sorted(after.items()):
        delta = int(count) - int(before.get(key, 0))
        if delta > 0:
            yield key, delta


# ---------------------------------------------------------------------------------------------- handle
class SimulatorError(RuntimeError):
    """The simulator did not start, or an admin call failed (the message has the status and the body)."""


def _plain_session() -> requests.Session:
    """A requests.Session that ignores REQUESTS_CA_BUNDLE / proxy variables (they would override
    ``session.verify`` and could route loopback traffic through a proxy)."""
    s = requests.Session()
    s.trust_env = False
    return s


class Ids:
    """Names -> ids from one ``/sim/state`` snapshot: ``cluster``, ``host``, ``vm``, ``datacenter`` (dicts),
    ``host_name`` (host id -> name) and the snapshot itself as ``state``.

    A name used twice (a cluster name in two datacenters) is left out of its dict and listed in ``ambiguous``,
    so a lookup fails instead of picking one."""

    def __init__(self, state: Mapping[str, Any]) -> None:
        self.state = state
        self.ambiguous: dict[str, dict[str, list[str]]] = {}
        self.cluster = self._index("clusters", state)
        self.host = self._index("hosts", state)
        self.vm = self._index("vms", state)
        self.datacenter = self._index("datacenters", state)
        self.host_name = {h["id"]: h["name"] for h in state.get("hosts", [])}

    def _index(self, kind: str, state: Mapping[str, Any]) -> dict[str, str]:
        seen: dict[str, list[str]] = {}
        for item in state.get(kind, []):
            seen.setdefault(item["name"], []).append(item["id"])
        twice = {name: ids for name, ids in seen.items() if len(ids) > 1}
        if twice:
            self.ambiguous[kind] = twice
        return {name: ids[0] for name, ids in seen.items() if len(ids) == 1}


@dataclass
class SimulatorHandle:
    """A running vlcmsim: its connection facts (server.json) and its admin API."""

    url: str
    ca: str | None
    username: str
    password: str = field(repr=False)
    state_dir: Path
    process: subprocess.Popen[str] | None = None
    info: dict[str, Any] = field(default_factory=dict, repr=False)
    _http: requests.Session = field(default_factory=_plain_session, repr=False)

    # ------------------------------------------------------------------ connection facts
    @property
    def host(self) -> str:
        return str(self.info.get("host") or urlsplit(self.url).hostname)

    @property
    def port(self) -> int:
        return int(self.info.get("port") or urlsplit(self.url).port or 443)

    @property
    def verify(self) -> str | bool:
        return self.ca if self.ca else False

    def env(self, ca: bool = True) -> dict[str, str]:
        """The ``VMWARE_*`` environment of an Ansible run against this simulator.

        What AWX's VMware vCenter credential injects (VMWARE_HOST, VMWARE_USER, VMWARE_PASSWORD,
        VMWARE_VALIDATE_CERTS=True), plus VMWARE_PORT (the simulator is not on 443) and, with ``ca``,
        VMWARE_CA_PATH (the simulator's CA; what a custom credential type or the job template adds)."""
        env = {"VMWARE_HOST": self.host, "VMWARE_PORT": str(self.port), "VMWARE_USER": self.username,
               "VMWARE_PASSWORD": self.password, "VMWARE_VALIDATE_CERTS": "True"}
        if ca and self.ca:
            env["VMWARE_CA_PATH"] = self.ca
        return env

    def session(self) -> requests.Session:
        """A new requests.Session logged in to /api (header ``vmware-api-session-id`` set); log it out
        with ``DELETE /api/session`` when the test counts live sessions."""
        s = _plain_session()
        s.verify = self.verify
        r = s.post(self.url + "/api/session", auth=(self.username, self.password), timeout=30)
        if r.status_code >= 400:
            raise SimulatorError(f"POST /api/session -> {r.status_code}: {r.text[:300]}")
        s.headers["vmware-api-session-id"] = r.json()
        return s

    # ------------------------------------------------------------------ admin API
    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """One admin call; ``path`` is "/sim/state" or just "state". Raises SimulatorError on HTTP >= 400."""
        path = path if path.startswith("/sim/") else "/sim/" + path.lstrip("/")
        kwargs: dict[str, Any] = {"verify": self.verify, "timeout": 120}
        if body is not None:
            kwargs["json"] = body
        r = self._http.request(method, self.url + path, **kwargs)
        if r.status_code >= 400:
            raise SimulatorError(f"{method} {path} -> {r.status_code}: {r.text[:500]}")
        return r.json() if r.content else None

    def admin_get(self, path: str) -> Any:
        return self.admin("GET", path)

    def admin_post(self, path: str, json_body: Any = None) -> Any:
        return self.admin("POST", path, json_body)

    def admin_delete(self, path: str) -> None:
        self.admin("DELETE", path)

    def state(self) -> dict[str, Any]:
        """``GET /sim/state``: datacenters, clusters, hosts, VMs, tasks, durations, time scale."""
        return self.admin("GET", "state")

    def counters(self) -> dict[str, Any]:
        """``GET /sim/counters``: logins, logouts, live sessions, calls per endpoint, SOAP methods,
        maintenance-mode host-seconds, evacuations, reboots, scans, downloads, installs; live patch: fsrs,
        live_patched_hosts, partial_maintenance_host_seconds."""
        return self.admin("GET", "counters")

    def calls(self, key: str) -> int:
        """How often an endpoint was called, e.g. ``"POST /api/esx/settings/clusters/{cluster}/software?action=scan"``."""
        return int(self.counters().get("calls", {}).get(key, 0))

    def events(self) -> list[dict[str, Any]]:
        """``GET /sim/events``: host phases as they ended, in order: {"host", "phase", "start", "end"}
        (epoch seconds; phases ``download``, ``evacuate``, ``maintenance``, ``install``, ``reboot``; live patch:
        ``partial_maintenance``, ``hostd_restart``, ``fsr``)."""
        return self.admin("GET", "events")

    def mutating_calls(self, since: Mapping[str, Any] | None = None) -> dict[str, int]:
        """Mutating calls since the counters snapshot ``since`` (None: since the last reset); see
        :func:`mutating_calls` for what mutates. ``{}`` is the promise of every bad-input test."""
        return mutating_calls(self.counters(), since)

    def issued_sessions(self) -> list[str]:
        """``GET /sim/sessions``: every REST and SOAP session id the simulator issued since it started."""
        return [item["id"] for item in self.admin("GET", "sessions")["issued"]]

    def add_faults(self, faults: Mapping[str, Any] | list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``POST /sim/faults`` (one fault or a list, all or nothing); returns the stored faults."""
        return self.admin("POST", "faults", faults if isinstance(faults, list) else [faults])

    def faults(self) -> list[dict[str, Any]]:
        """The faults not consumed yet (a fault with ``count`` N leaves the list after its N-th match)."""
        return self.admin("GET", "faults")

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def reset(self) -> None:
        """Back to the scenario: state, sessions, tasks, faults, counters and events."""
        self.admin("POST", "reset")

    def ids(self) -> Ids:
        return Ids(self.state())

    def wait_sessions_closed(self, timeout: float = 5.0) -> dict[str, int]:
        """Live sessions once none is left or ``timeout`` seconds passed (a logout may land a moment after
        ansible-playbook returns); the caller asserts on the returned counts."""
        deadline = time.monotonic() + timeout
        while True:
            live = self.counters()["live_sessions"]
            if not any(live.values()) or time.monotonic() > deadline:
                return live
            time.sleep(0.05)

    # ------------------------------------------------------------------ lifetime
    @classmethod
    def attach(cls, state_dir: str | Path) -> SimulatorHandle:
        """The handle of a simulator already running with ``--state-dir state_dir`` (not stopped by stop())."""
        state = Path(state_dir).resolve()
        info = json.loads((state / "server.json").read_text())
        return cls(url=info["url"].rstrip("/"), ca=info.get("ca"), username=info["username"],
                   password=info["password"], state_dir=state, info=info)

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the simulator this handle started (SIGTERM, then SIGKILL); its exit code."""
        self._http.close()
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(scenario: str | Path, time_scale: float = 0.0005,
                    state_dir: str | Path = ".state/vlcmsim-test", port: int = 0,
                    extra_args: Iterable[str] = (), startup_timeout: float = 30.0,
                    require_ca: bool = False) -> SimulatorHandle:
    """Start ``python -m vlcmsim`` and wait until it serves; raises SimulatorError with its output if not.

    ``require_ca``: refuse a simulator without HTTPS (``--insecure-http``), for tests of certificate handling."""
    state = Path(state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    info_path = state / "server.json"
    if info_path.exists():
        info_path.unlink()
    cmd = [sys.executable, "-m", "vlcmsim", "--scenario", str(scenario), "--port", str(port),
           "--time-scale", repr(time_scale), "--state-dir", str(state), *extra_args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    log = open(state / "simulator.log", "w")   # noqa: SIM115 - owned by the process lifetime
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.close()
            raise SimulatorError(f"vlcmsim exited with {proc.returncode}: "
                                 f"{(state / 'simulator.log').read_text()[-2000:]}")
        if info_path.exists():
            try:
                info = json.loads(info_path.read_text())
            except ValueError:
                info = None
            if info and info.get("pid") == proc.pid:
                handle = SimulatorHandle(url=info["url"].rstrip("/"), ca=info.get("ca"), username=info["username"],
                                         password=info["password"], state_dir=state, process=proc, info=info)
                if require_ca and not handle.ca:
                    handle.stop()
                    raise SimulatorError("vlcmsim started without HTTPS (no CA in server.json)")
                return handle
        time.sleep(0.02)
    proc.kill()
    proc.wait(5)
    raise SimulatorError(f"vlcmsim did not start within {startup_timeout}s: "
                         f"{(state / 'simulator.log').read_text()[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vlcmsim.testing",
                                     description="Facts of a running simulator, for shells and Makefiles.")
    sub = parser.add_subparsers(dest="command", required=True)
    env = sub.add_parser("env", help="print the VMWARE_* variables as export lines")
    env.add_argument("state_dir", type=Path, help="the simulator's --state-dir (it holds server.json)")
    env.add_argument("--no-ca", action="store_true", help="leave VMWARE_CA_PATH out")
    args = parser.parse_args(argv)
    handle = SimulatorHandle.attach(args.state_dir)
    for key, value in handle.env(ca=not args.no_ca).items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
