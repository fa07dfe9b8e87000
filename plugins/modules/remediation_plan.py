#!/usr/bin/python
# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _capacity as capacity
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _waves as waves
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import OptionError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._module import VcenterModule


def check_options(p: dict[str, Any]) -> waves.Cap:
    """Every option of the plan, before any call to vCenter."""
    if p.get("host") is not None:
        raise OptionError("host (a standalone host) cannot be planned: remediation_plan plans the hosts of a cluster "
                          "in waves; set cluster (and hosts to plan "
                          "some of them); a standalone host is remediated on its own", option="host")
    try:
        cap = waves.parse_cap(p["max_hosts_in_maintenance"])
    except waves.PlanInputError as exc:
        raise OptionError(str(exc), option="max_hosts_in_maintenance") from None
    if p["host_seconds"] <= 0:
        raise OptionError(f"host_seconds must be a positive number of seconds (got {p['host_seconds']}): the time "
                          "one host takes to remediate when vCenter has recorded none", option="host_seconds")
    if p["evacuation_seconds_per_vm"] < 0:
        raise OptionError(f"evacuation_seconds_per_vm must be 0 or more seconds (got {p['evacuation_seconds_per_vm']}): "
                          "what each VM an earlier wave moves to a host adds to that host's time; 0 ignores them",
                          option="evacuation_seconds_per_vm")
    if p["ha_failover_hosts"] is not None and p["ha_failover_hosts"] < 0:
        raise OptionError(f"ha_failover_hosts must be 0 or more (got {p['ha_failover_hosts']}): the host failures "
                          "whose capacity stays free, or leave it out to follow HA admission control",
                          option="ha_failover_hosts")
    if not 1 <= p["max_utilization"] <= 100:
        raise OptionError(f"max_utilization must be a percent from 1 to 100 (got {p['max_utilization']})",
                          option="max_utilization")
    return cap


def hosts_to_plan(m: VcenterModule, compliance: dict[str, Any] | None, pairs: list[tuple[str, str]]) -> tuple[list[str], list[dict[str, Any]]]:
    """(ids of the selected hosts that need remediation, [{name, status}] of the others)."""
    if compliance is None:
        m.warn("vCenter has no compliance report for this cluster: every selected host is planned; run "
               "vsphere.lifecycle.compliance first to plan only the hosts that need remediation")
        return [host_id for host_id, _name in pairs], []
    report = compliance.get("hosts") or {}
    todo, skipped, unknown = [], [], []
    for host_id, name in pairs:
        status = (report.get(host_id) or {}).get("status")
        if status == "NON_COMPLIANT":
            todo.append(host_id)
        elif status is None:
            todo.append(host_id)
            unknown.append(name)
        else:
            skipped.append({"name": name, "status": status})
    if unknown:
        m.warn(f"compliance of {', '.join(unknown)} is unknown (not in the last report): planned as needing "
               "remediation; run vsphere.lifecycle.compliance to refresh the report")
    return todo, skipped


def run(m: VcenterModule) -> dict[str, Any]:
    p = m.params
    cap = check_options(p)
    sel = m.target()
    target = sel.target
    todo, skipped = hosts_to_plan(m, rem.read_compliance(m.rest, target), sel.pairs)
    report = capacity.plan_cluster(m.rest, m.soap, target, todo, cap=cap, ha_failover_hosts=p["ha_failover_hosts"],
                                   cpu_basis=p["cpu_basis"], max_utilization=p["max_utilization"],
                                   host_seconds=p["host_seconds"], vm_seconds=p["evacuation_seconds_per_vm"])
    return {
        "changed": False,
        "replan": report.pop("replan"),
        "hosts_to_remediate": [h.name for h in sel.hosts if h.id in set(todo)],
        "skipped_hosts": skipped,
        "cluster_settings": report.pop("cluster_settings"),
        **report,
    }


def main() -> None:
    module = VcenterModule(
        argument_spec=dict(
            max_hosts_in_maintenance=dict(type="raw"),
            host_seconds=dict(type="int", default=900),
            evacuation_seconds_per_vm=dict(type="float", default=5.0),
            ha_failover_hosts=dict(type="int"),
            cpu_basis=dict(type="str", default="demand", choices=list(capacity.CPU_BASES)),
            max_utilization=dict(type="int", default=100),
        ),
        target="hosts",
        positive=(),
        supports_check_mode=True,
    )
    try:
        check_options(module.params)
    except OptionError as exc:
        module.module.fail_json(msg=exc.message, option=exc.details.get("option"))
    module.run(run)


if __name__ == "__main__":
    main()
