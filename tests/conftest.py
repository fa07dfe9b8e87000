# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root pytest configuration shared by tests/sim and tests/integration (kept minimal on purpose)."""

from __future__ import annotations

collect_ignore = ["output", "unit", "sanity"]  # unit tests run under ansible-test units; output is scratch

# the suite-wide secrets check (issue 12): runs once, after every other fixture, over everything the suite wrote
from reliability.secrets_plugin import secrets_scan  # noqa: E402,F401
