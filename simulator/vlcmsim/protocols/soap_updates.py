"""Update reporting of a PropertyCollector: WaitForUpdates(Ex), CheckForUpdates.

It works by comparing snapshots: every version a collector hands out remembers what each of
its filters showed at that version (values serialised with pyVmomi; the last HISTORY
versions are kept), and a wait polls until the current state differs from the caller's
version, then reports enter / modify / leave object updates under a new version string.
Several threads of one session can therefore wait with their own versions without losing
updates, and each collector (the session's default one or one from CreatePropertyCollector)
reports only its own filters under its own versions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyVmomi import SoapAdapter, VmomiSupport, vmodl

from . import soap_faults
from .soap_collector import CollectorState, FilterState, ObjectSpace, Snapshot
from .soap_faults import SoapFault

PC = vmodl.query.PropertyCollector

# Longest a WaitForUpdates(Ex) without maxWaitSeconds blocks before returning nothing new.
MAX_WAIT_SECONDS = 300.0
POLL_SECONDS = (0.01, 0.25)      # first and longest interval between snapshots while waiting
HISTORY = 8                       # update versions a collector still accepts


def snapshot(space: ObjectSpace, flt: FilterState) -> dict[str, tuple[Any, dict[str, tuple[Any, str]]]]:
    """obj moid -> (ref, {path: (wire value, its serialised form)}) of what a filter shows now."""
    snap: dict[str, tuple[Any, dict[str, tuple[Any, str]]]] = {}
    for ref in space.select(flt.spec, missing_ok=True):
        want = space.paths_for(ref, flt.spec)
        if want is None:
            continue
        vals = space.values(ref, want[1])
        snap[ref._moId] = (ref, {k: (v, _xml(v, space.version)) for k, v in vals.items()})
    return snap


def _xml(val: Any, version: str) -> str:
    info = VmomiSupport.Object(name="v", type=object, version=version, flags=0)
    return SoapAdapter.SerializeToStr(val, info, version)


def updates(space: ObjectSpace, coll: CollectorState,
            since: dict[str, Snapshot] | None) -> tuple[list[Any], dict[str, Snapshot]]:
    """Filter updates of every filter of a collector since a version's snapshots (everything if None)."""
    out: list[Any] = []
    snaps: dict[str, Snapshot] = {}
    space.inv.reset_cache()
    for moid, flt in coll.filters.items():
        current = snapshot(space, flt)
        snaps[moid] = {o: (ref, {k: x for k, (_, x) in props.items()}) for o, (ref, props) in current.items()}
        base = (since or {}).get(moid, {})
        objs: list[Any] = []
        for obj_id, (ref, props) in current.items():
            if obj_id not in base:
                objs.append(PC.ObjectUpdate(kind="enter", obj=ref, changeSet=[
                    PC.Change(name=k, op="assign", val=v) for k, (v, _) in props.items()]))
                continue
            old = base[obj_id][1]
            changes = [PC.Change(name=k, op="assign", val=v)
                       for k, (v, x) in props.items() if old.get(k) != x]
            changes += [PC.Change(name=k, op="assign") for k in old if k not in props]
            if changes:
                objs.append(PC.ObjectUpdate(kind="modify", obj=ref, changeSet=changes))
        for obj_id, (ref, _) in base.items():
            if obj_id not in current:
                objs.append(PC.ObjectUpdate(kind="leave", obj=ref))
        if objs:
            out.append(PC.FilterUpdate(filter=PC.Filter(moid), objectSet=objs))
    return out, snaps


def wait_for_updates(space: ObjectSpace, coll: CollectorState, version: str | None, max_wait: float | None,
                     still_valid: Callable[[], bool]) -> Any:
    """WaitForUpdatesEx semantics on one collector; returns UpdateSet or None when max_wait passes quietly.

    CancelWaitForUpdates, or DestroyPropertyCollector of the collector, ends the wait with
    vmodl.fault.RequestCanceled; a session that ends meanwhile is NotAuthenticated.
    """
    st = space.state
    deadline = time.monotonic() + (MAX_WAIT_SECONDS if max_wait is None else max(0.0, max_wait))
    interval = POLL_SECONDS[0]
    initial = not version
    with st.lock:
        coll.cancel_wait = False
        if initial:
            since: dict[str, Snapshot] | None = None
        elif version in coll.history:
            since = coll.history[version]
        else:
            raise SoapFault(vmodl.query.InvalidCollectorVersion(
                msg=f"The version '{version}' is not a version this collector reported."))
    while True:
        if not still_valid():
            raise SoapFault(soap_faults.not_authenticated())
        began = time.monotonic()
        with space.world.lock, st.lock:
            if coll.cancel_wait or coll.destroyed:
                coll.cancel_wait = False
                raise SoapFault(vmodl.fault.RequestCanceled(msg="The wait was canceled."))
            filters, snaps = updates(space, coll, since)
            if filters or initial:
                coll.version += 1
                coll.history[str(coll.version)] = snaps
                for old in list(coll.history)[:-HISTORY]:
                    del coll.history[old]
                return PC.UpdateSet(version=str(coll.version), filterSet=filters, truncated=False)
        if time.monotonic() >= deadline:
            return None
        # never spend more than about a third of the time comparing snapshots of big filters
        cost = time.monotonic() - began
        time.sleep(min(max(interval, 2 * cost), max(0.0, deadline - time.monotonic())))
        interval = min(POLL_SECONDS[1], interval * 1.5)
