# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The suite-wide secrets check (issue 12): once the whole pytest session is over, every file the suite wrote under
its base temporary directory (module results, ansible-playbook stdout/stderr, ansible-runner artifacts, reports,
exported files, simulator state dirs and logs) is searched for the simulators' passwords and every session id they
issued; one hit fails the session, naming the file, the line and which secret.

Where the secrets come from (all written by the simulators themselves, under the same base directory):

- ``sessions-issued.txt`` in each simulator state dir (vlcmsim appends every REST and SOAP session id it issues);
- the password: ``server.json`` while a simulator runs, the ``password: ...`` line of its ``simulator.log``
  (what ``vlcmsim`` prints at start), and vlcmsim's default password.

What is not a leak (the simulator's and ansible-runner's own records of the credential, nothing a module wrote):

- ``server.json`` and ``sessions-issued.txt`` themselves, the ``password:`` line of ``simulator.log``;
- ansible-runner's ``artifacts/<ident>/command`` holding the password only as the value of ``VMWARE_PASSWORD`` in
  its record of the process environment (mode 0600; AWX stores a redacted copy, see docs/awx.md);
- a file byte-identical to a file of this repository (a test's copy of the sources: vlcmsim's own default password
  is in its source);
- a directory holding a ``SECRETS_PLANTED`` file: a negative control that writes a secret on purpose
  (:func:`planted`); the report names every such directory.

The fixture is imported by tests/conftest.py (autouse, session scope). ``VLCM_SECRETS_REPORT=path`` also writes the
figures (files scanned, secrets known, hits) as JSON for ``make reliability`` (under pytest-xdist one file per
worker, ``<name>-gwN.json``; each worker scans its own base directory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PLANTED = "SECRETS_PLANTED"
ISSUED = "sessions-issued.txt"
DEFAULT_PASSWORD = "VMware1!"          # vlcmsim's default (model.World.password)
MAX_BYTES = 256 * 1024 * 1024          # a file larger than this is scanned in its first MAX_BYTES only


@dataclass(frozen=True)
class Hit:
    path: Path
    line: int
    label: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.label}"


def planted(directory: Path, reason: str) -> Path:
    """Mark ``directory`` as holding a secret on purpose (a negative control); the scan skips it and says so."""
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / PLANTED
    marker.write_text(reason + "\n")
    return marker


def _walk(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if not root.exists():
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            if PLANTED in filenames:
                dirnames[:] = []
                continue
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if path.is_file() and not path.is_symlink():
                    yield path


def planted_dirs(roots: Iterable[Path]) -> list[Path]:
    found = []
    for root in roots:
        if root.exists():
            found.extend(sorted(p.parent for p in root.rglob(PLANTED)))
    return found


def collect_secrets(roots: Iterable[Path]) -> dict[str, str]:
    """secret -> label (never the secret itself): passwords and issued session ids found under ``roots``."""
    secrets = {DEFAULT_PASSWORD: "the simulator password"}
    for path in _walk(roots):
        if path.name == ISSUED:
            for sid in path.read_text(errors="replace").split():
                secrets.setdefault(sid, f"a session id issued by the simulator of {path.parent}")
        elif path.name == "server.json":
            try:
                pw = json.loads(path.read_text()).get("password")
            except (OSError, ValueError, AttributeError):
                pw = None
            if pw:
                secrets[pw] = "the simulator password"
        elif path.name == "simulator.log":
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("password: ") and line[10:].strip():
                    secrets[line[10:].strip()] = "the simulator password"
    return secrets


def _allowed_lines(path: Path, secrets: dict[str, str]) -> set[int] | None:
    """Line numbers where a secret is allowed in this file; None: the whole file is the simulator's own record."""
    if path.name in ("server.json", ISSUED):
        return None
    if path.name == "simulator.log":
        lines = path.read_text(errors="replace").splitlines()
        return {i for i, line in enumerate(lines, 1) if line.startswith("password: ")}
    return set()


def _runner_command_leaks(path: Path, secret: str) -> bool:
    """ansible-runner's artifacts/<ident>/command: a leak unless the secret is only the VMWARE_PASSWORD env value."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return True
    if not isinstance(record, dict) or not isinstance(record.get("env"), dict):
        return True
    env = {k: v for k, v in record["env"].items() if not (k == "VMWARE_PASSWORD" and v == secret)}
    rest = {k: v for k, v in record.items() if k != "env"}
    return secret in json.dumps(env) or secret in json.dumps(rest)


REPO = Path(__file__).resolve().parents[2]


def repository_digests() -> set[str]:
    """SHA-256 of every file git tracks in this repository (empty outside a git work tree)."""
    import hashlib
    import subprocess

    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return set()
    digests = set()
    for name in listing.stdout.decode(errors="replace").split("\0"):
        path = REPO / name
        if name and path.is_file():
            digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    return digests


def scan(roots: Iterable[Path], secrets: dict[str, str], repo_digests: set[str] | None = None) -> tuple[list[Hit], int]:
    """(hits, files scanned) for ``secrets`` in every file under ``roots`` (planted dirs and copies of repository
    files skipped)."""
    import hashlib

    roots = list(roots)
    needles = [(s.encode(), label) for s, label in secrets.items() if s]
    hits: list[Hit] = []
    files = 0
    for path in _walk(roots):
        allowed = _allowed_lines(path, secrets)
        if allowed is None:
            continue
        files += 1
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_BYTES)
        except OSError:
            continue
        is_runner_command = path.name == "command" and path.parent.parent.name == "artifacts"
        if repo_digests and any(n in data for n, _ in needles) \
                and hashlib.sha256(data).hexdigest() in repo_digests:
            continue                      # a copy of a file of this repository, not an output
        for needle, label in needles:
            start = data.find(needle)
            while start >= 0:
                line = data.count(b"\n", 0, start) + 1
                hit = Hit(path, line, label)
                if line not in allowed and hit not in hits and not (
                        is_runner_command and not _runner_command_leaks(path, needle.decode())):
                    hits.append(hit)
                start = data.find(needle, start + 1)
    return hits, files


def report(roots: list[Path]) -> dict[str, object]:
    secrets = collect_secrets(roots)
    hits, files = scan(roots, secrets, repository_digests())
    return {"roots": [str(r) for r in roots], "files_scanned": files, "secrets_known": len(secrets),
            "session_ids_known": sum(1 for label in secrets.values() if label.startswith("a session id")),
            "hits": [str(h) for h in hits], "planted_dirs_skipped": [str(p) for p in planted_dirs(roots)]}


@pytest.fixture(scope="session", autouse=True)
def secrets_scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """At the end of the session: 0 secrets in anything the suite wrote, else fail naming file and line."""
    yield
    roots = [tmp_path_factory.getbasetemp()]
    roots += [Path(p) for p in os.environ.get("VLCM_SECRETS_EXTRA_ROOTS", "").split(os.pathsep) if p]
    result = report(roots)
    out = os.environ.get("VLCM_SECRETS_REPORT")
    if out:
        path = Path(out)
        worker = os.environ.get("PYTEST_XDIST_WORKER")       # one report per pytest-xdist worker
        if worker:
            path = path.with_name(f"{path.stem}-{worker}{path.suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1))
    if result["hits"]:
        pytest.fail(f"secrets scan: {len(result['hits'])} secret(s) found in the suite's outputs "
                    f"(the simulator password or session ids):\n  " + "\n  ".join(result["hits"][:50]),
                    pytrace=False)
