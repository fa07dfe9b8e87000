"""The simulator's layers: every import points down, and every module imports alone.

    0 model  ->  1 core/  ->  2 vlcm/  ->  3 scenarios, protocols/  ->  4 server, certs  ->  5 cli, testing

A module may import its own layer or a lower one (never a higher one), and the imports inside a
layer have no cycle. Module-level and function-level imports count alike (a late import is still
an import). A new file is placed by its package (a file added under `core/` is layer 1); a new
top-level file must be added to TOP_LEVEL, so nobody lands a module without choosing its layer.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import vlcmsim

PACKAGE = Path(vlcmsim.__file__).resolve().parent
PACKAGES = {"core": 1, "vlcm": 2, "protocols": 3}
TOP_LEVEL = {"__init__": 0, "model": 0, "scenarios": 3, "server": 4, "certs": 4, "cli": 5, "testing": 5,
             "__main__": 5}


def modules(root: Path) -> dict[str, Path]:
    """Dotted names relative to the package ('core.tasks', 'server', 'core' for core/__init__.py)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
        out[name.removesuffix(".__init__")] = path
    return out


def layer(name: str) -> int:
    top = name.split(".")[0]
    if top in PACKAGES:
        return PACKAGES[top]
    if name in TOP_LEVEL:
        return TOP_LEVEL[name]
    raise AssertionError(f"vlcmsim.{name} has no layer: add it to TOP_LEVEL in {Path(__file__).name} "
                         "or move it into core/, vlcm/ or protocols/")


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """vlcmsim modules that `name` imports (relative and absolute, at any depth of the file)."""
    out: set[str] = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = name.split(".") if is_pkg else name.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(p for p in [*parts, node.module or ""] if p)
            elif (node.module or "").startswith("vlcmsim"):
                base = node.module.removeprefix("vlcmsim").lstrip(".")
            else:
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                out.add(candidate if candidate in known else base)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("vlcmsim."):
                    out.add(alias.name.removeprefix("vlcmsim."))
    out.discard("")
    out.discard(name)
    return out


def violations(root: Path) -> list[str]:
    """Upward imports and cycles inside a layer, as readable lines; empty when the layering holds."""
    mods = modules(root)
    known = set(mods)
    graph = {m: imports(m, p, known) for m, p in mods.items()}
    found = []
    for mod, targets in sorted(graph.items()):
        for target in sorted(targets):
            if target not in known:
                found.append(f"vlcmsim.{mod} imports vlcmsim.{target}, which does not exist")
            elif layer(target) > layer(mod):
                found.append(f"vlcmsim.{mod} (layer {layer(mod)}) imports vlcmsim.{target} (layer {layer(target)})")
    # cycles (within a layer; across layers an upward edge is already reported)
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in known:
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                found.append("import cycle: " + " -> ".join(f"vlcmsim.{c}" for c in cycle))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])
    return found


def test_every_import_points_down() -> None:
    assert violations(PACKAGE) == []


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    """Negative control: the same check on a copy where core/tasks.py imports the server (layer 4)."""
    copy = tmp_path / "vlcmsim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    tasks = copy / "core" / "tasks.py"
    tasks.write_text(tasks.read_text() + "\n\ndef _late() -> None:\n    from ..server import App  # noqa: F401\n")
    found = violations(copy)
    assert "vlcmsim.core.tasks (layer 1) imports vlcmsim.server (layer 4)" in found
    assert all("core.tasks" in v or "server" in v for v in found), found   # nothing else is blamed
    vlcm_apply = copy / "vlcm" / "apply.py"
    vlcm_apply.write_text(vlcm_apply.read_text().replace("from .stage import", "from ..protocols.rest import task_info\n"
                                                                             "from .stage import"))
    assert "vlcmsim.vlcm.apply (layer 2) imports vlcmsim.protocols.rest (layer 3)" in violations(copy)


def test_a_cycle_inside_a_layer_is_caught(tmp_path: Path) -> None:
    copy = tmp_path / "vlcmsim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    images = copy / "vlcm" / "images.py"
    images.write_text(images.read_text() + "\n\ndef _late() -> None:\n    from .apply import apply_impact  # noqa: F401\n")
    assert any(v.startswith("import cycle:") and "vlcmsim.vlcm.images" in v for v in violations(copy))


@pytest.mark.parametrize("chunk", [0, 1])
def test_every_module_imports_alone_in_a_fresh_interpreter(chunk: int) -> None:
    names = [m for m in sorted(modules(PACKAGE)) if m != "__init__"]
    names = names[chunk::2]

    def try_import(mod: str) -> tuple[str, int, str]:
        proc = subprocess.run([sys.executable, "-c", f"import vlcmsim.{mod}"], capture_output=True, text=True,
                              timeout=120)
        return mod, proc.returncode, proc.stderr.strip().splitlines()[-1:] and proc.stderr.strip().splitlines()[-1]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(try_import, names))
    failed = [f"vlcmsim.{mod}: {err}" for mod, rc, err in results if rc != 0]
    assert not failed, failed
    assert len(results) == len(names) and len(names) > 10
