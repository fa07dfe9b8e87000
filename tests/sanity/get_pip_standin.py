# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for ansible-test's get-pip bootstrap script, for machines that cannot reach its host.

``make sanity`` copies this file to ``~/.ansible/test/cache/get_pip_<version>.py``. ansible-test
runs it as ``python get_pip.py [pip options] [packages] [--no-setuptools] [--no-wheel]``: we
install the pip wheel bundled with Python (ensurepip), then let that pip install the requested
packages from the configured package index.
"""

from __future__ import annotations

import subprocess
import sys


def main(argv: list[str]) -> int:
    args = [a for a in argv if a not in ("--no-setuptools", "--no-wheel")]
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True,
                   stdout=subprocess.DEVNULL)
    if not any(not a.startswith("-") for a in args):
        return 0
    return subprocess.run([sys.executable, "-m", "pip", "install", *args], check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
