# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the wave planner over random clusters (hypothesis).

Every plan is replayed by a checker written here, independent of the planner's own bookkeeping: each
wave's VMs fit on the hosts left, HA keeps its reserve, no host twice, every host asked for is in one wave or
blocked, no wave over the cap / vLCM's limit, one host at a time on vSAN; and more room never shrinks the
first wave. ``max_examples`` keeps the file well under 30 s under ``ansible-test units``.
"""

from __future__ import annotations

from dataclasses import replace

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _waves as w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

GB = 1024
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def clusters(draw):
    n = draw(st.integers(1, 10))
    hosts = []
    for i in range(n):
        state = draw(st.sampled_from([w.AVAILABLE] * 8 + [w.MAINTENANCE, w.UNAVAILABLE]))
        hosts.append(w.HostCapacity(f"host-{i}", f"esx-{i:02}", draw(st.integers(8, 128)) * 1000,
                                    draw(st.integers(32, 1024)) * GB, state))
    load = {h.id: [0, 0] for h in hosts}
    vms = []
    for j in range(draw(st.integers(0, 40))):
        h = draw(st.sampled_from(hosts))
        running = h.state == w.AVAILABLE and draw(st.integers(0, 9)) < 8
        cpu, mem = draw(st.integers(100, 16000)), draw(st.integers(1, 128)) * GB
        if running and (load[h.id][0] + cpu > h.cpu_mhz or load[h.id][1] + mem > h.memory_mb):
            continue        # a valid starting point: what runs on a host fits it
        if running:
            load[h.id][0] += cpu
            load[h.id][1] += mem
        unmovable = "has a PCI passthrough (DirectPath I/O) device" if draw(st.integers(0, 9)) == 0 else None
        vms.append(w.VmDemand(f"vm-{j}", f"vm-{j:03}", h.id, cpu, mem, running, unmovable))
    todo = draw(st.lists(st.sampled_from([h.id for h in hosts]), unique=True, max_size=n))
    ha = draw(st.sampled_from([w.HaReserve(), w.HaReserve(host_failures=1), w.HaReserve(host_failures=2),
                               w.HaReserve(cpu_percent=25, memory_percent=25)]))
    cap = draw(st.sampled_from([w.Cap(), w.Cap(count=1), w.Cap(count=2), w.Cap(count=3), w.Cap(percent=25.0),
                                w.Cap(percent=50.0)]))
    return w.PlanInput(hosts=tuple(hosts), vms=tuple(vms), todo=tuple(todo), ha=ha, vsan=draw(st.booleans()),
                       cap=cap, power_off_unmovable=draw(st.booleans()),
                       max_utilization=draw(st.sampled_from([1.0, 0.9, 0.75])),
                       vlcm_limit=draw(st.sampled_from([96, 2])))


def replay(inp: w.PlanInput, plan: w.Plan) -> None:
    """Check every wave against the cluster as the earlier waves left it."""
    hosts = {h.id: h for h in inp.hosts}
    vms = {v.id: v for v in inp.vms}
    where = {v.id: v.host for v in inp.vms}
    limit = 1 if inp.vsan else min(inp.vlcm_limit, inp.cap.resolve(len(inp.hosts)) or inp.vlcm_limit)
    seen: set[str] = set()
    for wave in plan.waves:
        assert wave.hosts and len(wave.hosts) == len(set(wave.hosts))
        assert not seen & set(wave.hosts), "a host in two waves"
        seen |= set(wave.hosts)
        assert len(wave.hosts) <= limit
        assert all(hosts[h].state != w.UNAVAILABLE for h in wave.hosts)
        running = {v for v, h in where.items() if h in wave.hosts and vms[v].running}
        assert running == set(wave.placement) | set(wave.powered_off)
        for v in wave.powered_off:
            assert vms[v].unmovable and inp.power_off_unmovable
        for v in wave.placement:
            assert not vms[v].unmovable
        for v, dest in wave.placement.items():
            assert dest not in wave.hosts and hosts[dest].state == w.AVAILABLE
            where[v] = dest
        dests = [h for h in hosts.values() if h.state == w.AVAILABLE and h.id not in wave.hosts]
        used = {h.id: [0, 0] for h in dests}
        for v, h in where.items():
            if vms[v].running and h in used and v not in wave.powered_off:
                used[h][0] += vms[v].cpu_mhz
                used[h][1] += vms[v].memory_mb
        for h in dests:
            if h.id in set(wave.placement.values()):     # a host that received VMs is within its allowed use
                assert used[h.id][0] <= h.cpu_mhz * inp.max_utilization + 1e-6
                assert used[h.id][1] <= h.memory_mb * inp.max_utilization + 1e-6
        if inp.ha.active:
            caps = [(h.cpu_mhz, h.memory_mb) for h in dests]
            res_cpu, res_mem = inp.ha.reserve(caps)
            assert sum(u[0] for u in used.values()) <= sum(cpu for cpu, _mem in caps) - res_cpu + 1e-6
            assert sum(u[1] for u in used.values()) <= sum(mem for _cpu, mem in caps) - res_mem + 1e-6
        for h in wave.hosts:      # a host in maintenance mode before its wave is available after it (remediated)
            if hosts[h].state == w.MAINTENANCE:
                hosts[h] = replace(hosts[h], state=w.AVAILABLE)


@SETTINGS
@given(clusters())
def test_every_wave_fits_and_every_host_is_covered_once(inp):
    plan = w.plan_waves(inp)
    replay(inp, plan)
    planned = [h for wave in plan.waves for h in wave.hosts]
    assert len(planned) == len(set(planned))
    assert set(planned) | set(plan.blocked) == set(inp.todo)
    assert not set(planned) & set(plan.blocked)
    assert all(reason for reason in plan.blocked.values())
    assert all(wave.reason and wave.limit in ("remaining", "capacity", "ha", "user_cap", "vlcm_limit", "vsan")
               for wave in plan.waves)


@SETTINGS
@given(clusters())
def test_vsan_means_one_host_at_a_time(inp):
    plan = w.plan_waves(replace(inp, vsan=True))
    assert all(wave.size == 1 for wave in plan.waves)


@SETTINGS
@given(clusters())
def test_deterministic(inp):
    assert w.plan_waves(inp) == w.plan_waves(inp)


@SETTINGS
@given(clusters(), st.integers(1, 5))
def test_a_higher_cap_never_shrinks_the_first_wave(inp, extra):
    low = replace(inp, cap=w.Cap(count=2))
    high = replace(inp, cap=w.Cap(count=2 + extra))
    a, b = w.plan_waves(low), w.plan_waves(high)
    if a.waves:
        assert b.waves and b.waves[0].size >= a.waves[0].size
    assert set(a.blocked) == set(b.blocked) or len(b.blocked) <= len(a.blocked)


@SETTINGS
@given(clusters())
def test_an_empty_host_more_never_shrinks_the_first_wave(inp):
    big = w.HostCapacity("host-zz", "esx-zz", 256000, 2048 * GB)
    more = replace(inp, hosts=(*inp.hosts, big))
    a, b = w.plan_waves(inp), w.plan_waves(more)
    if a.waves:
        assert b.waves and b.waves[0].size >= a.waves[0].size
    assert set(b.blocked) <= set(a.blocked)


@SETTINGS
@given(clusters())
def test_no_ha_reserve_never_shrinks_the_first_wave(inp):
    a = w.plan_waves(inp)
    b = w.plan_waves(replace(inp, ha=w.HaReserve()))
    if a.waves:
        assert b.waves and b.waves[0].size >= a.waves[0].size
    assert set(b.blocked) <= set(a.blocked)
