# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capacity-aware remediation waves: which hosts of a cluster can be in maintenance mode together.

Pure code: no I/O, no Ansible. The inputs are plain figures (``HostCapacity``, ``VmDemand``) that
``_capacity.py`` reads from vCenter; :func:`plan_waves` returns ordered :class:`Wave` s and the hosts it
cannot plan, each with the reason.

The rules
---------
- **Figures.** A host offers its physical CPU (cores x core MHz) and memory; a VM needs its *configured
  memory* (a VM whose memory does not fit swaps: memory is the hard limit, and the configured size is
  what it may touch) and its *CPU demand* (CPU is time-shared: DRS balances on demand, and configured
  vCPUs x core speed would forbid any normal consolidation ratio). The caller picks the CPU figure
  (``_capacity.vm_cpu_mhz``). Only running VMs count: powered-off and suspended VMs use no CPU or memory.
- **Fit.** A wave is a set of hosts that enter maintenance mode together. Its running VMs must fit on the
  hosts left (available hosts not in the wave), on top of what already runs there, within
  ``max_utilization`` of each host: checked by placing them, largest memory first, each on the host with
  the least memory in use that has room for both figures (what a DRS-like evacuation does). Hosts
  already in maintenance mode or not available receive nothing.
- **VMs that cannot move** (DirectPath I/O, shared-bus disks, vSphere Pods) block their host unless
  ``power_off_unmovable`` (the cluster's ``pre_remediation_power_action`` powers off or suspends them):
  then they stop for the wave and need no room.
- **HA admission control** keeps the failover capacity: after the wave's VMs moved, all running VMs must
  fit in the capacity of the hosts left minus the reserve: the capacity of the ``host_failures`` largest
  hosts left, or ``cpu_percent`` / ``memory_percent`` of the capacity of the hosts left.
- **Size limits**: vSAN clusters one host at a time (vLCM does not remediate vSAN hosts in parallel), the
  user's cap (a count or a percent of the cluster's hosts), vLCM's parallel remediation limit (96).
- **Order.** Each wave takes the hosts needing remediation in order of the load they would send away
  (hosts already in maintenance mode first, then the least memory, then the least CPU, then the name) and
  grows while the next one still fits; the first host that does not fit (or a limit) ends the wave and is
  its reason. Later waves start from where the planner placed the VMs of the earlier ones (DRS may place
  them otherwise: plan again before each wave to plan from what vCenter shows), and a host that was in maintenance
  mode before its wave is available to them (it leaves maintenance mode once remediated).
- A host that fits in no wave, even alone, is *blocked*, with the reason; every host asked for is in
  exactly one wave or blocked.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

VLCM_PARALLEL_LIMIT = 96      # vLCM parallel remediation: 1..96 hosts (ParallelRemediationAction.max_hosts)

AVAILABLE = "available"        # connected, powered on, not in maintenance mode: runs and receives VMs
MAINTENANCE = "maintenance"    # already in maintenance mode: runs nothing, receives nothing
UNAVAILABLE = "unavailable"    # disconnected, not responding, powered off or standby


class PlanInputError(ValueError):
    """A planner input is out of range (the module turns it into an option error)."""


@dataclass(frozen=True)
class HostCapacity:
    id: str
    name: str
    cpu_mhz: int
    memory_mb: int
    state: str = AVAILABLE


@dataclass(frozen=True)
class VmDemand:
    id: str
    name: str
    host: str
    cpu_mhz: int
    memory_mb: int
    running: bool = True
    unmovable: str | None = None   # why vMotion cannot move it ("has a DirectPath I/O device"), None if it can


@dataclass(frozen=True)
class HaReserve:
    """The failover capacity HA admission control keeps free (nothing when all three are 0)."""

    host_failures: int = 0
    cpu_percent: float = 0.0
    memory_percent: float = 0.0

    @property
    def active(self) -> bool:
        return self.host_failures > 0 or self.cpu_percent > 0 or self.memory_percent > 0

    def describe(self) -> str:
        if self.host_failures:
            return f"{self.host_failures} host failure{'s' if self.host_failures > 1 else ''} tolerated"
        return f"{_num(self.cpu_percent)}% CPU and {_num(self.memory_percent)}% memory reserved"

    def reserve(self, caps: Sequence[tuple[int, int]]) -> tuple[float, float]:
        """(cpu MHz, memory MB) kept free on hosts with capacities ``caps``."""
        if self.host_failures:
            n = self.host_failures
            return (float(sum(sorted((cpu for cpu, _mem in caps), reverse=True)[:n])),
                    float(sum(sorted((mem for _cpu, mem in caps), reverse=True)[:n])))
        return (sum(cpu for cpu, _mem in caps) * self.cpu_percent / 100.0,
                sum(mem for _cpu, mem in caps) * self.memory_percent / 100.0)


