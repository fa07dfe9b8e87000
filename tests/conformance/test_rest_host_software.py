"""esx/settings/hosts/{h}/software for the standalone image-managed host esxi-ts (tiny scenario):
get, scan, compliance, stage, check, apply and the reports, through the generated stubs."""

from __future__ import annotations

from typing import Any

import pytest
from _vapi_client import VcenterApiClient, no_extra_fields, task_error, task_result, wait_task
from com.vmware.cis.task_client import Info as TaskInfo
from com.vmware.cis.task_client import Status as TaskStatus
from com.vmware.esx.settings.hosts.software.reports_client import (
    ApplyImpact,
    LastApplyResult,
    LastCheckResult,
)
from com.vmware.esx.settings.hosts.software_client import Compliance
from com.vmware.esx.settings.hosts_client import Software
from com.vmware.esx.settings_client import ComplianceStatus, HostCompliance, StageStatus
from com.vmware.vapi.std.errors_client import Error as VapiStdError
from com.vmware.vapi.std.errors_client import NotFound
from vlcmsim.testing import Ids

DESIRED_BASE = "8.0.3-0.50.24585383"
CURRENT_BASE = "8.0.3-0.35.24280767"
TS = "esxi-ts.lab.local"


def run(client: VcenterApiClient, task: Any, operation: str, timeout: float = 60.0) -> TaskInfo:
    seen: list[TaskInfo] = []
    info = wait_task(client, task, timeout, seen.append)
    assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
    assert info.service == "com.vmware.esx.settings.hosts.software"
    assert info.operation == operation
    assert info.progress is not None and info.progress.completed == info.progress.total > 0
    return info


def test_software_get(client: VcenterApiClient, ids: Ids) -> None:
    software = client.stub(Software).get(ids.host[TS])
    assert no_extra_fields(software) == []
    assert software.base_image.version == DESIRED_BASE
    assert (software.add_on.name, software.add_on.version) == ("DEL-ESXi", "803.24585383-A02")


def test_scan_and_compliance(client: VcenterApiClient, ids: Ids) -> None:
    host = ids.host[TS]
    task = client.stub(Software).scan_task(host)
    info = run(client, task, "scan")
    from_task = task_result(task, info)
    assert isinstance(from_task, HostCompliance)
    compliance = client.stub(Compliance).get(host)
    assert no_extra_fields(compliance) == []
    assert compliance.status == from_task.status == ComplianceStatus.NON_COMPLIANT
    assert compliance.base_image.current.version == CURRENT_BASE
    assert compliance.base_image.target.version == DESIRED_BASE
    assert compliance.components["Intel-i40en"].status == ComplianceStatus.NON_COMPLIANT


def test_stage_check_apply_reports(client: VcenterApiClient, ids: Ids) -> None:
    host = ids.host[TS]
    software = client.stub(Software)
    run(client, software.scan_task(host), "scan")

    task = software.stage_task(host, Software.StageSpec())
    info = run(client, task, "stage")
    staged = task_result(task, info)
    assert isinstance(staged, Software.StageResult)
    assert no_extra_fields(staged) == []
    assert staged.host_info.name == TS
    assert client.stub(Compliance).get(host).stage_status == StageStatus.STAGED

    task = software.check_task(host, Software.CheckSpec())
    info = run(client, task, "check")
    checked = task_result(task, info)
    assert isinstance(checked, Software.CheckResult)
    assert no_extra_fields(checked) == []
    assert checked.status in (Software.Status.OK, Software.Status.WARNING)
    assert checked.entity_result.type == Software.EntityCheckResult.EntityType.HOST
    assert checked.entity_result.host == host
    last_check = client.stub(LastCheckResult).get(host)
    assert no_extra_fields(last_check) == []
    assert last_check.commit == checked.commit

    impact = client.stub(ApplyImpact).get(host)
    assert no_extra_fields(impact) == []

    task = software.apply_task(host, Software.ApplySpec(accept_eula=True))
    info = run(client, task, "apply", timeout=120)
    applied = task_result(task, info)
    assert isinstance(applied, Software.ApplyResult)
    assert no_extra_fields(applied) == []
    assert applied.status.status == Software.ApplyStatus.Status.OK
    last_apply = client.stub(LastApplyResult).get(host)
    assert no_extra_fields(last_apply) == []
    assert last_apply.commit == applied.commit

    run(client, software.scan_task(host), "scan")
    compliance = client.stub(Compliance).get(host)
    assert compliance.status == ComplianceStatus.COMPLIANT
    assert compliance.base_image.current.version == DESIRED_BASE


def test_apply_needs_accept_eula(client: VcenterApiClient, ids: Ids) -> None:
    # The binding documents std.errors.Error "if the EULA has not been accepted" (not InvalidArgument).
    with pytest.raises(VapiStdError) as err:
        client.stub(Software).apply_task(ids.host[TS], Software.ApplySpec())
    assert type(err.value) is VapiStdError, f"expected exactly Error, got {type(err.value).__name__}"
    assert err.value.error_type == "ERROR" and err.value.get_status_code() == 500
    assert "license" in err.value.messages[0].default_message.lower()


def test_unknown_host_is_not_found(client: VcenterApiClient) -> None:
    with pytest.raises(NotFound):
        client.stub(Compliance).get("host-999999")
    with pytest.raises(NotFound):
        client.stub(Software).scan_task("host-999999")
