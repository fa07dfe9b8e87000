"""The rolling scenario through the strict bindings: the seeded apply history, a parallel remediation of
hosts put in maintenance mode (pyVmomi), and a vSAN cluster refusing parallel remediation: every check
and apply result, task and report parses with no field the 9.1.1.0 binding lacks."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from _sim import Ids, RunningSim, start_simulator
from _vapi_client import VcenterApiClient, no_extra_fields, task_error, task_result, wait_task
from com.vmware.cis.task_client import Status as TaskStatus
from com.vmware.esx.settings.clusters import policies_client as cluster_policies
from com.vmware.esx.settings.clusters.software.reports_client import LastApplyResult, LastCheckResult
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.vapi.std.errors_client import Error as VapiStdError
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTasks
from pyVmomi import vim

ClusterApply = cluster_policies.Apply


@pytest.fixture(scope="module")
def rolling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    sim = start_simulator(Path(tmp_path_factory.mktemp("vlcmsim-rolling")), "rolling", 0.001)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def client(rolling: RunningSim) -> Iterator[VcenterApiClient]:
    rolling.admin("POST", "/sim/reset")
    c = VcenterApiClient(rolling.url, rolling.ca, rolling.username, rolling.password)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def ids(rolling: RunningSim, client: VcenterApiClient) -> Ids:
    return Ids(rolling.admin("GET", "/sim/state"))


def test_seeded_history_is_a_last_apply_result_with_per_host_times(client: VcenterApiClient, ids: Ids) -> None:
    last = client.stub(LastApplyResult).get(ids.cluster["History-04"])
    assert no_extra_fields(last) == []
    assert last.commit == "1" and last.status.status == Software.ApplyStatus.Status.OK
    hosts = {ids.host[f"esxi-y{i:02d}.lab.local"] for i in range(1, 5)}
    assert last.successful_hosts == hosts and set(last.host_status) == hosts
    spans = sorted((s.start_time, s.end_time) for s in last.host_status.values())
    assert all(round((end - start).total_seconds()) == 835 for start, end in spans)


def test_parallel_remediation_of_hosts_in_maintenance_mode(rolling: RunningSim, client: VcenterApiClient,
                                                           ids: Ids) -> None:
    cluster = ids.cluster["Rolling-16"]
    batch = [ids.host[f"esxi-r{i:02d}.lab.local"] for i in (1, 2)]
    url = urlsplit(rolling.url)
    si = SmartConnect(host=url.hostname, port=url.port, user=rolling.username, pwd=rolling.password,
                      sslContext=ssl.create_default_context(cafile=rolling.ca))
    try:
        WaitForTasks([vim.HostSystem(h, si._stub).EnterMaintenanceMode_Task(timeout=0) for h in batch], si=si)
    finally:
        Disconnect(si)
    client.stub(ClusterApply).set(cluster, ClusterApply.ConfiguredPolicySpec(
        parallel_remediation_action=ClusterApply.ParallelRemediationAction(enabled=True, max_hosts=4)))
    task = client.stub(Software).apply_task(cluster, Software.ApplySpec(accept_eula=True, hosts=set(batch)))
    info = wait_task(client, task, 120)
    assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
    result = task_result(task, info)
    assert isinstance(result, Software.ApplyResult) and no_extra_fields(result) == []
    assert result.successful_hosts == set(batch)
    a, b = (result.host_status[h] for h in batch)
    assert a.start_time < b.end_time and b.start_time < a.end_time          # remediated in parallel
    kept = [n.message.default_message for s in (a, b) for n in s.notifications.info]
    assert sum("stays in maintenance mode" in m for m in kept) == 2
    last = client.stub(LastApplyResult).get(cluster)
    assert no_extra_fields(last) == [] and last.successful_hosts == set(batch)
    state = {h["id"]: h for h in rolling.admin("GET", "/sim/state")["hosts"]}
    assert all(state[h]["in_maintenance"] for h in batch)


def test_vsan_cluster_refuses_parallel_remediation(rolling: RunningSim, client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["VSAN-04"]
    client.stub(ClusterApply).set(cluster, ClusterApply.ConfiguredPolicySpec(
        parallel_remediation_action=ClusterApply.ParallelRemediationAction(enabled=True)))
    task = client.stub(Software).check_task(cluster, Software.CheckSpec())
    info = wait_task(client, task, 60)
    assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
    result = task_result(task, info)
    assert no_extra_fields(result) == [] and result.status == Software.Status.ERROR
    entity = next(e for e in result.entity_results if e.type == Software.EntityCheckResult.EntityType.CLUSTER)
    assert any("not supported on vSAN cluster VSAN-04" in i.description.default_message
               for s in entity.check_statuses for i in s.check_issues)
    assert no_extra_fields(client.stub(LastCheckResult).get(cluster)) == []
    task = client.stub(Software).apply_task(cluster, Software.ApplySpec(accept_eula=True))
    info = wait_task(client, task, 60)
    assert info.status == TaskStatus.FAILED
    error = task_error(client, info)
    assert type(error) is VapiStdError and "vSAN" in error.messages[0].default_message
    last = client.stub(LastApplyResult).get(cluster)
    assert no_extra_fields(last) == [] and last.failed_hosts == set() and len(last.skipped_hosts) == 4
    assert rolling.admin("GET", "/sim/counters")["downloads"] == 0
