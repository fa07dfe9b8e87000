# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root pytest configuration shared by tests/sim and tests/integration (kept minimal on purpose)."""

from __future__ import annotations

collect_ignore = ["output", "unit", "sanity"]  # unit tests run under ansible-test units; output is scratch