@dataclass(frozen=True)
class Cap:
    """The user's cap on the hosts of one wave: a count, or a percent of the cluster's hosts."""

    count: int | None = None
    percent: float | None = None

    def resolve(self, cluster_hosts: int) -> int | None:
        if self.count is not None:
            return self.count
        if self.percent is not None:
            return max(1, math.floor(cluster_hosts * self.percent / 100.0))
        return None

    def describe(self, cluster_hosts: int) -> str:
        if self.percent is not None:
            return f"{self.resolve(cluster_hosts)} ({_num(self.percent)}% of {cluster_hosts} hosts)"
        return str(self.count)


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_cap(value: Any, option: str = "max_hosts_in_maintenance") -> Cap:
    """A positive count (int or digits) or a percent string like ``"25%"`` (0 < percent <= 100)."""
    if value is None:
        return Cap()
    fix = "give a positive number of hosts (e.g. 4) or a percent of the cluster's hosts (e.g. '25%')"
    if isinstance(value, bool):
        raise PlanInputError(f"{option} is {value!r}: {fix}")
    if isinstance(value, int):
        if value < 1:
            raise PlanInputError(f"{option} is {value}: {fix}")
        return Cap(count=value)
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return parse_cap(int(text), option)
    match = _PERCENT.match(text)
    if not match:
        raise PlanInputError(f"{option} is {value!r}: {fix}")
    percent = float(match.group(1))
    if not 0 < percent <= 100:
        raise PlanInputError(f"{option} is {value!r}: a percent must be more than 0% and at most 100%; {fix}")
    return Cap(percent=percent)


@dataclass(frozen=True)
class PlanInput:
    hosts: tuple[HostCapacity, ...]
    vms: tuple[VmDemand, ...]
    todo: tuple[str, ...]                 # ids of the hosts to remediate
    ha: HaReserve = HaReserve()
    vsan: bool = False
    cap: Cap = Cap()
    vlcm_limit: int = VLCM_PARALLEL_LIMIT
    power_off_unmovable: bool = False
    max_utilization: float = 1.0          # of each host's capacity the VMs may use (0 < x <= 1)


@dataclass(frozen=True)
class Wave:
    hosts: tuple[str, ...]                # host ids, in the order they were taken
    limit: str                            # remaining | capacity | ha | user_cap | vlcm_limit | vsan
    reason: str
    evacuated: tuple[str, ...]            # ids of the running VMs moved off the wave's hosts
    powered_off: tuple[str, ...]          # ids of the VMs that cannot move and are powered off for the wave
    placement: Mapping[str, str] = field(default_factory=dict)   # vm id -> destination host id

    @property
    def size(self) -> int:
        return len(self.hosts)


@dataclass(frozen=True)
class Plan:
    waves: tuple[Wave, ...]
    blocked: Mapping[str, str]            # host id -> why it is in no wave
    wave_limit: int                       # the most hosts a wave may take (cap, vLCM, vSAN)


class _State:
    """Where the VMs run while the planner moves them, with the load per host."""

    def __init__(self, inp: PlanInput) -> None:
        self.hosts = {h.id: h for h in inp.hosts}
        self.vms = {v.id: v for v in inp.vms}
        self.location = {v.id: v.host for v in inp.vms}
        self.util = inp.max_utilization
        self.load: dict[str, list[int]] = {h: [0, 0] for h in self.hosts}
        for vm in inp.vms:
            if vm.running and vm.host in self.load:
                self.load[vm.host][0] += vm.cpu_mhz
                self.load[vm.host][1] += vm.memory_mb

    def running_on(self, host_id: str) -> list[VmDemand]:
        return [vm for vm_id, vm in self.vms.items() if self.location[vm_id] == host_id and vm.running]

    def room(self, host_id: str) -> tuple[float, float]:
        host = self.hosts[host_id]
        cpu, mem = self.load[host_id]
        return host.cpu_mhz * self.util - cpu, host.memory_mb * self.util - mem


@dataclass
class _Try:
    ok: bool
    limit: str = ""
    detail: str = ""
    placement: dict[str, str] = field(default_factory=dict)
    evacuated: tuple[str, ...] = ()
    powered_off: tuple[str, ...] = ()


