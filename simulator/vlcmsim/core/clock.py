"""Time: vAPI datetimes, and phase durations (scenario seconds x time_scale)."""

from __future__ import annotations

import datetime as _dt
import time

from ..model import World


def iso(ts: float | None) -> str | None:
    """Epoch seconds -> the vAPI datetime format (RFC 3339, UTC, milliseconds, 'Z')."""
    if ts is None:
        return None
    d = _dt.datetime.fromtimestamp(ts, tz=_dt.UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def parse_iso(value: str | float | int) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip().replace("Z", "+00:00")
    d = _dt.datetime.fromisoformat(text)
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.UTC)
    return d.timestamp()


def scaled(world: World, phase: str) -> float:
    """Wall-clock seconds of one phase (scenario seconds x time_scale)."""
    return float(getattr(world.durations, phase)) * world.time_scale


def sleep_phase(world: World, seconds: float) -> None:
    """Sleep `seconds` of wall-clock time (callers pass already-scaled durations)."""
    if seconds > 0:
        time.sleep(seconds)
