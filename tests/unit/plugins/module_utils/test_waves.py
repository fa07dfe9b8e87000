# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wave planner (_waves): examples, then properties over random clusters (hypothesis)."""

from __future__ import annotations

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _waves as w

GB = 1024


def host(i, cpu=64000, mem=512 * GB, state=w.AVAILABLE):
    return w.HostCapacity(f"host-{i}", f"esx-{i:02}", cpu, mem, state)


def vm(i, on, cpu=2000, mem=8 * GB, running=True, unmovable=None):
    return w.VmDemand(f"vm-{i}", f"vm-{i:03}", f"host-{on}", cpu, mem, running, unmovable)


def cluster(n, vms_per_host, mem=8 * GB, host_mem=512 * GB, cpu=2000):
    hosts = tuple(host(i, mem=host_mem) for i in range(n))
    vms = tuple(vm(i * 100 + j, i, cpu=cpu, mem=mem) for i in range(n) for j in range(vms_per_host))
    return hosts, vms


def plan(hosts, vms, todo=None, **kwargs):
    todo = tuple(h.id for h in hosts) if todo is None else tuple(todo)
    inp = w.PlanInput(hosts=tuple(hosts), vms=tuple(vms), todo=todo, **kwargs)
    return inp, w.plan_waves(inp)


# ----------------------------------------------------------------------------- examples
def test_sixteen_hosts_room_for_four():
    # each host runs 12 x 32 GB = 384 GB of 512 GB: 4 hosts' VMs (1536 GB) fit in the 12 others' 1536 GB free
    hosts, vms = cluster(16, 12, mem=32 * GB)
    _inp, p = plan(hosts, vms)
    assert [wave.size for wave in p.waves] == [4, 4, 4, 4]
    assert p.waves[0].limit == "capacity"
    assert p.waves[0].reason.startswith("capacity: 4 host(s)' VMs fit on the other 12")
    assert p.waves[-1].limit == "remaining"
    assert not p.blocked


def test_user_cap_count_and_percent():
    hosts, vms = cluster(16, 1)
    _inp, p = plan(hosts, vms, cap=w.Cap(count=3))
    assert [wave.size for wave in p.waves] == [3, 3, 3, 3, 3, 1]
    assert p.waves[0].limit == "user_cap" and "max_hosts_in_maintenance 3" in p.waves[0].reason
    _inp, p = plan(hosts, vms, cap=w.parse_cap("25%"))
    assert [wave.size for wave in p.waves] == [4, 4, 4, 4]
    assert "4 (25% of 16 hosts)" in p.waves[0].reason


def test_vsan_one_host_at_a_time():
    hosts, vms = cluster(4, 1)
    _inp, p = plan(hosts, vms, vsan=True, cap=w.Cap(count=4))
    assert [wave.size for wave in p.waves] == [1, 1, 1, 1]
    assert all(wave.limit == "vsan" for wave in p.waves[:-1])
    assert "vSAN: one host at a time" in p.waves[0].reason


def test_vlcm_limit():
    hosts = tuple(host(i, mem=4096 * GB) for i in range(200))
    _inp, p = plan(hosts, ())
    assert [wave.size for wave in p.waves] == [96, 96, 8]
    assert p.waves[0].limit == "vlcm_limit"


def test_ha_keeps_the_largest_hosts_capacity():
    # 4 hosts of 512 GB with 192 GB each in use: without HA two can go (768 GB on the other two's 1024),
    # keeping one host's capacity free only one
    hosts, vms = cluster(4, 6, mem=32 * GB)
    _inp, free = plan(hosts, vms)
    assert free.waves[0].size == 2
    _inp, kept = plan(hosts, vms, ha=w.HaReserve(host_failures=1))
    assert kept.waves[0].size == 1
    assert kept.waves[0].limit == "ha"
    assert kept.waves[0].reason.startswith("HA failover capacity kept (1 host failure tolerated)")


def test_ha_percentage():
    hosts, vms = cluster(4, 6, mem=32 * GB)
    _inp, p = plan(hosts, vms, ha=w.HaReserve(cpu_percent=25, memory_percent=50))
    # two hosts left: 1024 GB, half reserved = 512 GB < 768 GB in use; three left: 1536 -> 768 free: fits
    assert p.waves[0].size == 1 and p.waves[0].limit == "ha"


