"""esx/settings/clusters/{c}/software: get, scan, compliance, stage, check, apply and the reports,
through the generated stubs (tasks via com.vmware.cis_client.Tasks), on the tiny scenario."""

from __future__ import annotations

from typing import Any

import pytest
from _vapi_client import VcenterApiClient, no_extra_fields, task_error, task_result, wait_task
from com.vmware.cis.task_client import Info as TaskInfo
from com.vmware.cis.task_client import Status as TaskStatus
from com.vmware.cis_client import Tasks
from com.vmware.esx.settings.clusters.software.reports_client import (
    ApplyImpact,
    LastApplyResult,
    LastCheckResult,
)
from com.vmware.esx.settings.clusters.software_client import Compliance
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.esx.settings_client import ClusterCompliance, ComplianceImpact, ComplianceStatus, StageStatus
from com.vmware.vapi.std.errors_client import Error as VapiStdError
from com.vmware.vapi.std.errors_client import InvalidArgument, NotAllowedInCurrentState, NotFound
from vlcmsim.testing import Ids, SimulatorHandle

DESIRED_BASE = "8.0.3-0.50.24585383"      # tiny.yml images.desired
CURRENT_BASE = "8.0.3-0.35.24280767"      # tiny.yml images.current
T1, T2 = "esxi-t1.lab.local", "esxi-t2.lab.local"


def run(client: VcenterApiClient, task: Any, timeout: float = 60.0) -> tuple[TaskInfo, list[TaskInfo]]:
    """Poll the task through Tasks.get to the end; return the final info and every info seen."""
    seen: list[TaskInfo] = []
    final = wait_task(client, task, timeout, seen.append)
    return final, seen


def assert_succeeded(client: VcenterApiClient, info: TaskInfo, seen: list[TaskInfo], operation: str) -> None:
    assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
    assert no_extra_fields(info) == []
    assert info.service == "com.vmware.esx.settings.clusters.software"
    assert info.operation == operation
    assert info.progress is not None and info.progress.total > 0
    assert info.progress.completed == info.progress.total
    assert info.start_time is not None and info.end_time is not None and info.start_time <= info.end_time
    done = [i.progress.completed for i in seen if i.progress is not None]
    assert done == sorted(done), f"progress went backwards: {done}"


def scan(client: VcenterApiClient, cluster: str) -> TaskInfo:
    info, seen = run(client, client.stub(Software).scan_task(cluster))
    assert_succeeded(client, info, seen, "scan")
    return info


def test_software_get_is_the_desired_image(client: VcenterApiClient, ids: Ids) -> None:
    software = client.stub(Software).get(ids.cluster["Tiny-01"])
    assert no_extra_fields(software) == []
    assert software.base_image.version == DESIRED_BASE
    assert software.base_image.details.display_version == "8.0 U3e"
    assert (software.add_on.name, software.add_on.version) == ("DEL-ESXi", "803.24585383-A02")
    assert software.components["Intel-i40en"].version == "2.6.0.0-1OEM.800.1.0.20613240"
    package = software.hardware_support.packages["com.dell.openmanage"]
    assert (package.pkg, package.version) == ("Dell-PowerEdge-R750-Firmware", "2025.03")


