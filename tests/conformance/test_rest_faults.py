"""Injected faults as the bindings see them: typed errors, a failed task's error and result."""

from __future__ import annotations

import pytest
import requests
from _vapi_client import VcenterApiClient, no_extra_fields, task_error, task_result, wait_task
from com.vmware.cis.task_client import Status as TaskStatus
from com.vmware.esx.settings.clusters.policies_client import Apply
from com.vmware.esx.settings.clusters.software.reports_client import LastApplyResult
from com.vmware.esx.settings.clusters.software_client import Compliance
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.esx.settings_client import ComplianceStatus, StageStatus
from com.vmware.vapi.std.errors_client import Error, ServiceUnavailable
from vlcmsim.testing import Ids, SimulatorHandle

COMPLIANCE_PATH = "/api/esx/settings/clusters/*/software/compliance"


def test_503_is_service_unavailable_once(sim: SimulatorHandle, client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    wait_task(client, client.stub(Software).scan_task(cluster))
    sim.add_faults({"type": "http_status", "status": 503, "retry_after": 1,
                                      "method": "GET", "path": COMPLIANCE_PATH, "count": 1})
    with pytest.raises(ServiceUnavailable):
        client.stub(Compliance).get(cluster)
    assert client.stub(Compliance).get(cluster).status == ComplianceStatus.NON_COMPLIANT


def test_reset_connection_then_recovers(sim: SimulatorHandle, client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    wait_task(client, client.stub(Software).scan_task(cluster))
    sim.add_faults({"type": "reset_connection", "method": "GET", "path": COMPLIANCE_PATH})
    with pytest.raises(requests.exceptions.ConnectionError):
        client.stub(Compliance).get(cluster)
    assert client.stub(Compliance).get(cluster).status == ComplianceStatus.NON_COMPLIANT


def test_failed_apply_task_has_a_typed_error_and_leaves_host_staged(sim: SimulatorHandle, client: VcenterApiClient,
                                                                    ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    t1 = ids.host["esxi-t1.lab.local"]
    software = client.stub(Software)
    client.stub(Apply).set(cluster, Apply.ConfiguredPolicySpec(
        failure_action=Apply.FailureAction(action=Apply.FailureAction.Action.FAIL)))
    wait_task(client, software.scan_task(cluster))
    sim.add_faults({"type": "host_fail", "host": "esxi-t1.lab.local", "phase": "install"})
    task = software.apply_task(cluster, Software.ApplySpec(accept_eula=True, hosts={t1}))
    info = wait_task(client, task, timeout=120)
    # The seeds do not say whether vCenter ends such a task FAILED (with an error) or SUCCEEDED
    # with the host in failed_hosts; both shapes must be well-formed for the binding.
    assert info.status in (TaskStatus.FAILED, TaskStatus.SUCCEEDED)
    if info.status == TaskStatus.FAILED:
        error = task_error(client, info)
        assert isinstance(error, Error) and error.messages, "a FAILED task carries a vAPI error with messages"
    else:
        assert info.error is None
    if info.result is not None or info.status == TaskStatus.SUCCEEDED:
        result = task_result(task, info)
        assert isinstance(result, Software.ApplyResult)
        assert no_extra_fields(result) == []
        assert t1 in result.failed_hosts
        assert result.host_status[t1].status == Software.ApplyStatus.Status.ERROR
        assert result.status.status == Software.ApplyStatus.Status.ERROR
    last = client.stub(LastApplyResult).get(cluster)
    assert no_extra_fields(last) == []
    assert t1 in last.failed_hosts
    wait_task(client, software.scan_task(cluster))
    host = client.stub(Compliance).get(cluster).hosts[t1]
    assert host.status == ComplianceStatus.NON_COMPLIANT
    assert host.stage_status == StageStatus.STAGED


def test_retried_host_failure_is_reported_and_then_succeeds(sim: SimulatorHandle, client: VcenterApiClient,
                                                            ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    t1 = ids.host["esxi-t1.lab.local"]
    software = client.stub(Software)
    client.stub(Apply).set(cluster, Apply.ConfiguredPolicySpec(
        failure_action=Apply.FailureAction(action=Apply.FailureAction.Action.RETRY, retry_delay=60,
                                           retry_count=2)))
    wait_task(client, software.scan_task(cluster))
    sim.add_faults({"type": "host_fail", "host": "esxi-t1.lab.local", "phase": "install",
                                      "count": 1})
    task = software.apply_task(cluster, Software.ApplySpec(accept_eula=True, hosts={t1}))
    info = wait_task(client, task, timeout=120)
    assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
    result = task_result(task, info)     # parses every notification strictly (union rules included)
    assert no_extra_fields(result) == []
    assert result.successful_hosts == {t1}
    notes = result.host_status[t1].notifications
    reported = [n for kind in (notes.info, notes.warnings, notes.errors) for n in (kind or [])]
    assert any("fail" in n.message.default_message.lower() for n in reported), \
        "the failed first attempt is reported on the host"
    last = client.stub(LastApplyResult).get(cluster)
    assert no_extra_fields(last) == [] and last.successful_hosts == {t1}