def _check_input(inp: PlanInput) -> None:
    if not 0 < inp.max_utilization <= 1:
        raise PlanInputError(f"max_utilization must be more than 0 and at most 1 (got {inp.max_utilization})")
    if not 1 <= inp.vlcm_limit <= VLCM_PARALLEL_LIMIT:
        raise PlanInputError(f"the vLCM limit must be 1..{VLCM_PARALLEL_LIMIT} (got {inp.vlcm_limit})")
    if inp.ha.host_failures < 0 or not 0 <= inp.ha.cpu_percent <= 100 or not 0 <= inp.ha.memory_percent <= 100:
        raise PlanInputError("HA reserve: host_failures must be >= 0 and percents 0..100")
    if inp.cap.count is not None and inp.cap.count < 1:
        raise PlanInputError(f"the cap must be at least 1 host (got {inp.cap.count})")


def _try_wave(state: _State, inp: PlanInput, wave: Sequence[str]) -> _Try:
    """Whether ``wave`` can be in maintenance mode together now: blockers, placement, HA reserve."""
    in_wave = set(wave)
    moving: list[VmDemand] = []
    powered_off: list[str] = []
    for host_id in wave:
        for vm in state.running_on(host_id):
            if vm.unmovable:
                if not inp.power_off_unmovable:
                    return _Try(False, "unmovable", f"VM '{vm.name}' {vm.unmovable} and cannot be migrated; it is "
                                                    "powered off only when the cluster's pre_remediation_power_action "
                                                    "is POWER_OFF_VMS or SUSPEND_VMS")
                powered_off.append(vm.id)
            else:
                moving.append(vm)
    dests = sorted(h for h, host in state.hosts.items() if host.state == AVAILABLE and h not in in_wave)
    load = {h: list(state.load[h]) for h in dests}
    placement: dict[str, str] = {}
    for vm in sorted(moving, key=lambda v: (-v.memory_mb, -v.cpu_mhz, v.name, v.id)):
        target = None
        for dest in sorted(dests, key=lambda h: (load[h][1], state.hosts[h].name, h)):
            host = state.hosts[dest]
            if (load[dest][0] + vm.cpu_mhz <= host.cpu_mhz * inp.max_utilization
                    and load[dest][1] + vm.memory_mb <= host.memory_mb * inp.max_utilization):
                target = dest
                break
        if target is None:
            where = f"on the other {len(dests)} host(s)" if dests else "(no other host is available)"
            return _Try(False, "capacity", f"VM '{vm.name}' ({vm.memory_mb} MB, {vm.cpu_mhz} MHz) has no room {where}")
        placement[vm.id] = target
        load[target][0] += vm.cpu_mhz
        load[target][1] += vm.memory_mb
    if inp.ha.active:
        caps = [(state.hosts[h].cpu_mhz, state.hosts[h].memory_mb) for h in dests]
        res_cpu, res_mem = inp.ha.reserve(caps)
        need_cpu = sum(load[h][0] for h in dests)
        need_mem = sum(load[h][1] for h in dests)
        free_cpu = sum(cpu for cpu, _mem in caps) - res_cpu
        free_mem = sum(mem for _cpu, mem in caps) - res_mem
        if need_cpu > free_cpu or need_mem > free_mem:
            short = []
            if need_mem > free_mem:
                short.append(f"{need_mem} MB of memory in use > {max(0, int(free_mem))} MB outside the reserve")
            if need_cpu > free_cpu:
                short.append(f"{need_cpu} MHz of CPU in use > {max(0, int(free_cpu))} MHz outside the reserve")
            return _Try(False, "ha", f"on the other {len(dests)} host(s) {'; '.join(short)}")
    return _Try(True, placement=placement, evacuated=tuple(placement), powered_off=tuple(powered_off))


def _order(state: _State, hosts: Iterable[str]) -> list[str]:
    def key(host_id: str) -> tuple[Any, ...]:
        host = state.hosts[host_id]
        running = state.running_on(host_id)
        return (host.state != MAINTENANCE, sum(v.memory_mb for v in running), sum(v.cpu_mhz for v in running),
                host.name, host_id)
    return sorted(hosts, key=key)


def wave_limit(inp: PlanInput) -> tuple[int, str, str]:
    """(most hosts per wave, limit key, reason) from vSAN, the user's cap and vLCM's limit."""
    if inp.vsan:
        return 1, "vsan", "vSAN: one host at a time (vLCM does not remediate vSAN hosts in parallel)"
    cap = inp.cap.resolve(len(inp.hosts))
    if cap is not None and cap <= inp.vlcm_limit:
        return cap, "user_cap", f"user cap: max_hosts_in_maintenance {inp.cap.describe(len(inp.hosts))}"
    return inp.vlcm_limit, "vlcm_limit", f"vLCM limit: parallel remediation takes at most {inp.vlcm_limit} hosts"


