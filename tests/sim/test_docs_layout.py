"""docs/development.md names every file of plugins/ and of the simulator package, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def layout_paths() -> set[str]:
    text = (REPO / "docs" / "development.md").read_text()
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return {m.group(0) for m in re.finditer(r"(?:plugins|simulator)/[\w./-]+\.\w+", block)}


def actual_paths() -> set[str]:
    found = set()
    for root in ("plugins", "simulator/vlcmsim"):
        for path in (REPO / root).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.add(path.relative_to(REPO).as_posix())
    return found


def test_every_file_is_in_the_layout_and_nothing_else():
    documented, actual = layout_paths(), actual_paths()
    assert len(actual) > 50
    assert sorted(actual - documented) == [], "add these to the Layout section of docs/development.md"
    assert sorted(documented - actual) == [], "these are in docs/development.md but do not exist"
