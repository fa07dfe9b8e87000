"""Live patch through the strict 9.1.1.0 bindings (issue 13): the scan (HostCompliance impact, impact_details,
remediation_details, compliance_status_details), the apply impact, the pre-check and the apply result of a live
patch, of an ENFORCE refusal and of an AUTO fallback decode with no field or enum value the bindings lack, on
the bundled livepatch (8.0 U3) and livepatch91 (9.1) scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _sim import Ids, RunningSim, start_simulator
from _vapi_client import VcenterApiClient, no_extra_fields, task_error, task_result, wait_task
from com.vmware.cis.task_client import Status as TaskStatus
from com.vmware.esx.settings.clusters.software.reports_client import (
    ApplyImpact,
    LastApplyResult,
    LastCheckResult,
)
from com.vmware.esx.settings.clusters.software_client import Compliance
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.esx.settings_client import ComplianceImpact, ComplianceStatus
from com.vmware.vapi.std.errors_client import Error as VapiStdError

LIVE = "com.vmware.vcIntegrity.lifecycle.LivePatch."


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningSim]]:
    started = {name: start_simulator(Path(tmp_path_factory.mktemp(f"vlcmsim-{name}")), name, 0.0005)
               for name in ("livepatch", "livepatch91")}
    try:
        yield started
    finally:
        for sim in started.values():
            sim.stop()


def connect(sim: RunningSim) -> tuple[VcenterApiClient, Ids]:
    sim.reset()
    return VcenterApiClient(sim.url, sim.ca, sim.username, sim.password), sim.ids()


def apply(client: VcenterApiClient, cluster: str, hosts: set[str] | None = None) -> tuple[object, object]:
    task = client.stub(Software).apply_task(cluster, Software.ApplySpec(accept_eula=True, hosts=hosts))
    return task, wait_task(client, task)


def messages(notes: object) -> list[str]:
    return [n.message.default_message for kind in ("info", "warnings", "errors")
            for n in (getattr(notes, kind) or [])]


def test_scan_and_apply_impact_of_a_live_patch_decode(sims: dict[str, RunningSim]) -> None:
    client, ids = connect(sims["livepatch"])
    with client:
        cluster = ids.cluster["LP-Mixed"]
        task = client.stub(Software).scan_task(cluster)
        info = wait_task(client, task)
        assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
        assert no_extra_fields(task_result(task, info)) == []
        compliance = client.stub(Compliance).get(cluster)
        assert no_extra_fields(compliance) == []
        m1 = compliance.hosts[ids.host["esxi-m1.lab.local"]]
        assert m1.impact == ComplianceImpact.PARTIAL_MAINTENANCE_MODE_REQUIRED
        assert m1.impact_details.partial_maintenance_mode_name == "quickPatchPartialMM"
        assert m1.impact_details.partial_maintenance_mode_upgrade_actions == ["VM_FAST_SUSPEND_RESUME"]
        assert m1.impact_details.solution_impacts == {}
        assert len(m1.remediation_details.remediation_actions) >= 4
        warned = {n.message.args[0]: n.message.args[2] for n in m1.notifications.warnings}
        assert warned == {"m1-ft-01": "FAULT_TOLERANCE", "m1-gpu-01": "DIRECTPATH_IO", "m1-pod-01": "VSPHERE_POD",
                          "sql-fci-01": "SHARED_DISK"}
        m3 = compliance.hosts[ids.host["esxi-m3.lab.local"]]
        assert m3.impact == ComplianceImpact.REBOOT_REQUIRED and m3.impact_details is None
        assert [n.id for n in m3.notifications.errors] == [LIVE + "Ineligible.TPM"]
        impact = client.stub(ApplyImpact).get(cluster)
        assert no_extra_fields(impact) == []
        m1_items = [i.message.default_message for i in impact.host_impact[ids.host["esxi-m1.lab.local"]]]
        assert any("partial maintenance mode" in m for m in m1_items)
        assert any("2 powered-on VM(s) will be fast-suspend-resumed" in m for m in m1_items)
        m3_items = [i.message.id for i in impact.host_impact[ids.host["esxi-m3.lab.local"]]]
        assert LIVE + "impact.Refused" in m3_items


def test_check_and_apply_result_of_an_enforce_refusal_decode(sims: dict[str, RunningSim]) -> None:
    client, ids = connect(sims["livepatch"])
    with client:
        cluster = ids.cluster["LP-Mixed"]
        task = client.stub(Software).check_task(cluster, Software.CheckSpec())
        info = wait_task(client, task)
        assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
        result = task_result(task, info)
        assert no_extra_fields(result) == []
        assert result.status == Software.Status.ERROR
        last = client.stub(LastCheckResult).get(cluster)
        assert no_extra_fields(last) == []
        by_host = {e.host: e for e in last.entity_results if e.host}
        live = {h: [c for c in e.check_statuses if c.check.check.endswith("LivePatchCheck")]
                for h, e in by_host.items()}
        assert live[ids.host["esxi-m3.lab.local"]][0].status == LastCheckResult.Status.ERROR
        assert live[ids.host["esxi-m1.lab.local"]][0].status == LastCheckResult.Status.WARNING   # VMs that will not FSR
        task, info = apply(client, cluster)
        assert info.status == TaskStatus.FAILED
        error = task_error(client, info)
        assert isinstance(error, VapiStdError)
        text = error.messages[0].default_message
        assert "esxi-m3.lab.local" in text and "TPM" in text and "esxi-m4.lab.local" in text
        last_apply = client.stub(LastApplyResult).get(cluster)
        assert no_extra_fields(last_apply) == []
        assert last_apply.successful_hosts == set() and len(last_apply.skipped_hosts) == 4


def test_apply_result_of_a_live_patch_and_the_pending_vms_decode(sims: dict[str, RunningSim]) -> None:
    client, ids = connect(sims["livepatch"])
    with client:
        cluster = ids.cluster["LP-Mixed"]
        m1 = ids.host["esxi-m1.lab.local"]
        task, info = apply(client, cluster, {m1})
        assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
        result = task_result(task, info)
        assert no_extra_fields(result) == [] and result.successful_hosts == {m1}
        assert [n.id for n in result.host_status[m1].notifications.info] == [LIVE + "HostLivePatched"]
        assert len(result.host_status[m1].notifications.warnings) == 4
        assert any("Live patched: esxi-m1.lab.local" in m for m in messages(result.notifications))
        assert no_extra_fields(client.stub(LastApplyResult).get(cluster)) == []
        wait_task(client, client.stub(Software).scan_task(cluster))
        host = client.stub(Compliance).get(cluster).hosts[m1]
        assert no_extra_fields(host) == []
        assert host.status == ComplianceStatus.NON_COMPLIANT and host.impact == ComplianceImpact.NO_IMPACT
        assert host.base_image.status == ComplianceStatus.COMPLIANT
        assert host.compliance_status_details.id == LIVE + "HostPendingVms"
        assert len(host.remediation_details.remediation_actions) == 4


def test_91_auto_fallback_and_hostd_restart_decode(sims: dict[str, RunningSim]) -> None:
    client, ids = connect(sims["livepatch91"])
    with client:
        cluster = ids.cluster["LP91-Auto"]
        wait_task(client, client.stub(Software).scan_task(cluster))
        compliance = client.stub(Compliance).get(cluster)
        assert no_extra_fields(compliance) == []
        a1 = compliance.hosts[ids.host["esxi-91a1.lab.local"]]
        assert a1.impact_details.partial_maintenance_mode_upgrade_actions == ["VM_FAST_SUSPEND_RESUME",
                                                                              "HOSTD_RESTART"]
        a3 = compliance.hosts[ids.host["esxi-91a3.lab.local"]]
        assert a3.impact == ComplianceImpact.REBOOT_REQUIRED
        assert {n.id for n in a3.notifications.warnings} >= {LIVE + "Ineligible.TPM"}
        task, info = apply(client, cluster)
        assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
        result = task_result(task, info)
        assert no_extra_fields(result) == []
        fallback = result.host_status[ids.host["esxi-91a3.lab.local"]].notifications.warnings
        assert [n.id for n in fallback] == [LIVE + "Fallback"] and "TPM" in fallback[0].message.args
        summary = messages(result.notifications)
        assert len(summary) == 1 and "esxi-91a3.lab.local (TPM" in summary[0]
