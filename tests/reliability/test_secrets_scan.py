# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Negative controls of the suite-wide secrets scan (secrets_plugin.py): it finds a planted password and a planted
session id, names file and line, and a pytest session whose test leaks one fails."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from .secrets_plugin import REPO, collect_secrets, planted, report, repository_digests, scan

HERE = Path(__file__).resolve().parent


def data_dir(tmp_path: Path) -> Path:
    """Where a test plants its secrets: under tmp_path, which is marked so that the suite-wide scan skips it."""
    planted(tmp_path, "negative control of the secrets scan: fake secrets written on purpose")
    return tmp_path / "data"


def fake_sim_dir(root: Path, password: str = "s3cret-Pw!", sids: tuple[str, ...] = ("a" * 32,)) -> Path:
    sim = root / "vlcmsim0"
    sim.mkdir(parents=True)
    (sim / "simulator.log").write_text(f"vlcmsim ready\nurl: https://127.0.0.1:1\npassword: {password}\n")
    (sim / "sessions-issued.txt").write_text("".join(s + "\n" for s in sids))
    return sim


def test_the_scan_finds_a_planted_password_and_session_id_with_file_and_line(tmp_path):
    tmp_path = data_dir(tmp_path)
    fake_sim_dir(tmp_path, sids=("0123456789abcdef0123456789abcdef",))
    run = tmp_path / "run001"
    run.mkdir(parents=True)
    (run / "stdout.txt").write_text("ok\nok\nTASK [x] sid=0123456789abcdef0123456789abcdef\n")
    (run / "results.jsonl").write_text(json.dumps({"msg": "login as admin with s3cret-Pw! failed"}) + "\n")
    secrets = collect_secrets([tmp_path])
    hits, files = scan([tmp_path], secrets)
    found = sorted(str(h) for h in hits)
    assert found == [f"{run / 'results.jsonl'}:1: the simulator password",
                     f"{run / 'stdout.txt'}:3: a session id issued by the simulator of {tmp_path / 'vlcmsim0'}"]
    assert files == 3            # the two outputs and simulator.log; sessions-issued.txt is the list itself


def test_the_simulators_own_records_are_not_hits(tmp_path):
    tmp_path = data_dir(tmp_path)
    # control: nothing but the simulator's own credential records -> 0 hits, and they were looked at
    fake_sim_dir(tmp_path)
    hits, files = scan([tmp_path], collect_secrets([tmp_path]))
    assert hits == [] and files == 1


def test_runner_command_record_only_allows_the_env_value(tmp_path):
    tmp_path = data_dir(tmp_path)
    fake_sim_dir(tmp_path)
    cmd = tmp_path / "job" / "artifacts" / "ident" / "command"
    cmd.parent.mkdir(parents=True)
    cmd.write_text(json.dumps({"command": ["ansible-playbook"], "env": {"VMWARE_PASSWORD": "s3cret-Pw!"}}))
    assert scan([tmp_path], collect_secrets([tmp_path]))[0] == []
    cmd.write_text(json.dumps({"command": ["ansible-playbook", "-e", "pw=s3cret-Pw!"],
                               "env": {"VMWARE_PASSWORD": "s3cret-Pw!"}}))
    hits, _ = scan([tmp_path], collect_secrets([tmp_path]))
    assert [h.path for h in hits] == [cmd]


def test_a_planted_directory_is_skipped_and_named(tmp_path):
    tmp_path = data_dir(tmp_path)
    fake_sim_dir(tmp_path)
    control = tmp_path / "control"
    planted(control, "a negative control writes the password on purpose")
    (control / "leak.txt").write_text("s3cret-Pw!\n")
    result = report([tmp_path])
    assert result["hits"] == [] and result["planted_dirs_skipped"] == [str(control)]


def test_a_pytest_session_that_leaks_a_secret_fails_naming_file_and_line(tmp_path):
    """End to end: the fixture as tests/conftest.py uses it, in a pytest session of its own whose one test writes
    a fake simulator's session id into an output file."""
    tmp_path = data_dir(tmp_path)
    suite = tmp_path / "suite"
    suite.mkdir(parents=True)
    (suite / "conftest.py").write_text("from reliability.secrets_plugin import secrets_scan  # noqa: F401\n")
    (suite / "test_leak.py").write_text(textwrap.dedent('''
        def test_writes_a_session_id(tmp_path):
            sim = tmp_path / "sim"
            sim.mkdir()
            (sim / "sessions-issued.txt").write_text("feedfacefeedfacefeedfacefeedface\\n")
            (tmp_path / "out.log").write_text("line one\\nsession feedfacefeedfacefeedfacefeedface\\n")
        '''))
    env_path = str(HERE.parent)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite),
                           "--basetemp", str(tmp_path / "bt")], capture_output=True, text=True,
                          env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, cwd=str(suite))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 passed, 1 error" in proc.stdout
    assert "secrets scan: 1 secret(s) found" in proc.stdout
    assert "out.log:2: a session id issued by the simulator of" in proc.stdout
    # control: the same session without the leak passes
    (suite / "test_leak.py").write_text(textwrap.dedent('''
        def test_writes_no_secret(tmp_path):
            (tmp_path / "sim").mkdir()
            (tmp_path / "sim" / "sessions-issued.txt").write_text("feedfacefeedfacefeedfacefeedface\\n")
            (tmp_path / "out.log").write_text("nothing here\\n")
        '''))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite),
                           "--basetemp", str(tmp_path / "bt2")], capture_output=True, text=True,
                          env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, cwd=str(suite))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_copy_of_a_repository_file_is_not_an_output(tmp_path):
    tmp_path = data_dir(tmp_path)
    fake_sim_dir(tmp_path, password="VMware1!")
    source = REPO / "simulator" / "vlcmsim" / "model.py"         # holds vlcmsim's default password
    (tmp_path / "model.py").write_bytes(source.read_bytes())
    (tmp_path / "model-edited.py").write_bytes(source.read_bytes() + b"# changed\n")
    hits, _ = scan([tmp_path], collect_secrets([tmp_path]), repository_digests())
    assert {h.path.name for h in hits} == {"model-edited.py"}     # the copy is skipped, anything else is not
