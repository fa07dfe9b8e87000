# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration harness: a vlcmsim process over HTTPS, and ansible-playbook runs against it.

Reusable by every module's tests (see tests/integration/conftest.py for the fixtures):

    def test_x(sim, run_playbook):
        result = run_playbook(TASKS_YAML)             # YAML text or a path; env VMWARE_* set to the sim
        assert result.ok and result.task("check")["status"] == "COMPLIANT"
        assert sim.counters()["live_sessions"]["rest"] == 0

The simulator and its client are ``vlcmsim.testing`` (``start_simulator`` -> ``SimulatorHandle``: CLI on
port 0, ``DIR/server.json``, the /sim admin API, the VMWARE_* environment); only tests import it, never
the collection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vlcmsim.testing import SimulatorError, SimulatorHandle
from vlcmsim.testing import start_simulator as _start

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"


# The simulator client is vlcmsim's own (one for every suite and benchmark); these names stay for the tests
# that import them from here.
Simulator = SimulatorHandle
SimError = SimulatorError


def start_simulator(state_dir: Path, *, scenario: str = "tiny", time_scale: float = 0.002,
                    startup_timeout: float = 60.0, extra_args: list[str] | None = None) -> SimulatorHandle:
    """vlcmsim on 127.0.0.1 and a free port, HTTPS with its CA (``vlcmsim.testing.start_simulator``)."""
    return _start(scenario, time_scale=time_scale, state_dir=state_dir, extra_args=extra_args or (),
                  startup_timeout=startup_timeout, require_ca=True)


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
        # kept on disk for the suite-wide secrets scan (tests/reliability/secrets_plugin.py)
        (run_dir / "stdout.txt").write_text(proc.stdout)
        (run_dir / "stderr.txt").write_text(proc.stderr)
        records = []
        if results.exists():
            records = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
        return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, records, path.read_text())
