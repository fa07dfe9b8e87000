"""What the playbook benchmarks share: a simulator (``vlcmsim.testing``, the client the tests use too), the
environment of an Ansible run against it, timed commands, and how repeated measurements are summarised."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vlcmsim.testing import SimulatorHandle, start_simulator

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


class Workbench:
    """One simulator on 127.0.0.1 (a free port, a private state dir) and the environment of ``ansible`` /
    ``ansible-playbook`` runs against it: the collection linked into ``workdir/collections`` and the
    connection only in the ``VMWARE_*`` variables AWX's credential would inject (``SimulatorHandle.env``)."""

    def __init__(self, scenario: str, time_scale: float, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.sim: SimulatorHandle = start_simulator(scenario, time_scale=time_scale, state_dir=workdir / "sim",
                                                    startup_timeout=120.0, require_ca=True)
        collections = workdir / "collections"
        link = collections / "ansible_collections" / "vsphere" / "lifecycle"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO, target_is_directory=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "ANSIBLE_"))}
        self.env = {**base, "ANSIBLE_COLLECTIONS_PATH": str(collections),
                    "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_LOCALHOST_WARNING": "false",
                    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_NOCOLOR": "1",
                    "ANSIBLE_RETRY_FILES_ENABLED": "false", "ANSIBLE_HOME": str(workdir / "ansible_home"),
                    "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
                    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **self.sim.env()}

    def run(self, cmd: Sequence[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
        """Run a command in this environment; (wall seconds, the finished process). Raises on failure."""
        start = time.monotonic()
        proc = subprocess.run(list(cmd), env=self.env, cwd=str(self.workdir), capture_output=True, text=True,
                              timeout=7200)
        wall = time.monotonic() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed (rc {proc.returncode}):\n"
                               f"{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
        return wall, proc

    def stop(self) -> None:
        self.sim.stop()


@dataclass
class Spread:
    """Repeated measurements of one quantity: the median and the range (min-max)."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self, fmt: str = "{:.2f}", unit: str = "") -> str:
        """``median<unit> (min-max)``, or ``(1 run)`` when there is nothing to spread."""
        med = fmt.format(self.median) + unit
        if len(self.values) < 2:
            return f"{med} (1 run)"
        return f"{med} ({fmt.format(min(self.values))}-{fmt.format(max(self.values))})"


def ratio_spread(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """The ratio of paired runs (run i over run i), so that its spread is the spread of the ratio itself."""
    return Spread([n / d for n, d in zip(numerators, denominators, strict=True) if d])


def sections_text(header: str, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
                  footer: Sequence[str] = ()) -> str:
    """A table of titled sections of (label, value) rows, labels padded to the longest, then footer lines."""
    width = max(len(k) for _, rows in sections for k, _ in rows)
    lines = [header]
    for title, rows in sections:
        lines += ["", title, "-" * (width + 40)] + [f"{k.ljust(width)}  {v}" for k, v in rows]
    if footer:
        lines += ["", *footer]
    return "\n".join(lines)


def main_of(doc: str, add_arguments: Callable[[argparse.ArgumentParser], None],
            run: Callable[[argparse.Namespace], dict[str, Any]], table: Callable[[dict[str, Any]], str],
            argv: Sequence[str] | None = None, check: Callable[[argparse.Namespace], str | None] | None = None) -> int:
    """A benchmark's command line: its own options (``add_arguments``), then ``--json`` (also write the figures)
    and ``--table-from`` (print the table of figures written earlier, measure nothing); ``check`` returns an
    error message for options that make no sense. Measures with ``run``, prints ``table``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--table-from", type=Path, help="print the table of figures written earlier by --json")
    args = parser.parse_args(argv)
    if args.table_from:
        print(table(json.loads(args.table_from.read_text())))
        return 0
    problem = check(args) if check else None
    if problem:
        parser.error(problem)
    figures = run(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    print(table(figures))
    return 0