def plan_waves(inp: PlanInput) -> Plan:
    """The ordered waves for ``inp.todo`` (see the module docstring for the rules)."""
    _check_input(inp)
    state = _State(inp)
    limit, limit_key, limit_reason = wave_limit(inp)
    blocked: dict[str, str] = {}
    remaining: list[str] = []
    for host_id in dict.fromkeys(inp.todo):
        host = state.hosts.get(host_id)
        if host is None:
            blocked[host_id] = "not a host of the cluster"
        elif host.state == UNAVAILABLE:
            blocked[host_id] = "not available (disconnected, not responding, powered off or in standby)"
        else:
            remaining.append(host_id)
    waves: list[Wave] = []
    while remaining:
        order = _order(state, remaining)
        seed, first = None, None
        alone: dict[str, _Try] = {}
        for host_id in order:
            attempt = _try_wave(state, inp, [host_id])
            if attempt.ok:
                seed, first = host_id, attempt
                break
            alone[host_id] = attempt
        if seed is None or first is None:
            for host_id in order:
                attempt = alone[host_id]
                blocked[host_id] = (f"HA failover capacity ({inp.ha.describe()}) would not be kept even with this "
                                    f"host alone in maintenance mode: {attempt.detail}" if attempt.limit == "ha"
                                    else f"{attempt.limit}: {attempt.detail}")
            break
        wave, best = [seed], first
        stop_key, stop_reason = "", ""
        for host_id in order[order.index(seed) + 1:]:
            if host_id in alone:
                continue
            if len(wave) >= limit:
                stop_key, stop_reason = limit_key, limit_reason
                break
            attempt = _try_wave(state, inp, [*wave, host_id])
            if not attempt.ok:
                stop_key = attempt.limit if attempt.limit != "unmovable" else "capacity"
                stop_reason = _stop_reason(state, wave, host_id, attempt)
                break
            wave, best = [*wave, host_id], attempt
        if not stop_key:
            if len(wave) >= limit and len(wave) < len(remaining):
                stop_key, stop_reason = limit_key, limit_reason
            else:
                stop_key = "remaining"
                others = sum(1 for h in state.hosts.values() if h.state == AVAILABLE and h.id not in wave)
                stop_reason = (f"remaining: all {len(wave)} host(s) left to remediate; their VMs fit on the other "
                               f"{others}")
                if len(wave) >= limit:
                    stop_reason += f" ({limit_reason})"
        if stop_key == "capacity":
            others = sum(1 for h in state.hosts.values() if h.state == AVAILABLE and h.id not in wave)
            stop_reason = f"capacity: {len(wave)} host(s)' VMs fit on the other {others}; {stop_reason}"
        elif stop_key == "ha":
            stop_reason = f"HA failover capacity kept ({inp.ha.describe()}): {stop_reason}"
        waves.append(Wave(tuple(wave), stop_key, stop_reason, best.evacuated, best.powered_off,
                          dict(best.placement)))
        for vm_id, dest in best.placement.items():
            vm = state.vms[vm_id]
            state.load[state.location[vm_id]][0] -= vm.cpu_mhz
            state.load[state.location[vm_id]][1] -= vm.memory_mb
            state.load[dest][0] += vm.cpu_mhz
            state.load[dest][1] += vm.memory_mb
            state.location[vm_id] = dest
        for host_id in wave:
            # a host that was in maintenance mode before its wave leaves it once remediated (remediate_batch takes
            # every host of the batch out): the next waves can move VMs to it
            if state.hosts[host_id].state == MAINTENANCE:
                state.hosts[host_id] = dataclasses.replace(state.hosts[host_id], state=AVAILABLE)
        remaining = [h for h in remaining if h not in wave]
    return Plan(tuple(waves), blocked, limit)


def _stop_reason(state: _State, wave: Sequence[str], next_host: str, attempt: _Try) -> str:
    name = state.hosts[next_host].name
    if attempt.limit == "ha":
        return f"adding {name} would leave {attempt.detail}"
    return f"adding {name}: {attempt.detail}"


# ----------------------------------------------------------------------------- forecast
def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 date-time as vCenter writes it (``2026-11-30T10:00:00.000Z``), None when unreadable."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def host_durations(apply_result: Mapping[str, Any] | None) -> dict[str, float]:
    """Seconds each host took in a recorded apply (``last_apply_result.host_status``: ``start_time`` to
    ``end_time``), for the hosts whose status is OK; other hosts (failed, skipped, running) are left out."""
    out: dict[str, float] = {}
    for host_id, status in ((apply_result or {}).get("host_status") or {}).items():
        if not isinstance(status, Mapping) or status.get("status") != "OK":
            continue
        start, end = parse_time(status.get("start_time")), parse_time(status.get("end_time"))
        if start is None or end is None:
            continue
        seconds = (end - start).total_seconds()
        if seconds > 0:
            out[str(host_id)] = seconds
    return out


