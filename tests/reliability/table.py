# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reliability table of ``make reliability``, computed from what pytest wrote (nothing typed by hand):

- the junit XML: every fault scenario's properties (``kind=fault``, ``converged``, ``sessions_leaked``,
  ``hosts_left_in_maintenance``), every bad-input batch's (``kind=badinput``, ``inputs``, ``clear``), and the
  outcome of each test case;
- the secrets reports (one per pytest process: ``secrets*.json``, written by secrets_plugin.py);
- the fuzzed image specs: ``FUZZ_FILE`` (``{"fuzzed_specs": N, "source": "..."}``) when the image-spec property
  tests wrote it; otherwise "n/a" and why.

    python tests/reliability/table.py OUT_DIR [--fuzz-file PATH]
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FUZZ_FILE = REPO / "tests" / "output" / "fuzz" / "image_spec.json"
FUZZ_TESTS = "tests/unit/plugins/module_utils/test_image_spec*.py"


def cases(junit: Path) -> list[dict[str, object]]:
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        failed = any(case.find(tag) is not None for tag in ("failure", "error"))
        skipped = case.find("skipped") is not None
        out.append({"name": f"{case.get('classname')}::{case.get('name')}", "props": props,
                    "outcome": "failed" if failed else "skipped" if skipped else "passed",
                    "time": float(case.get("time") or 0)})
    return out


def fuzzed(fuzz_file: Path) -> str:
    if fuzz_file.is_file():
        data = json.loads(fuzz_file.read_text())
        return f"{int(data['fuzzed_specs'])} ({data.get('source', fuzz_file.name)})"
    if glob.glob(str(REPO / FUZZ_TESTS)):
        return f"n/a ({FUZZ_TESTS} present but no count written to {fuzz_file.relative_to(REPO)})"
    return "n/a (not on this branch)"


def figures(out_dir: Path, fuzz_file: Path = FUZZ_FILE) -> tuple[list[tuple[str, str]], bool]:
    """(rows of the table, every figure at its goal)."""
    all_cases = [c for j in sorted(out_dir.glob("junit*.xml")) for c in cases(j)]
    faults = [c for c in all_cases if c["props"].get("kind") == "fault"]
    bad = [c for c in all_cases if c["props"].get("kind") == "badinput"]
    converged = sum(int(c["props"].get("converged", 0)) for c in faults)
    leaked = sum(int(c["props"].get("sessions_leaked", 0)) for c in faults)
    left = sum(int(c["props"].get("hosts_left_in_maintenance", 0)) for c in faults)
    inputs = sum(int(c["props"].get("inputs", 0)) for c in bad)
    clear = sum(int(c["props"].get("clear", 0)) for c in bad)
    reports = [json.loads(Path(p).read_text()) for p in sorted(glob.glob(str(out_dir / "secrets*.json")))]
    hits = sum(len(r["hits"]) for r in reports)
    scanned = sum(int(r["files_scanned"]) for r in reports)
    sids = sum(int(r["session_ids_known"]) for r in reports)
    gaps = [c["props"].get("gap", c["name"]) for c in all_cases if c["props"].get("kind") == "badinput_known_gap"]
    failed = [c["name"] for c in all_cases if c["outcome"] == "failed"]
    secrets = (f"{hits} ({scanned} files scanned for the password and {sids} issued session ids)" if reports
               else "not scanned (no secrets report)")
    rows = [
        ("fault scenarios tried", str(len(faults))),
        ("converged after a re-run", f"{converged} of {len(faults)}"),
        ("sessions leaked", str(leaked)),
        ("hosts left in maintenance mode", str(left)),
        ("secrets found", secrets),
        ("bad inputs with clear errors", f"{clear} of {inputs} (no mutating call: "
                                         f"{sum(1 for c in bad if c['outcome'] == 'passed')} of {len(bad)} batches)"),
        ("bad inputs, known gaps (strict xfail)", f"{len(gaps)}" + (f" ({', '.join(g.split(':')[0] for g in gaps)};"
                                                                     " docs/reliability.md)" if gaps else "")),
        ("fuzzed specs", fuzzed(fuzz_file)),
        ("tests", f"{sum(1 for c in all_cases if c['outcome'] == 'passed')} passed, {len(failed)} failed, "
                  f"{sum(1 for c in all_cases if c['outcome'] == 'skipped')} skipped"),
    ]
    ok = (bool(faults) and converged == len(faults) and leaked == 0 and left == 0 and bool(reports) and hits == 0
          and inputs > 0 and clear == inputs and not failed)
    return rows, ok


def render(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    vwidth = max(len(v) for _, v in rows)
    lines = [f"| {'figure'.ljust(width)} | {'value'.ljust(vwidth)} |", f"|{'-' * (width + 2)}|{'-' * (vwidth + 2)}|"]
    lines += [f"| {k.ljust(width)} | {v.ljust(vwidth)} |" for k, v in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--fuzz-file", type=Path, default=FUZZ_FILE)
    args = parser.parse_args(argv)
    rows, ok = figures(args.out_dir, args.fuzz_file)
    print(render(rows))
    failed = [c["name"] for j in sorted(args.out_dir.glob("junit*.xml")) for c in cases(j) if c["outcome"] == "failed"]
    for name in failed:
        print(f"FAILED {name}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
