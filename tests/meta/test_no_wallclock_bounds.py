"""A rule for every test: no wall-clock upper bound (issue 10).

A test that asserts "this took less than X seconds" fails on a loaded CI machine without anything being
wrong, and passes on a fast one when the claim is false (a 0.3 s slack hides a missing phase). Tests assert
orderings (``/sim/events``, task and host timestamps compared with each other), counters (``/sim/counters``)
and states instead; timings are measured by ``bench/``, which reports them and asserts nothing.

The check reads every ``tests/**/*.py`` and reports each ``assert`` whose comparison puts a time-like
value below a bound: ``time.monotonic() - t0 < X``, ``elapsed < X``, ``X > duration``, ``wall <= X``,
``end - start < X`` of task timestamps (``*_time`` / ``start`` / ``end`` keys), ``c["..._seconds"] < X``
(wall seconds divided by a time scale are still wall seconds). A name assigned from a clock read counts as
time-like too. Two durations measured in the same run may be compared (the apply window holds the time in
maintenance mode): the bound must then itself be measured, not a literal or a plain name. Lower bounds (``elapsed >= 0.6``: a slow fault really slowed the call) stay allowed: load can
only make them truer. Waiting with a deadline (``while time.monotonic() < deadline``) is not an assertion.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
CLOCKS = {"monotonic", "perf_counter", "time", "monotonic_ns", "perf_counter_ns", "time_ns"}
# a value that is a length of time, and a value that is a point in time
DURATION = re.compile(r"(^|_)(elapsed|duration|wall|took|latency)(_|$)|(^|_)seconds$")
INSTANT = re.compile(r"_time$|^(start|end|started|ended|finished|created|t0|t1)$")


def _is_clock_call(node: ast.AST) -> bool:
    """time.monotonic(), time.time(), perf_counter(), ... (module-qualified or imported bare)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in CLOCKS and (not isinstance(func, ast.Attribute) or
                               (isinstance(func.value, ast.Name) and func.value.id == "time"))


def _named(node: ast.AST, pattern: re.Pattern[str]) -> bool:
    if isinstance(node, ast.Name):
        return bool(pattern.search(node.id))
    if isinstance(node, ast.Attribute):
        return bool(pattern.search(node.attr))
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and \
        isinstance(node.slice.value, str) and bool(pattern.search(node.slice.value))


def _duration_like(node: ast.AST, clock_names: set[str]) -> bool:
    """A length of time: a clock read (now, against a deadline), a name assigned from one, a duration-named
    value, or a difference with a point in time on either side. Two points in time compared with each other
    (``ev["end"] < other["start"]``) are an ordering, not a bound."""
    for sub in ast.walk(node):
        if _is_clock_call(sub) or (isinstance(sub, ast.Name) and sub.id in clock_names) or _named(sub, DURATION):
            return True
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Sub) and any(
                _named(x, INSTANT) for side in (sub.left, sub.right) for x in ast.walk(side)):
            return True
    return False


def _measured(node: ast.AST, clock_names: set[str]) -> bool:
    """A value this run measured: a clock read, a name assigned from one, a time-keyed field of a result
    (``out["maintenance_seconds"]``, ``ev["end"]``, ``row.wall``), or a difference of such. Comparing two measured
    durations (an apply window holds the time in maintenance mode) is a relation, not a bound; a measured
    duration against a literal or a plain name (``elapsed < timeout_seconds``) is a bound."""
    for sub in ast.walk(node):
        if _is_clock_call(sub) or (isinstance(sub, ast.Name) and sub.id in clock_names):
            return True
        if isinstance(sub, ast.Subscript | ast.Attribute) and (_named(sub, DURATION) or _named(sub, INSTANT)):
            return True
    return False


def _clock_names(tree: ast.AST) -> set[str]:
    """Names assigned from an expression that reads a clock (``t = time.monotonic() - t0``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(_is_clock_call(s) for s in ast.walk(node.value)):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None and \
                isinstance(node.target, ast.Name) and any(_is_clock_call(s) for s in ast.walk(node.value)):
            names.add(node.target.id)
    return names


def wallclock_bounds(source: str, filename: str = "<test>") -> list[str]:
    """``file:line: <assertion>`` for each assertion that bounds a time-like value from above."""
    tree = ast.parse(source, filename)
    clock_names = _clock_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for cmp in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
            left = cmp.left
            for op, right in zip(cmp.ops, cmp.comparators, strict=True):
                bounded, bound = ((left, right) if isinstance(op, ast.Lt | ast.LtE) else
                                  (right, left) if isinstance(op, ast.Gt | ast.GtE) else (None, None))
                if bounded is not None and _duration_like(bounded, clock_names) and \
                        not _measured(bound, clock_names):
                    found.append(f"{filename}:{node.lineno}: {ast.unparse(node.test)}")
                    break
                left = right
    return found


def test_no_test_asserts_a_wallclock_upper_bound() -> None:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if "output" in path.relative_to(TESTS).parts:
            continue
        found += wallclock_bounds(path.read_text(), str(path.relative_to(TESTS.parent)))
    assert found == [], "wall-clock upper bounds (assert an ordering or a counter instead):\n" + "\n".join(found)


def test_the_check_finds_each_form_and_allows_lower_bounds() -> None:
    """Negative control: each form the issue found is reported; lower bounds, counts and waits are not."""
    bad = '''
import time
from time import monotonic
t0 = time.monotonic()
assert time.monotonic() - t0 < 2.0
elapsed = time.monotonic() - t0
assert elapsed < 25
assert 0.5 > duration
assert _t(task["end_time"]) - _t(task["start_time"]) < 4 * download
assert 2 * 660 <= c["maintenance_host_seconds"] < 2 * 960
took = monotonic() - t0
assert ok and took <= 3
assert r.wall <= bound
assert elapsed < wait_seconds
'''
    assert [line.split(": ", 1)[0] for line in wallclock_bounds(bad, "bad.py")] == [
        f"bad.py:{n}" for n in (5, 7, 8, 9, 10, 12, 13, 14)]
    good = '''
import time
t0 = time.monotonic()
assert time.monotonic() - t0 >= 0.6
assert elapsed >= 0.6
assert calls < 5 and len(hosts) <= 4
assert max(s["start"] for s in rows) < min(s["end"] for s in rows)
assert download["end"] <= maintenance["start"]
while time.monotonic() < deadline:
    pass
assert c["maintenance_host_seconds"] > 0
assert out["maintenance_host_seconds"] > c["maintenance_host_seconds"] * state["time_scale"]
assert figures["staging_seconds"] >= sum(d["end"] - d["start"] for d in downloads)
'''
    assert wallclock_bounds(good, "good.py") == []