def test_unmovable_vm_blocks_its_host_unless_powered_off():
    hosts, vms = cluster(4, 1)
    gpu = vm(999, 0, mem=64 * GB, unmovable="has a PCI passthrough (DirectPath I/O) device")
    _inp, p = plan(hosts, (*vms, gpu))
    assert set(p.blocked) == {"host-0"}
    assert "vm-999" in p.blocked["host-0"] and "POWER_OFF_VMS" in p.blocked["host-0"]
    assert sorted(h for wave in p.waves for h in wave.hosts) == ["host-1", "host-2", "host-3"]
    _inp, p = plan(hosts, (*vms, gpu), power_off_unmovable=True)
    assert not p.blocked
    wave = next(wave for wave in p.waves if "host-0" in wave.hosts)
    assert wave.powered_off == ("vm-999",)
    assert "vm-999" not in wave.placement


def test_powered_off_vms_need_no_room():
    hosts, vms = cluster(2, 0)
    big = tuple(vm(i, 0, mem=400 * GB, running=False) for i in range(3))
    _inp, p = plan(hosts, big)
    assert [wave.size for wave in p.waves] == [2]
    assert p.waves[0].evacuated == ()


def test_vm_too_large_for_any_other_host_is_blocked():
    hosts = (host(0, mem=1024 * GB), host(1), host(2))
    vms = (vm(1, 0, mem=600 * GB),)
    _inp, p = plan(hosts, vms)
    assert "host-0" in p.blocked and p.blocked["host-0"].startswith("capacity: VM 'vm-001'")
    assert sorted(h for wave in p.waves for h in wave.hosts) == ["host-1", "host-2"]


def test_hosts_in_maintenance_go_first_and_receive_nothing():
    hosts = (host(0), host(1), host(2, state=w.MAINTENANCE), host(3, state=w.UNAVAILABLE))
    vms = (vm(1, 0, mem=200 * GB), vm(2, 1, mem=200 * GB))
    _inp, p = plan(hosts, vms)
    assert p.waves[0].hosts[0] == "host-2"
    assert p.blocked == {"host-3": "not available (disconnected, not responding, powered off or in standby)"}
    # host-0 and host-1 can only swap VMs through each other: one at a time
    assert [wave.size for wave in p.waves] == [2, 1]


def test_only_todo_hosts_are_planned_and_unknown_ids_blocked():
    hosts, vms = cluster(4, 1)
    _inp, p = plan(hosts, vms, todo=["host-2", "host-9"])
    assert [wave.hosts for wave in p.waves] == [("host-2",)]
    assert p.blocked == {"host-9": "not a host of the cluster"}


def test_max_utilization_headroom():
    hosts, vms = cluster(2, 4, mem=64 * GB)       # 256 GB in use on each 512 GB host
    _inp, p = plan(hosts, vms, todo=["host-0"])
    assert p.waves and not p.blocked
    _inp, p = plan(hosts, vms, todo=["host-0"], max_utilization=0.9)   # 512 GB > 460.8 GB allowed
    assert not p.waves and "host-0" in p.blocked


def test_later_waves_start_from_the_placement_of_earlier_ones():
    hosts, vms = cluster(3, 2, mem=100 * GB)
    _inp, p = plan(hosts, vms)
    first = p.waves[0]
    assert all(dest not in first.hosts for dest in first.placement.values())
    moved_again = {vm_id for wave in p.waves[1:] for vm_id in wave.evacuated}
    assert moved_again & set(first.placement)      # VMs moved in wave 1 may move again later


@pytest.mark.parametrize("value,expected", [
    (4, w.Cap(count=4)), ("4", w.Cap(count=4)), ("25%", w.Cap(percent=25.0)), (" 12.5 % ", w.Cap(percent=12.5)),
    ("100%", w.Cap(percent=100.0)), (None, w.Cap()),
])
def test_parse_cap(value, expected):
    assert w.parse_cap(value) == expected


@pytest.mark.parametrize("value", [0, -1, "0", "-3", "0%", "101%", "-5%", "abc", "25 percent", True, 2.5, ""])
def test_parse_cap_refuses(value):
    with pytest.raises(w.PlanInputError, match="max_hosts_in_maintenance"):
        w.parse_cap(value)


