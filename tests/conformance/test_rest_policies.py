"""policies/apply get/set/effective for a cluster, a standalone host and the global cluster defaults;
enablement/software get for both; through the generated stubs."""

from __future__ import annotations

import pytest
from _vapi_client import VcenterApiClient, no_extra_fields
from com.vmware.esx.settings.clusters import enablement_client as cluster_enablement
from com.vmware.esx.settings.clusters import policies_client as cluster_policies
from com.vmware.esx.settings.clusters.policies import apply_client as cluster_effective
from com.vmware.esx.settings.defaults.clusters import policies_client as default_policies
from com.vmware.esx.settings.defaults.clusters.policies import apply_client as default_effective
from com.vmware.esx.settings.defaults.hosts import policies_client as default_host_policies
from com.vmware.esx.settings.defaults.hosts.policies import apply_client as default_host_effective
from com.vmware.esx.settings.hosts import enablement_client as host_enablement
from com.vmware.esx.settings.hosts import policies_client as host_policies
from com.vmware.esx.settings.hosts.policies import apply_client as host_effective
from com.vmware.esx.settings_client import ClusterLivePatchAction, ClusterSoftwarePolicySpec
from com.vmware.vapi.std.errors_client import InvalidArgument, NotFound
from vlcmsim.testing import Ids

ClusterApply = cluster_policies.Apply
DefaultApply = default_policies.Apply
HostApply = host_policies.Apply
DefaultHostApply = default_host_policies.Apply


