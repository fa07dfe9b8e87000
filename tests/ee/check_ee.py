#!/usr/bin/env python3
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make ee-check`: the execution-environment definition, checked offline with ansible-builder.

ansible-builder builds an image in stages; every stage that does not need a container engine or the
network is run here, on a temporary copy:

1. the collection's own EE metadata (meta/execution-environment.yml, the file ansible-builder reads from
   every installed collection): its dependency files exist; the pip file parses as requirements, the
   bindep file as bindep; it names every package of requirements.txt and the pins there satisfy it;
2. ``ansible-galaxy collection build``: the tarball carries that metadata;
3. ``ansible-builder create -f tests/ee/execution-environment.yml`` (an EE with this collection): the
   build context (Containerfile, _build/requirements.yml, the collection tarball);
4. the context's galaxy stage: ``ansible-galaxy collection install -r _build/requirements.yml`` from
   _build (the collection is a local file: no network);
5. the context's builder stage: the context's own ``_build/scripts/introspect.py`` on what step 4
   installed: the Python requirements it assembles must list pyvmomi and requests from
   vsphere.lifecycle, the system ones python3 and ca-certificates.

Exit status 1 with the failed check named; prints what it found. Runs in a few seconds.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import yaml
from bindep.depends import Depends
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EE_FILE = REPO / "tests" / "ee" / "execution-environment.yml"
COLLECTION = "vsphere.lifecycle"
EXPECTED_PYTHON = {"jsonschema", "pyvmomi", "requests"}   # jsonschema: image specs (_image.py)
EXPECTED_SYSTEM = {"python3", "ca-certificates"}


class CheckFailed(Exception):
    pass


def run(cmd: list[str], cwd: Path) -> str:
    proc = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise CheckFailed(f"{' '.join(cmd)} (in {cwd}) failed with rc {proc.returncode}:\n"
                          f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc.stdout


def requirement_lines(text: str) -> list[str]:
    return [ln.split("#", 1)[0].strip() for ln in text.splitlines() if ln.split("#", 1)[0].strip()]


def parse_requirements(text: str, where: str) -> dict[str, Requirement]:
    found = {}
    for line in requirement_lines(text):
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            raise CheckFailed(f"{where}: not a pip requirement: {line!r} ({exc})") from exc
        found[canonicalize_name(req.name)] = req
    return found


def check_collection_metadata() -> dict[str, Requirement]:
    """Step 1; returns the collection's Python requirements."""
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    if not isinstance(meta, dict) or not isinstance(meta.get("dependencies"), dict):
        raise CheckFailed("meta/execution-environment.yml: no 'dependencies' mapping")
    deps = meta["dependencies"]
    unknown = set(deps) - {"python", "system", "galaxy"}
    if unknown:
        raise CheckFailed(f"meta/execution-environment.yml: unknown dependency keys {sorted(unknown)}")
    files = {}
    for key in ("python", "system"):
        if not isinstance(deps.get(key), str):
            raise CheckFailed(f"meta/execution-environment.yml: dependencies.{key} must name a file")
        path = REPO / deps[key]  # relative to the collection root, as ansible-builder's introspection reads it
        if not path.is_file():
            raise CheckFailed(f"meta/execution-environment.yml: dependencies.{key}: {deps[key]} does not exist")
        files[key] = path
    python = parse_requirements(files["python"].read_text(), deps["python"])
    try:
        Depends(files["system"].read_text())
    except Exception as exc:  # bindep raises parsley's ParseError (no common base class)
        raise CheckFailed(f"{deps['system']}: not a bindep file: {exc}") from exc
    pinned = parse_requirements((REPO / "requirements.txt").read_text(), "requirements.txt")
    for name, pin in pinned.items():
        if name not in python:
            raise CheckFailed(f"{deps['python']} does not list {name} (requirements.txt does)")
        versions = [s.version for s in pin.specifier if s.operator == "=="]
        for version in versions:
            if not python[name].specifier.contains(version, prereleases=True):
                raise CheckFailed(f"requirements.txt pins {name}=={version}, outside {deps['python']}: "
                                  f"{python[name]}")
    return python


def check_tarball(dist: Path) -> Path:
    """Step 2."""
    run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist), str(REPO)], REPO)
    tarballs = sorted(dist.glob("vsphere-lifecycle-*.tar.gz"))
    if len(tarballs) != 1:
        raise CheckFailed(f"ansible-galaxy collection build made {tarballs}")
    with tarfile.open(tarballs[0]) as tar:
        names = set(tar.getnames())
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())["dependencies"]
    for member in ("meta/execution-environment.yml", meta["python"], meta["system"]):
        if member not in names:
            raise CheckFailed(f"the collection tarball lacks {member}")
    return tarballs[0]


def check_context(work: Path, tarball: Path) -> Path:
    """Step 3: ansible-builder create; returns the context dir."""
    src = work / "ee"
    src.mkdir()
    shutil.copy(EE_FILE, src / "execution-environment.yml")
    shutil.copy(tarball, src / "vsphere-lifecycle.tar.gz")
    context = work / "context"
    run([str(BIN / "ansible-builder"), "create", "-f", str(src / "execution-environment.yml"), "-c", str(context),
         "--output-filename", "Containerfile"], src)
    containerfile = (context / "Containerfile").read_text()
    for needle in ("ansible-galaxy collection install", "introspect", "assemble", "install-from-bindep",
                   "ansible-core==", "ansible-runner=="):
        if needle not in containerfile:
            raise CheckFailed(f"the generated Containerfile has no {needle!r}")
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    names = [c["name"] for c in requirements.get("collections", [])]
    if names != ["collections/vsphere-lifecycle.tar.gz"]:
        raise CheckFailed(f"_build/requirements.yml collections: {names}")
    if not (context / "_build" / "collections" / "vsphere-lifecycle.tar.gz").is_file():
        raise CheckFailed("the build context does not carry the collection tarball")
    return context


def check_stages(work: Path, context: Path) -> tuple[list[str], list[str]]:
    """Steps 4 and 5: (python requirement lines, bindep lines) the builder stage assembles."""
    installed = work / "installed"
    build = context / "_build"
    run([str(BIN / "ansible-galaxy"), "collection", "install", "-r", "requirements.yml", "-p", str(installed)],
        build)
    if not (installed / "ansible_collections" / "vsphere" / "lifecycle" / "MANIFEST.json").is_file():
        raise CheckFailed("the galaxy stage did not install vsphere.lifecycle")
    pip_out, bindep_out = work / "requirements.txt", work / "bindep.txt"
    run([sys.executable, str(build / "scripts" / "introspect.py"), "introspect", str(installed),
         f"--write-pip={pip_out}", f"--write-bindep={bindep_out}"], build)
    pip_lines, bindep_lines = pip_out.read_text().splitlines(), bindep_out.read_text().splitlines()
    ours = [ln for ln in pip_lines if ln.endswith(f"from collection {COLLECTION}")]
    python = {canonicalize_name(Requirement(ln).name) for ln in requirement_lines("\n".join(ours))}
    if python != EXPECTED_PYTHON:
        raise CheckFailed(f"introspection: Python requirements from {COLLECTION}: {sorted(python)}, "
                          f"expected {sorted(EXPECTED_PYTHON)}\n" + "\n".join(pip_lines))
    system = {ln.split()[0] for ln in bindep_lines if ln.endswith(f"from collection {COLLECTION}")}
    if system != EXPECTED_SYSTEM:
        raise CheckFailed(f"introspection: system packages from {COLLECTION}: {sorted(system)}, "
                          f"expected {sorted(EXPECTED_SYSTEM)}\n" + "\n".join(bindep_lines))
    return pip_lines, bindep_lines


def main() -> int:
    global REPO
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="the collection root to check (default: this one)")
    REPO = parser.parse_args().repo.resolve()
    with tempfile.TemporaryDirectory(prefix="ee-check-") as tmp:
        work = Path(tmp)
        try:
            python = check_collection_metadata()
            print(f"ok  meta/execution-environment.yml: python {', '.join(str(r) for r in python.values())}; "
                  "bindep file parses; requirements.txt pins inside")
            tarball = check_tarball(work / "dist")
            print(f"ok  {tarball.name} carries meta/execution-environment.yml and its files")
            context = check_context(work, tarball)
            print("ok  ansible-builder create: Containerfile with galaxy, introspect and bindep stages; "
                  "_build/requirements.yml -> the collection tarball")
            pip_lines, bindep_lines = check_stages(work, context)
        except CheckFailed as exc:
            print(f"ee-check FAILED: {exc}", file=sys.stderr)
            return 1
    print("ok  galaxy stage installed vsphere.lifecycle; builder stage (introspect.py) assembles:")
    for line in pip_lines + bindep_lines:
        print(f"      {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
