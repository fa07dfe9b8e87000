# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The "fuzzed specs" figure: runs the image-spec property tests (tests/unit/.../test_image_spec_properties.py, on
the runtime collection tree) with Hypothesis statistics and writes the sum of their passing generated examples to
tests/output/fuzz/image_spec.json; nothing is written when the tests are missing or fail.

    python tests/reliability/fuzz_count.py RUNTIME_ROOT
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "output" / "fuzz" / "image_spec.json"
TESTS = "ansible_collections/vsphere/lifecycle/tests/unit/plugins/module_utils/test_image_spec_properties.py"


def main(argv: list[str]) -> int:
    root = Path(argv[1]).resolve()
    if not (root / TESTS).is_file():
        print(f"fuzz_count: {TESTS} not on this branch")
        return 0
    counts = OUT.parent / "counts.jsonl"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    counts.unlink(missing_ok=True)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--hypothesis-show-statistics", TESTS], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "VLCM_FUZZ_COUNTS": str(counts)},
                          timeout=1800)
    # the properties run inside a test function record their own counts; the module-level @given test's count is
    # Hypothesis's statistics line ("- N passing examples")
    recorded = [json.loads(line) for line in counts.read_text().splitlines()] if counts.is_file() else []
    module_level = [int(n) for n in re.findall(r"- (\d+) passing", proc.stdout)]
    total = sum(r["examples"] for r in recorded) + sum(module_level)
    given = (root / TESTS).read_text().count("@given(")
    if proc.returncode != 0 or len(recorded) + len(module_level) != given:
        print(f"fuzz_count: the property tests failed or did not all report a count (rc {proc.returncode}, "
              f"{len(recorded) + len(module_level)} of {given} reported)")
        OUT.unlink(missing_ok=True)
        return 0
    parts = ", ".join(f"{r['test']} {r['examples']}" for r in recorded)
    OUT.write_text(json.dumps({"fuzzed_specs": total,
                               "source": f"examples run by the {given} property tests of "
                                         f"test_image_spec_properties.py ({parts}, junk at the top "
                                         f"{sum(module_level)}); each test asserts its own minimum"}))
    print(f"fuzz_count: {total} generated and mutated specs ({given} property tests)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
