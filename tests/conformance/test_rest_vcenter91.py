"""A 9.1 vCenter (the tiny scenario with vcenter.version 9.1.0): the 9.1-only policy field
software_policy_spec.live_patch_action round-trips through the bindings (refused on 8.0 U3,
see test_rest_policies.py)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import pytest
import yaml
from _vapi_client import VcenterApiClient, no_extra_fields
from com.vmware.esx.settings.clusters.policies import apply_client as cluster_effective
from com.vmware.esx.settings.clusters.policies_client import Apply
from com.vmware.esx.settings_client import ClusterLivePatchAction, ClusterSoftwarePolicySpec
from vlcmsim.testing import SimulatorHandle, start_simulator


@pytest.fixture(scope="module")
def sim91(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    base = tmp_path_factory.mktemp("vlcmsim-91")
    scenario = yaml.safe_load(resources.files("vlcmsim").joinpath("scenarios/tiny.yml").read_text())
    scenario["name"] = "tiny-91"
    scenario["vcenter"] = {"version": "9.1.0", "build": scenario["vcenter"].get("build", "24022515")}
    path = base / "tiny-91.yml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    sim = start_simulator(str(path), time_scale=0.001, state_dir=base / "state", require_ca=True)
    try:
        yield sim
    finally:
        sim.stop()


def test_live_patch_policy_round_trips_on_91(sim91: SimulatorHandle) -> None:
    cluster = sim91.ids().cluster["Tiny-01"]
    assert sim91.state()["vcenter"]["version"] == "9.1.0"
    with VcenterApiClient(sim91.url, sim91.ca, sim91.username, sim91.password) as client:
        spec = Apply.ConfiguredPolicySpec(software_policy_spec=ClusterSoftwarePolicySpec(
            live_patch_action=ClusterLivePatchAction(
                live_patch_mode=ClusterLivePatchAction.LivePatchMode.ENFORCE_LIVE_PATCH)))
        client.stub(Apply).set(cluster, spec)
        got = client.stub(Apply).get(cluster)
        assert no_extra_fields(got) == []
        assert got.software_policy_spec.live_patch_action.live_patch_mode == "ENFORCE_LIVE_PATCH"
        effective = client.stub(cluster_effective.Effective).get(cluster)
        assert no_extra_fields(effective) == []
        assert effective.software_policy_spec.live_patch_action.live_patch_mode == "ENFORCE_LIVE_PATCH"
