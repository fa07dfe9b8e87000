"""The load test: registered marker `load` (selected by default; deselect with `-m "not load"`)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "load: concurrent-clients load test against a simulator (about 35 s)")