def test_scan_then_compliance_is_non_compliant(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    task = client.stub(Software).scan_task(cluster)
    info, seen = run(client, task)
    assert_succeeded(client, info, seen, "scan")
    from_task = task_result(task, info)
    assert isinstance(from_task, ClusterCompliance)
    compliance = client.stub(Compliance).get(cluster)
    assert no_extra_fields(compliance) == []
    assert compliance.status == ComplianceStatus.NON_COMPLIANT
    assert from_task.status == compliance.status
    assert compliance.impact in (ComplianceImpact.MAINTENANCE_MODE_REQUIRED, ComplianceImpact.REBOOT_REQUIRED)
    hosts = {ids.host[T1], ids.host[T2]}
    assert compliance.non_compliant_hosts == hosts
    assert compliance.compliant_hosts == set() and compliance.incompatible_hosts == set()
    assert set(compliance.hosts) == hosts
    assert {i: h.name for i, h in compliance.host_info.items()} == {ids.host[T1]: T1, ids.host[T2]: T2}
    for host_id, host in compliance.hosts.items():
        assert host.status == ComplianceStatus.NON_COMPLIANT, host_id
        assert host.base_image.status == ComplianceStatus.NON_COMPLIANT
        assert host.base_image.current.version == CURRENT_BASE
        assert host.base_image.target.version == DESIRED_BASE
        assert host.add_on.current.version == "803.24280767-A01"
        assert host.add_on.target.version == "803.24585383-A02"
        assert host.components["Intel-i40en"].status == ComplianceStatus.NON_COMPLIANT
    assert compliance.commit is not None


def test_stage_marks_hosts_and_firmware_exception(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    scan(client, cluster)
    task = client.stub(Software).stage_task(cluster, Software.StageSpec())
    info, seen = run(client, task)
    assert_succeeded(client, info, seen, "stage")
    result = task_result(task, info)
    assert isinstance(result, Software.StageResult)
    assert no_extra_fields(result) == []
    assert set(result.host_status) == {ids.host[T1], ids.host[T2]}
    # staging does not fail for a host whose firmware cannot be staged (seed 000)
    assert result.successful_hosts == {ids.host[T1], ids.host[T2]}
    assert result.failed_hosts == set()
    compliance = client.stub(Compliance).get(cluster)
    assert compliance.hosts[ids.host[T1]].stage_status == StageStatus.STAGED
    # t2's firmware cannot be staged: its software is staged, but the host is not marked STAGED
    t2 = compliance.hosts[ids.host[T2]]
    assert t2.stage_status != StageStatus.STAGED
    notes = [n for kind in (t2.notifications.info, t2.notifications.warnings, t2.notifications.errors)
             for n in (kind or [])]
    notes += [n for n in (result.host_status[ids.host[T2]].notifications.warnings or [])]
    notes += [n for n in (result.host_status[ids.host[T2]].notifications.info or [])]
    assert notes, "a notification says t2 could not be fully staged"


def test_stage_only_the_given_hosts(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    scan(client, cluster)
    task = client.stub(Software).stage_task(cluster, Software.StageSpec(hosts={ids.host[T1]}))
    info, seen = run(client, task)
    assert_succeeded(client, info, seen, "stage")
    result = task_result(task, info)
    assert result.successful_hosts == {ids.host[T1]}
    assert ids.host[T2] not in result.failed_hosts
    compliance = client.stub(Compliance).get(cluster)
    assert compliance.hosts[ids.host[T1]].stage_status == StageStatus.STAGED
    assert compliance.hosts[ids.host[T2]].stage_status != StageStatus.STAGED


def test_stage_result_with_a_skipped_host_parses_in_the_bindings(client: VcenterApiClient, ids: Ids) -> None:
    """A host that is already compliant is SKIPPED by stage; the binding's StageStatus union says what a SKIPPED
    status may carry (no progress), so the bindings, not a hand-written rule, judge the simulator's reply."""
    cluster, t1, t2 = ids.cluster["Tiny-01"], ids.host[T1], ids.host[T2]
    software = client.stub(Software)
    info, seen = run(client, software.apply_task(cluster, Software.ApplySpec(accept_eula=True, hosts={t1})),
                     timeout=120)
    assert_succeeded(client, info, seen, "apply")
    assert client.stub(Compliance).get(cluster).hosts[t1].status == ComplianceStatus.COMPLIANT
    task = software.stage_task(cluster, Software.StageSpec())
    info, seen = run(client, task)
    assert_succeeded(client, info, seen, "stage")
    result = task_result(task, info)                        # strict: types, enums, unions, required fields
    assert isinstance(result, Software.StageResult) and no_extra_fields(result) == []
    assert result.skipped_hosts == {t1} and result.successful_hosts == {t2} and result.failed_hosts == set()
    assert result.host_status[t1].status == Software.StageStatus.Status.SKIPPED
    assert result.host_status[t2].status == Software.StageStatus.Status.OK


def test_check_reports_pre_checks(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    scan(client, cluster)
    task = client.stub(Software).check_task(cluster, Software.CheckSpec())
    info, seen = run(client, task)
    assert_succeeded(client, info, seen, "check")
    result = task_result(task, info)
    assert isinstance(result, Software.CheckResult)
    assert no_extra_fields(result) == []
    assert result.status in (Software.Status.OK, Software.Status.WARNING)
    entities = {(e.type, e.cluster or e.host) for e in result.entity_results}
    assert (Software.EntityCheckResult.EntityType.CLUSTER, cluster) in entities
    assert {(Software.EntityCheckResult.EntityType.HOST, ids.host[h]) for h in (T1, T2)} <= entities
    assert all(e.check_statuses for e in result.entity_results)
    last = client.stub(LastCheckResult).get(cluster)
    assert no_extra_fields(last) == []
    assert last.status == result.status
    assert last.commit == result.commit


def test_apply_needs_accept_eula(client: VcenterApiClient, ids: Ids) -> None:
    # The binding documents std.errors.Error "if the EULA has not been accepted" (not InvalidArgument).
    with pytest.raises(VapiStdError) as err:
        client.stub(Software).apply_task(ids.cluster["Tiny-01"], Software.ApplySpec())
    assert type(err.value) is VapiStdError, f"expected exactly Error, got {type(err.value).__name__}"
    assert err.value.error_type == "ERROR" and err.value.get_status_code() == 500
    assert "license" in err.value.messages[0].default_message.lower()


def test_apply_with_invalid_hosts_or_commit_is_invalid_argument(client: VcenterApiClient, ids: Ids) -> None:
    # The binding documents InvalidArgument for a host not part of the cluster or an invalid commit.
    cluster = ids.cluster["Tiny-01"]
    with pytest.raises(InvalidArgument) as err:
        client.stub(Software).apply_task(cluster, Software.ApplySpec(accept_eula=True,
                                                                     hosts={ids.host["esxi-ts.lab.local"]}))
    assert err.value.messages
    with pytest.raises(InvalidArgument):
        client.stub(Software).apply_task(cluster, Software.ApplySpec(accept_eula=True, commit="999999"))


def test_apply_remediates_to_compliant(sim: SimulatorHandle, client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    scan(client, cluster)
    impact = client.stub(ApplyImpact).get(cluster)
    assert no_extra_fields(impact) == []
    assert set(impact.host_impact) == {ids.host[T1], ids.host[T2]}
    assert all(impact.host_impact[h] for h in impact.host_impact), "each host has an impact message"
    task = client.stub(Software).apply_task(cluster, Software.ApplySpec(accept_eula=True))
    info, seen = run(client, task, timeout=120)
    assert_succeeded(client, info, seen, "apply")
    assert any(i.status == TaskStatus.RUNNING and i.progress is not None for i in seen), \
        "apply of two hosts is long enough to be seen RUNNING with progress"
    result = task_result(task, info)
    assert isinstance(result, Software.ApplyResult)
    assert no_extra_fields(result) == []
    assert result.successful_hosts == {ids.host[T1], ids.host[T2]}
    assert result.failed_hosts == set()
    assert all(s.status == Software.ApplyStatus.Status.OK for s in result.host_status.values())
    last = client.stub(LastApplyResult).get(cluster)
    assert no_extra_fields(last) == []
    assert last.successful_hosts == result.successful_hosts and last.commit == result.commit
    scan(client, cluster)
    compliance = client.stub(Compliance).get(cluster)
    assert compliance.status == ComplianceStatus.COMPLIANT
    assert compliance.compliant_hosts == {ids.host[T1], ids.host[T2]}
    assert all(h.base_image.current.version == DESIRED_BASE for h in compliance.hosts.values())
    counters = sim.counters()
    assert counters["reboots"] >= 2


def test_unknown_cluster_is_not_found(client: VcenterApiClient) -> None:
    with pytest.raises(NotFound) as err:
        client.stub(Compliance).get("domain-c999999")
    assert err.value.messages and "domain-c999999" in str(err.value.messages[0].default_message)
    with pytest.raises(NotFound):
        client.stub(Software).get("domain-c999999")
    with pytest.raises(NotFound):
        client.stub(Software).scan_task("domain-c999999")


def test_results_before_any_run_are_not_found(client: VcenterApiClient, ids: Ids) -> None:
    # The bindings document NotFound "if the compliance information is unavailable" and "if there
    # is no result associated with the cluster" for the reports; a fresh tiny scenario has neither.
    cluster = ids.cluster["Tiny-01"]
    for call in (client.stub(Compliance).get, client.stub(LastCheckResult).get, client.stub(LastApplyResult).get):
        with pytest.raises(NotFound) as err:
            call(cluster)
        assert err.value.messages


def test_busy_cluster_is_not_allowed(sim: SimulatorHandle, client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    sim.add_faults({"type": "cluster_busy", "cluster": "Tiny-01"})
    with pytest.raises(NotAllowedInCurrentState) as err:
        client.stub(Software).apply_task(cluster, Software.ApplySpec(accept_eula=True))
    assert err.value.messages
    with pytest.raises(NotAllowedInCurrentState):
        client.stub(Software).stage_task(cluster, Software.StageSpec())
    sim.clear_faults()
    scan(client, cluster)


def test_tasks_get_unknown_task_is_not_found(client: VcenterApiClient) -> None:
    with pytest.raises(NotFound):
        client.stub(Tasks).get("52a1a1a1-0000-0000-0000-000000000000:com.vmware.esx.settings.clusters.software")
