# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration harness: a vlcmsim process over HTTPS, and ansible-playbook runs against it.

Reusable by every module's tests (see tests/integration/conftest.py for the fixtures):

    def test_x(sim, run_playbook):
        result = run_playbook(TASKS_YAML)             # YAML text or a path; env VMWARE_* set to the sim
        assert result.ok and result.task("check")["status"] == "COMPLIANT"
        assert sim.counters()["live_sessions"]["rest"] == 0

The simulator is started with its test helper ``vlcmsim.testing.start_simulator`` (CLI on port 0,
``DIR/server.json``); only these tests import it, never the collection.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"


class SimError(RuntimeError):
    pass


@dataclass
class Simulator:
    """A running vlcmsim: connection facts from server.json and its /sim admin API."""

    url: str
    host: str
    port: int
    username: str
    password: str
    ca: str
    state_dir: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.url}/sim/{path.lstrip('/')}", json=body, verify=self.ca,
                                    timeout=30)
        if response.status_code >= 400:
            raise SimError(f"{method} /sim/{path} -> {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def counters(self) -> dict[str, Any]:
        return self._admin("GET", "counters")

    def state(self) -> dict[str, Any]:
        return self._admin("GET", "state")

    def reset(self) -> None:
        self._admin("POST", "reset")

    def add_faults(self, faults: dict[str, Any] | list[dict[str, Any]]) -> Any:
        return self._admin("POST", "faults", faults)

    def faults(self) -> Any:
        return self._admin("GET", "faults")

    def clear_faults(self) -> None:
        self._admin("DELETE", "faults")

    def calls(self, key: str) -> int:
        """How often an endpoint was called, e.g. ``"POST /api/esx/settings/clusters/{cluster}/software?action=scan"``."""
        return int(self.counters().get("calls", {}).get(key, 0))

    def wait_sessions_closed(self, timeout: float = 5.0) -> dict[str, int]:
        """Live sessions after the last run (a logout may land a moment after ansible-playbook returns)."""
        deadline = time.monotonic() + timeout
        while True:
            live = self.counters()["live_sessions"]
            if (live.get("rest", 0) == 0 and live.get("soap", 0) == 0) or time.monotonic() > deadline:
                return live
            time.sleep(0.1)

    def env(self, *, ca: bool = True) -> dict[str, str]:
        """The VMWARE_* variables AWX's VMware credential would inject (plus VMWARE_CA_PATH)."""
        env = {"VMWARE_HOST": self.host, "VMWARE_PORT": str(self.port), "VMWARE_USER": self.username,
               "VMWARE_PASSWORD": self.password}
        if ca:
            env["VMWARE_CA_PATH"] = self.ca
        return env

    def stop(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.stop()
            return
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_simulator(state_dir: Path, *, scenario: str = "tiny", time_scale: float = 0.002,
                    startup_timeout: float = 60.0, extra_args: list[str] | None = None) -> Simulator:
    """Start vlcmsim on 127.0.0.1 and a free port with the simulator's own test helper.

    Only test code touches ``vlcmsim`` (its documented ``vlcmsim.testing.start_simulator``); the
    collection never imports it.
    """
    from vlcmsim.testing import start_simulator as _start

    handle = _start(scenario, time_scale=time_scale, state_dir=state_dir, port=0,
                    extra_args=list(extra_args or []), startup_timeout=startup_timeout)
    info = handle.info
    if not info.get("ca"):
        handle.stop()
        raise SimError("vlcmsim started without HTTPS (no CA in server.json); the tests need HTTPS")
    sim = Simulator(url=info["url"].rstrip("/"), host=info["host"], port=int(info["port"]),
                    username=info["username"], password=info["password"], ca=info["ca"],
                    state_dir=Path(state_dir), process=handle.process)
    sim._handle = handle  # type: ignore[attr-defined]  # stop() below also closes the helper's session
    return sim


def collections_tree(root: Path) -> Path:
    """``root/ansible_collections/vsphere/lifecycle`` -> this repository; returns the value for ANSIBLE_COLLECTIONS_PATH."""
    link = root / "ansible_collections" / "vsphere" / "lifecycle"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO, target_is_directory=True)
    return root


@dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    records: list[dict[str, Any]]
    playbook: str

    @property
    def ok(self) -> bool:
        return self.rc == 0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def task(self, name: str) -> dict[str, Any]:
        """The result of the (last) task called ``name``; raises KeyError listing the tasks seen."""
        for record in reversed(self.records):
            if record["task"] == name:
                return record["result"]
        raise KeyError(f"no task {name!r}; tasks: {[r['task'] for r in self.records]}\n{self.output[-3000:]}")

    def status(self, name: str) -> str:
        for record in reversed(self.records):
            if record["task"] == name:
                return record["status"]
        raise KeyError(name)


def wrap_tasks(tasks_yaml: str, *, module_defaults: dict[str, Any] | None = None) -> str:
    """A localhost play around ``tasks_yaml`` (a YAML list of tasks)."""
    head = "- hosts: localhost\n  connection: local\n  gather_facts: false\n"
    if module_defaults:
        head += "  module_defaults:\n    group/vsphere.lifecycle.vcenter:\n"
        for key, value in module_defaults.items():
            head += f"      {key}: {json.dumps(value)}\n"
    return head + "  tasks:\n" + textwrap.indent(textwrap.dedent(tasks_yaml).strip() + "\n", "    ")


def is_play(text: str) -> bool:
    """True when ``text`` is a whole playbook (a list of plays), not a list of tasks."""
    body = textwrap.dedent(text).lstrip()
    return body.startswith("- hosts:") or (body.startswith("- name:") and "\n  hosts:" in body)


class PlaybookRunner:
    """Runs ansible-playbook with the collection on ANSIBLE_COLLECTIONS_PATH and a results callback."""

    def __init__(self, workdir: Path, collections_path: Path) -> None:
        self.workdir = workdir
        self.collections_path = collections_path
        self.count = 0

    def __call__(self, playbook: str | Path, *, env: dict[str, str] | None = None,
                 extra_args: list[str] | None = None, timeout: float = 300.0) -> PlaybookResult:
        self.count += 1
        run_dir = Path(tempfile.mkdtemp(prefix=f"run{self.count:03}-", dir=self.workdir))
        if isinstance(playbook, Path):
            path = playbook
        elif "\n" not in playbook and playbook.endswith((".yml", ".yaml")):
            path = Path(playbook)
        else:
            text = playbook if is_play(playbook) else wrap_tasks(playbook)
            path = run_dir / "playbook.yml"
            path.write_text(text)
        results = run_dir / "results.jsonl"
        base = {k: v for k, v in os.environ.items() if not k.startswith("VMWARE_") and not k.startswith("ANSIBLE_")}
        run_env = dict(base)
        run_env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections_path),
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
            "ANSIBLE_CALLBACKS_ENABLED": "results_json",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_HOME": str(self.workdir / "ansible_home"),
            "ANSIBLE_LOCAL_TEMP": str(run_dir / "tmp"),
            "VLCM_TEST_RESULTS": str(results),
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        })
        run_env.update(env or {})
        cmd = [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", str(path), *(extra_args or [])]
        proc = subprocess.run(cmd, env=run_env, cwd=str(run_dir), capture_output=True, text=True, timeout=timeout)
        records = []
        if results.exists():
            records = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
        return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, records, path.read_text())
