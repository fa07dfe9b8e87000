"""The whole vLCM flow on the demo scenario (FT VM, shared-disk pair, TPM host, DirectPath VM
with a power-off policy), so the bindings parse the richer replies too: notifications, check
issues, per-host apply outcomes. Values are checked for consistency with each other."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _vapi_client import VcenterApiClient, no_extra_fields, task_error, task_result, wait_task
from com.vmware.cis.task_client import Info as TaskInfo
from com.vmware.cis.task_client import Status as TaskStatus
from com.vmware.esx.settings.clusters.software import reports_client as cluster_reports
from com.vmware.esx.settings.clusters.software_client import Compliance as ClusterCompliance
from com.vmware.esx.settings.clusters_client import Software as ClusterSoftware
from com.vmware.esx.settings.hosts.software import reports_client as host_reports
from com.vmware.esx.settings.hosts.software_client import Compliance as HostCompliance
from com.vmware.esx.settings.hosts_client import Software as HostSoftware
from com.vmware.esx.settings_client import ComplianceStatus
from vlcmsim.testing import SimulatorHandle, start_simulator


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    sim = start_simulator("demo", time_scale=0.001, state_dir=tmp_path_factory.mktemp("vlcmsim-demo"), require_ca=True)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def demo_client(demo: SimulatorHandle) -> Iterator[VcenterApiClient]:
    demo.reset()
    client = VcenterApiClient(demo.url, demo.ca, demo.username, demo.password)
    try:
        yield client
    finally:
        client.close()


def finished(client: VcenterApiClient, task: Any, timeout: float = 180.0) -> tuple[TaskInfo, Any]:
    info = wait_task(client, task, timeout)
    assert no_extra_fields(info) == []
    if info.status == TaskStatus.FAILED:
        error = task_error(client, info)
        assert error is not None and error.messages
    result = task_result(task, info) if info.result is not None else None
    assert no_extra_fields(result) == []
    return info, result


@pytest.mark.parametrize("cluster_name", ["Cluster-A", "Cluster-B"])
def test_cluster_walk(demo: SimulatorHandle, demo_client: VcenterApiClient, cluster_name: str) -> None:
    client = demo_client
    ids = demo.ids()
    cluster = ids.cluster[cluster_name]
    members = {h["id"] for h in ids.state["hosts"] if h["cluster"] == cluster}
    software = client.stub(ClusterSoftware)

    info, scanned = finished(client, software.scan_task(cluster))
    assert info.status == TaskStatus.SUCCEEDED
    compliance = client.stub(ClusterCompliance).get(cluster)
    assert no_extra_fields(compliance) == []
    assert set(compliance.hosts) == members
    groups = (compliance.compliant_hosts, compliance.non_compliant_hosts, compliance.incompatible_hosts,
              compliance.unavailable_hosts)
    assert set().union(*groups) == members and sum(len(g) for g in groups) == len(members)
    for host_id, host in compliance.hosts.items():
        expected = {ComplianceStatus.COMPLIANT: compliance.compliant_hosts,
                    ComplianceStatus.NON_COMPLIANT: compliance.non_compliant_hosts,
                    ComplianceStatus.INCOMPATIBLE: compliance.incompatible_hosts,
                    ComplianceStatus.UNAVAILABLE: compliance.unavailable_hosts}[host.status]
        assert host_id in expected

    impact = client.stub(cluster_reports.ApplyImpact).get(cluster)
    assert no_extra_fields(impact) == []

    info, checked = finished(client, software.check_task(cluster, ClusterSoftware.CheckSpec()))
    assert info.status == TaskStatus.SUCCEEDED and isinstance(checked, ClusterSoftware.CheckResult)
    last_check = client.stub(cluster_reports.LastCheckResult).get(cluster)
    assert no_extra_fields(last_check) == []
    assert last_check.status == checked.status

    info, staged = finished(client, software.stage_task(cluster, ClusterSoftware.StageSpec()))
    assert info.status == TaskStatus.SUCCEEDED and isinstance(staged, ClusterSoftware.StageResult)

    info, applied = finished(client, software.apply_task(cluster, ClusterSoftware.ApplySpec(accept_eula=True)))
    last_apply = client.stub(cluster_reports.LastApplyResult).get(cluster)
    assert no_extra_fields(last_apply) == []
    # every host of the cluster was non-compliant and can be remediated here (DRS evacuates the FT VM and
    # the shared-disk pair's hosts one at a time; the power-off policy handles the DirectPath VM): the
    # apply succeeds on all of them, and the task's result and the report say the same
    assert compliance.non_compliant_hosts == members
    assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
    assert isinstance(applied, ClusterSoftware.ApplyResult)
    outcome = (last_apply.successful_hosts, last_apply.failed_hosts, last_apply.skipped_hosts)
    assert (applied.successful_hosts, applied.failed_hosts, applied.skipped_hosts) == outcome
    assert outcome == (members, set(), set())

    finished(client, software.scan_task(cluster))
    after = client.stub(ClusterCompliance).get(cluster)
    assert after.status == ComplianceStatus.COMPLIANT and after.compliant_hosts == members


def test_standalone_host_walk(demo: SimulatorHandle, demo_client: VcenterApiClient) -> None:
    client = demo_client
    host = demo.ids().host["esxi-s1.lab.local"]
    software = client.stub(HostSoftware)
    info, _ = finished(client, software.scan_task(host))
    assert info.status == TaskStatus.SUCCEEDED
    assert client.stub(HostCompliance).get(host).status == ComplianceStatus.NON_COMPLIANT
    assert no_extra_fields(client.stub(host_reports.ApplyImpact).get(host)) == []
    info, _ = finished(client, software.check_task(host, HostSoftware.CheckSpec()))
    assert info.status == TaskStatus.SUCCEEDED
    assert no_extra_fields(client.stub(host_reports.LastCheckResult).get(host)) == []
    info, _ = finished(client, software.apply_task(host, HostSoftware.ApplySpec(accept_eula=True)))
    assert info.status == TaskStatus.SUCCEEDED
    assert no_extra_fields(client.stub(host_reports.LastApplyResult).get(host)) == []
    finished(client, software.scan_task(host))
    assert client.stub(HostCompliance).get(host).status == ComplianceStatus.COMPLIANT