def test_percent_cap_rounds_down_to_at_least_one():
    assert w.parse_cap("10%").resolve(4) == 1
    assert w.parse_cap("50%").resolve(5) == 2


def test_bad_inputs():
    hosts, vms = cluster(2, 0)
    with pytest.raises(w.PlanInputError):
        plan(hosts, vms, max_utilization=0)
    with pytest.raises(w.PlanInputError):
        plan(hosts, vms, vlcm_limit=97)


# ----------------------------------------------------------------------------- forecast
APPLY = {
    "status": {"status": "OK"},
    "host_status": {
        "host-0": {"status": "OK", "start_time": "2026-11-30T10:00:00.000Z", "end_time": "2026-11-30T10:14:00.000Z"},
        "host-1": {"status": "OK", "start_time": "2026-11-30T10:14:00Z", "end_time": "2026-11-30T10:30:00Z"},
        "host-2": {"status": "ERROR", "start_time": "2026-11-30T10:30:00Z", "end_time": "2026-11-30T10:31:00Z"},
        "host-3": {"status": "SKIPPED", "start_time": None, "end_time": None},
    },
}


def test_host_durations_from_the_last_apply_result():
    assert w.host_durations(APPLY) == {"host-0": 840.0, "host-1": 960.0}
    assert w.host_durations(None) == {}
    assert w.host_durations({"host_status": {"h": {"status": "OK", "start_time": "x", "end_time": None}}}) == {}


def test_estimates_history_then_cluster_median_then_host_seconds():
    history = w.host_durations(APPLY)
    est = w.host_estimates(["host-0", "host-2"], history, 600)
    assert est == {"host-0": (840.0, "history"), "host-2": (900.0, "cluster_median")}
    assert w.host_estimates(["host-0"], {}, 600) == {"host-0": (600.0, "host_seconds")}
    assert w.wave_seconds(["host-0", "host-2"], est) == 900.0


def test_plan_report():
    hosts, vms = cluster(4, 1)
    inp, p = plan(hosts, vms, cap=w.Cap(count=2))
    est = w.host_estimates([h.id for h in hosts], {"host-0": 600.0, "host-1": 1200.0}, 900)
    report = w.plan_report(p, inp, est)
    assert [wave["hosts"] for wave in report["waves"]] == [["esx-00", "esx-01"], ["esx-02", "esx-03"]]
    assert report["waves"][0]["forecast_seconds"] == 1200
    assert report["waves"][1]["forecast_basis"] == ["cluster_median"]
    assert report["forecast"]["total_seconds"] == 1200 + 900
    assert report["forecast"]["sequential_seconds"] == 600 + 1200 + 900 + 900
    assert report["waves"][0]["vms_to_evacuate"] == 2


def test_forecast_counts_the_vms_earlier_waves_send_to_a_host():
    # History-04's shape: 4 hosts x 8 VMs of 16 GB; the first wave's VMs all land on the host of the second wave
    hosts = tuple(host(i, mem=512 * GB) for i in range(4))
    vms = tuple(vm(i * 100 + j, i, mem=16 * GB) for i in range(4) for j in range(8))
    inp, p = plan(hosts, vms, cap=w.Cap(count=3))
    assert [wave.size for wave in p.waves] == [3, 1]
    last = p.waves[1].hosts[0]
    turn = w.vms_at_turn(p, inp)
    assert turn[last] == (8, 8 + 24)
    assert all(turn[h] == (8, 8) for h in p.waves[0].hosts)
    est = w.host_estimates([h.id for h in hosts], {h.id: 835.0 for h in hosts}, 900)
    report = w.plan_report(p, inp, est, vm_seconds=5)
    assert [wave["forecast_seconds"] for wave in report["waves"]] == [835, 835 + 24 * 5]
    assert report["forecast"]["total_seconds"] == 835 + 835 + 120
    row = next(r for r in report["forecast"]["hosts"] if r["vms_at_its_turn"] == 32)
    assert row["seconds"] == 955 and row["recorded_or_given_seconds"] == 835 and row["vms_now"] == 8
    # without the per-VM figure the forecast is the recorded time alone (the control)
    assert w.plan_report(p, inp, est)["forecast"]["total_seconds"] == 2 * 835