def test_cluster_policy_set_get_effective(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    stub = client.stub(ClusterApply)
    assert no_extra_fields(stub.get(cluster)) == []
    spec = ClusterApply.ConfiguredPolicySpec(
        failure_action=ClusterApply.FailureAction(action=ClusterApply.FailureAction.Action.RETRY,
                                                  retry_delay=120, retry_count=3),
        pre_remediation_power_action=ClusterApply.ConfiguredPolicySpec.PreRemediationPowerAction.SUSPEND_VMS,
        enable_quick_boot=True,
        disable_dpm=True,
        disable_hac=False,
        evacuate_offline_vms=True,
        parallel_remediation_action=ClusterApply.ParallelRemediationAction(enabled=True, max_hosts=2),
    )
    assert stub.set(cluster, spec) is None
    got = stub.get(cluster)
    assert no_extra_fields(got) == []
    assert got.failure_action.action == ClusterApply.FailureAction.Action.RETRY
    assert (got.failure_action.retry_delay, got.failure_action.retry_count) == (120, 3)
    assert got.pre_remediation_power_action == "SUSPEND_VMS"
    assert (got.enable_quick_boot, got.disable_dpm, got.disable_hac, got.evacuate_offline_vms) == (
        True, True, False, True)
    assert (got.parallel_remediation_action.enabled, got.parallel_remediation_action.max_hosts) == (True, 2)
    effective = client.stub(cluster_effective.Effective).get(cluster)
    assert no_extra_fields(effective) == []
    assert effective.failure_action.action == "RETRY"
    assert effective.failure_action.retry_count == 3
    assert effective.pre_remediation_power_action == "SUSPEND_VMS"
    assert (effective.enable_quick_boot, effective.disable_dpm, effective.evacuate_offline_vms) == (
        True, True, True)


def test_defaults_flow_into_cluster_effective(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    defaults = client.stub(DefaultApply)
    assert no_extra_fields(defaults.get()) == []
    defaults.set(DefaultApply.ConfiguredPolicySpec(
        failure_action=DefaultApply.FailureAction(action=DefaultApply.FailureAction.Action.FAIL),
        pre_remediation_power_action=DefaultApply.ConfiguredPolicySpec.PreRemediationPowerAction.POWER_OFF_VMS,
        enable_quick_boot=False, disable_dpm=True, disable_hac=True, evacuate_offline_vms=False))
    got = defaults.get()
    assert got.pre_remediation_power_action == "POWER_OFF_VMS"
    assert (got.disable_dpm, got.disable_hac) == (True, True)
    global_effective = client.stub(default_effective.Effective).get()
    assert no_extra_fields(global_effective) == []
    assert global_effective.pre_remediation_power_action == "POWER_OFF_VMS"
    # a cluster that overrides only quick boot inherits the rest from the defaults
    client.stub(ClusterApply).set(cluster, ClusterApply.ConfiguredPolicySpec(enable_quick_boot=True))
    effective = client.stub(cluster_effective.Effective).get(cluster)
    assert effective.enable_quick_boot is True
    assert effective.pre_remediation_power_action == "POWER_OFF_VMS"
    assert (effective.disable_dpm, effective.disable_hac) == (True, True)


def test_invalid_policy_is_invalid_argument(client: VcenterApiClient, ids: Ids) -> None:
    stub, cluster = client.stub(ClusterApply), ids.cluster["Tiny-01"]
    stub.set(cluster, ClusterApply.ConfiguredPolicySpec(enable_quick_boot=True))
    before = stub.get(cluster)
    bad = ClusterApply.ConfiguredPolicySpec(
        failure_action=ClusterApply.FailureAction(action=ClusterApply.FailureAction.Action.RETRY,
                                                  retry_delay=-5, retry_count=-1))
    with pytest.raises(InvalidArgument) as err:
        stub.set(cluster, bad)
    assert err.value.messages
    assert stub.get(cluster) == before          # re-read: the rejected set changed nothing


def test_host_policy_set_get_effective(client: VcenterApiClient, ids: Ids) -> None:
    host = ids.host["esxi-ts.lab.local"]
    stub = client.stub(HostApply)
    assert no_extra_fields(stub.get(host)) == []
    stub.set(host, HostApply.ConfiguredPolicySpec(
        failure_action=HostApply.FailureAction(action=HostApply.FailureAction.Action.RETRY,
                                               retry_delay=60, retry_count=1),
        pre_remediation_power_action=HostApply.ConfiguredPolicySpec.PreRemediationPowerAction.POWER_OFF_VMS,
        enable_quick_boot=True))
    got = stub.get(host)
    assert no_extra_fields(got) == []
    assert got.failure_action.action == "RETRY" and got.failure_action.retry_count == 1
    assert got.enable_quick_boot is True
    effective = client.stub(host_effective.Effective).get(host)
    assert no_extra_fields(effective) == []
    assert effective.pre_remediation_power_action == "POWER_OFF_VMS"
    assert effective.enable_quick_boot is True


def test_host_defaults_flow_into_host_effective(client: VcenterApiClient, ids: Ids) -> None:
    host = ids.host["esxi-ts.lab.local"]
    defaults = client.stub(DefaultHostApply)
    assert no_extra_fields(defaults.get()) == []
    defaults.set(DefaultHostApply.ConfiguredPolicySpec(
        pre_remediation_power_action=DefaultHostApply.ConfiguredPolicySpec.PreRemediationPowerAction.SUSPEND_VMS,
        enable_quick_boot=True))
    assert defaults.get().pre_remediation_power_action == "SUSPEND_VMS"
    global_effective = client.stub(default_host_effective.Effective).get()
    assert no_extra_fields(global_effective) == []
    assert global_effective.enable_quick_boot is True
    effective = client.stub(host_effective.Effective).get(host)
    assert effective.pre_remediation_power_action == "SUSPEND_VMS"
    assert effective.enable_quick_boot is True


def test_91_only_policy_field_is_refused_by_an_80u3_server(client: VcenterApiClient, ids: Ids) -> None:
    # tiny is vCenter 8.0.3: software_policy_spec (live_patch_action) exists from 9.1 on
    spec = ClusterApply.ConfiguredPolicySpec(software_policy_spec=ClusterSoftwarePolicySpec(
        live_patch_action=ClusterLivePatchAction(live_patch_mode=ClusterLivePatchAction.LivePatchMode.AUTO_LIVE_PATCH)))
    before = client.stub(ClusterApply).get(ids.cluster["Tiny-01"])
    with pytest.raises(InvalidArgument):
        client.stub(ClusterApply).set(ids.cluster["Tiny-01"], spec)
    after = client.stub(ClusterApply).get(ids.cluster["Tiny-01"])
    assert after == before and after.software_policy_spec is None


def test_policies_of_unknown_objects_are_not_found(client: VcenterApiClient) -> None:
    with pytest.raises(NotFound):
        client.stub(ClusterApply).get("domain-c999999")
    with pytest.raises(NotFound):
        client.stub(HostApply).get("host-999999")


def test_enablement_software(client: VcenterApiClient, ids: Ids) -> None:
    info = client.stub(cluster_enablement.Software).get(ids.cluster["Tiny-01"])
    assert no_extra_fields(info) == []
    assert info.enabled is True     # Tiny-01 is image-managed
    host_info = client.stub(host_enablement.Software).get(ids.host["esxi-ts.lab.local"])
    assert no_extra_fields(host_info) == []
    assert host_info.enabled is True
    with pytest.raises(NotFound):
        client.stub(cluster_enablement.Software).get("domain-c999999")
