# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An AWX-style job: playbooks/compliance_report.yml through ``ansible_runner.run`` (see docs/awx.md).

The connection is injected the way AWX's VMware vCenter credential does it: environment variables
VMWARE_HOST / VMWARE_USER / VMWARE_PASSWORD / VMWARE_VALIDATE_CERTS (AWX's injector,
``awx/main/models/credential/injectors.py: vmware()``), plus our VMWARE_PORT / VMWARE_CA_PATH (a custom
credential type or the job template's environment), passed as runner ``envvars`` with
``suppress_env_files=True`` (AWX's ``AWX_RUNNER_OMIT_ENV_FILES``, default True).

The simulator runs with a random password so that any occurrence of it in the private data dir is a leak.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from vlcmsim.testing import SimulatorHandle

from .harness import REPO, VENV_BIN, start_simulator

ansible_runner = pytest.importorskip("ansible_runner")

SIM_SCENARIO = "demo"
REST_ONLY = True
PASSWORD = "Awx-" + secrets.token_urlsafe(18)
IDENT = "awx-job-1"
# what AWX's vmware() injector sets (VMWARE_VALIDATE_CERTS = str(settings.VMWARE_VALIDATE_CERTS))
AWX_VMWARE_KEYS = ("VMWARE_HOST", "VMWARE_USER", "VMWARE_PASSWORD", "VMWARE_VALIDATE_CERTS")


@pytest.fixture(scope="module")
def sim_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    """This module's simulator: the demo scenario with a password no other file can contain by chance."""
    server = start_simulator(tmp_path_factory.mktemp("vlcmsim"), scenario=SIM_SCENARIO, time_scale=0.002,
                             extra_args=["--password", PASSWORD])
    try:
        yield server
    finally:
        server.stop()

FLEET_TASK = "Check compliance of the clusters and standalone hosts, write the report"
ROLE = "vsphere.lifecycle.compliance_report : "

def private_data_dir(root: Path) -> Path:
    """What AWX lays out for a job: project/ (the playbooks), inventory/ (localhost, local connection)."""
    shutil.copytree(REPO / "playbooks", root / "project")
    (root / "inventory").mkdir()
    (root / "inventory" / "hosts").write_text("localhost ansible_connection=local\n")
    return root


def run_job(sim: SimulatorHandle, pdd: Path, collections_path: Path, monkeypatch: pytest.MonkeyPatch, *,
            extravars: dict[str, Any] | None = None, suppress_env_files: bool = True) -> Any:
    # runner starts from os.environ: nothing of ours may come from there, only from envvars
    for key in list(os.environ):
        if key.startswith(("VMWARE_", "ANSIBLE_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    envvars = sim.env()   # AWX's VMware credential injection + our port and CA path
    assert set(AWX_VMWARE_KEYS) <= set(envvars)
    envvars.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_HOME": str(pdd / ".ansible_home"),
        "ANSIBLE_LOCAL_TEMP": str(pdd / ".ansible_tmp"),
    })
    return ansible_runner.run(private_data_dir=str(pdd), ident=IDENT, playbook="compliance_report.yml",
                              inventory=str(pdd / "inventory" / "hosts"), envvars=envvars,
                              extravars=extravars or {}, suppress_env_files=suppress_env_files, quiet=True,
                              settings={"job_timeout": 300})


def files_containing(root: Path, secret: str, *, skip: tuple[Path, ...] = ()) -> list[str]:
    """Every file under ``root`` (recursively, not following links) whose bytes contain ``secret``."""
    needle = secret.encode()
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file() or path in skip:
            continue
        if needle in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found


def command_artifact(pdd: Path) -> tuple[Path, dict[str, Any]]:
    path = pdd / "artifacts" / IDENT / "command"
    return path, json.loads(path.read_text())


def leaks(pdd: Path, secret: str) -> list[str]:
    """Where ``secret`` is stored in the private data dir, with one exception: runner's ``command`` artifact
    may hold it as the value of VMWARE_PASSWORD in its record of the process environment (see docs/awx.md);
    anywhere else in that record (command line, cwd, another variable) is a leak."""
    command_path, command = command_artifact(pdd)
    found = files_containing(pdd, secret, skip=(command_path,))
    env = {k: v for k, v in command["env"].items() if k != "VMWARE_PASSWORD"}
    for part, value in (("command line", command["command"]), ("cwd", command["cwd"]), ("env", env)):
        if secret in json.dumps(value):
            found.append(f"{command_path.relative_to(pdd)} ({part})")
    return found


def test_awx_style_job_leaves_no_password_in_artifacts(sim, collections_path, tmp_path, monkeypatch, counters):
    pdd = private_data_dir(tmp_path / "job")
    runner = run_job(sim, pdd, collections_path, monkeypatch)
    stdout = (pdd / "artifacts" / IDENT / "stdout").read_text()
    assert runner.status == "successful" and runner.rc == 0, stdout[-3000:]

    # the per-cluster results and the summary are job events, as AWX shows them
    events = list(runner.events)
    managed = sorted(c["name"] for c in sim.state()["clusters"] if c["image_managed"])
    assert {"Cluster-A", "Cluster-B"} <= set(managed)
    # (since issue 12 one task checks every cluster: role compliance_report, module fleet_compliance)
    check_events = [e for e in events if e["event"] == "runner_on_ok"
                    and e["event_data"].get("task") == FLEET_TASK]
    assert len(check_events) == 1
    res = check_events[0]["event_data"]["res"]
    assert sorted(c["target"]["name"] for c in res["clusters"]) == managed
    for cluster in res["clusters"]:
        assert cluster["counts"]["total"] == 4 and cluster["status"] == "NON_COMPLIANT"
    assert res["report_files"]["html"].endswith("compliance-report.html")
    summary = [e for e in events if e["event"] == "runner_on_ok"
               and e["event_data"].get("task") in ("Compliance summary", ROLE + "Compliance summary")]
    assert len(summary) == 1
    lines = "\n".join(summary[0]["event_data"]["res"]["msg"])
    for cluster in managed:
        assert f"cluster {cluster}:" in lines
    assert runner.stats["ok"] and not runner.stats["failures"]

    # every cluster was scanned by a REST-only run, and every session is logged out (also checked by `sim`)
    calls = counters()["calls"]
    assert calls.get("POST /api/esx/settings/clusters/{cluster}/software?action=scan", 0) == len(managed)
    assert sim.wait_sessions_closed() == {"rest": 0, "soap": 0}

    # AWX_RUNNER_OMIT_ENV_FILES: runner wrote no env/ files (envvars would be env/envvars in plain text)
    assert not (pdd / "env").exists()
    # the password is in no file of the private data dir: stdout, job_events, fact cache, status, rc,
    # inventory, project ... except runner's own `command` record of the process environment
    assert leaks(pdd, PASSWORD) == []
    assert PASSWORD not in stdout and not any(PASSWORD in json.dumps(e) for e in events)
    # runner (2.4.3, Runner.run) always writes artifacts/<ident>/command = {command, cwd, env}, mode 0600,
    # with the full process environment; AWX stores only a redacted copy (build_safe_env) and deletes the
    # private data dir after the job (AWX_CLEANUP_PATHS). The password is in there only as that env value:
    command_path, command = command_artifact(pdd)
    assert command_path.stat().st_mode & 0o077 == 0
    assert command["env"]["VMWARE_PASSWORD"] == PASSWORD


def test_without_suppress_env_files_runner_writes_the_password(sim, collections_path, tmp_path, monkeypatch):
    """Control: runner's default dumps envvars to env/envvars in plain text, which is why AWX omits env files."""
    pdd = private_data_dir(tmp_path / "job")
    runner = run_job(sim, pdd, collections_path, monkeypatch, suppress_env_files=False)
    assert runner.status == "successful", (pdd / "artifacts" / IDENT / "stdout").read_text()[-3000:]
    assert "env/envvars" in leaks(pdd, PASSWORD)
    assert json.loads((pdd / "env" / "envvars").read_text())["VMWARE_PASSWORD"] == PASSWORD


def test_password_as_extra_var_leaks_into_artifacts(sim, collections_path, tmp_path, monkeypatch):
    """Negative control: the leak check can fail. A password passed as an extra var (what docs/awx.md forbids)
    is written into the job artifacts even with env files suppressed (and although it is never logged by the
    playbook: the modules' password option is no_log, and this var is not even used)."""
    pdd = private_data_dir(tmp_path / "job")
    runner = run_job(sim, pdd, collections_path, monkeypatch, extravars={"vmware_password": PASSWORD})
    assert runner.status == "successful", (pdd / "artifacts" / IDENT / "stdout").read_text()[-3000:]
    # the same check as above finds it: on the ansible-playbook command line that runner records (AWX also
    # writes extra vars to env/extravars and shows them on the job to everyone who can see the job)
    assert leaks(pdd, PASSWORD) == [f"artifacts/{IDENT}/command (command line)"]
