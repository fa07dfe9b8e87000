# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the reliability suites (issue 12): the integration harness's ``sim`` / ``run_playbook`` fixtures
(one vlcmsim per test module, reset before each test, no session left open after it), and the markers
``faults`` and ``badinput``.

Figures for ``make reliability`` go through pytest's junit XML (``record_property``): every fault scenario records
``kind=fault``, ``converged``, ``sessions_leaked``, ``hosts_left_in_maintenance``; every bad-input batch records
``kind=badinput``, ``inputs`` and ``clear``. tests/reliability/table.py reads them back."""

from __future__ import annotations

import pytest
from integration.conftest import collections_path, counters, run_playbook, sim, sim_server  # noqa: F401


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: fault matrix, faults injected through /sim/faults during real runs")
    config.addinivalue_line("markers", "badinput: bad-input corpus, every module and role, nothing sent that mutates")
