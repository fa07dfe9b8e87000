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
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--hypothesis-show-statistics", TESTS], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=1800)
    passing = [int(n) for n in re.findall(r"- (\d+) passing", proc.stdout)]
    if proc.returncode != 0 or not passing:
        print(f"fuzz_count: the property tests failed or printed no statistics (rc {proc.returncode})")
        OUT.unlink(missing_ok=True)
        return 0
    given = (root / TESTS).read_text().count("@given(")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"fuzzed_specs": sum(passing),
                               "source": f"passing Hypothesis examples reported by {len(passing)} of the {given} "
                                         "property tests of test_image_spec_properties.py; the others (unittest-"
                                         "style methods) print no statistics and are not counted"}))
    print(f"fuzz_count: {sum(passing)} generated specs passed ({len(passing)} property tests)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