def median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def host_estimates(hosts: Iterable[str], history: Mapping[str, float],
                   default_seconds: float) -> dict[str, tuple[float, str]]:
    """Per host (seconds, basis): its own recorded time (``history``), else the median of the cluster's recorded
    hosts (``cluster_median``), else ``default_seconds`` (``host_seconds``)."""
    typical = median(history.values())
    out: dict[str, tuple[float, str]] = {}
    for host_id in hosts:
        if host_id in history:
            out[host_id] = (history[host_id], "history")
        elif typical is not None:
            out[host_id] = (typical, "cluster_median")
        else:
            out[host_id] = (float(default_seconds), "host_seconds")
    return out


def wave_seconds(wave_hosts: Sequence[str], estimates: Mapping[str, tuple[float, str]],
                 added: Mapping[str, float] | None = None) -> float:
    """A wave's hosts are remediated in parallel: the wave takes as long as its slowest host (its estimate plus
    ``added`` seconds, the evacuation of the VMs earlier waves send to it)."""
    added = added or {}
    return max((estimates[h][0] + added.get(h, 0.0) for h in wave_hosts), default=0.0)


def vms_at_turn(plan: Plan, inp: PlanInput) -> dict[str, tuple[int, int]]:
    """Per planned host (running VMs now, running VMs when its wave starts): the planner sends the VMs of each
    wave to hosts of later waves, which then have more to evacuate than vLCM's record of them shows."""
    now: dict[str, int] = {}
    for vm in inp.vms:
        if vm.running:
            now[vm.host] = now.get(vm.host, 0) + 1
    received: dict[str, int] = {}
    out: dict[str, tuple[int, int]] = {}
    for wave in plan.waves:
        for host_id in wave.hosts:
            out[host_id] = (now.get(host_id, 0), now.get(host_id, 0) + received.get(host_id, 0))
        for dest in wave.placement.values():
            received[dest] = received.get(dest, 0) + 1
    return out


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ----------------------------------------------------------------------------- the module's result
def plan_report(plan: Plan, inp: PlanInput, estimates: Mapping[str, tuple[float, str]],
                vm_seconds: float = 0.0) -> dict[str, Any]:
    """``waves`` (hosts by name, size, reason, VMs to evacuate, forecast) and ``blocked_hosts``, ``forecast``.

    A host's forecast is its estimate (``estimates``: recorded, cluster median or the user's figure, all taken as
    the time of the host with the VMs it runs now) plus ``vm_seconds`` for each VM earlier waves send to it."""
    names = {h.id: h.name for h in inp.hosts}
    vm_names = {v.id: v.name for v in inp.vms}
    turn = vms_at_turn(plan, inp)
    added = {h: (at_turn - now) * float(vm_seconds) for h, (now, at_turn) in turn.items()}
    waves: list[dict[str, Any]] = []
    total = 0.0
    for number, wave in enumerate(plan.waves, start=1):
        seconds = wave_seconds(wave.hosts, estimates, added)
        total += round(seconds)
        waves.append({
            "wave": number,
            "hosts": [names.get(h, h) for h in wave.hosts],
            "size": wave.size,
            "limit": wave.limit,
            "reason": wave.reason,
            "vms_to_evacuate": len(wave.evacuated),
            "powered_off_vms": sorted(vm_names.get(v, v) for v in wave.powered_off),
            "forecast_seconds": round(seconds),
            "forecast_basis": sorted({estimates[h][1] for h in wave.hosts}),
        })
    planned = [h for wave in plan.waves for h in wave.hosts]
    return {
        "waves": waves,
        "wave_limit": plan.wave_limit,
        "blocked_hosts": [{"name": names.get(h, h), "reason": why} for h, why in plan.blocked.items()],
        "forecast": {
            "total_seconds": round(total),
            "sequential_seconds": round(sum(estimates[h][0] for h in planned)),
            "hosts": [{"name": names.get(h, h), "seconds": round(estimates[h][0] + added.get(h, 0.0)),
                       "basis": estimates[h][1], "recorded_or_given_seconds": round(estimates[h][0]),
                       "vms_now": turn[h][0], "vms_at_its_turn": turn[h][1]}
                      for h in planned],
            "vm_seconds": vm_seconds,
        },
    }
