"""The software views of a cluster and the depot content, judged by the official bindings (vmware-vcenter):
every reply parses strictly (types, enums, unions, required fields) with no field the bindings do not
define, and its values agree with the simulator's own state (/sim/state) and with each other, not with
literals copied from a scenario file."""

from __future__ import annotations

import pytest
from _vapi_client import VcenterApiClient, no_extra_fields
from com.vmware.esx.settings import depot_content_client as depot
from com.vmware.esx.settings.clusters import enablement_client as enablement
from com.vmware.esx.settings.clusters import software_client as views
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.vapi.std.errors_client import NotFound
from vlcmsim.testing import Ids, SimulatorHandle


def _key(version: str) -> tuple[int, ...]:
    """ESXi version strings ("8.0.3-0.50.24585383") as numbers, for ordering."""
    return tuple(int(p) for p in version.replace("-", ".").split("."))


def test_software_views_follow_the_bindings(sim: SimulatorHandle, client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    state = {c["name"]: c for c in sim.state()["clusters"]}["Tiny-01"]
    desired = state["desired_image"]

    software = client.stub(Software).get(cluster)
    assert no_extra_fields(software) == []
    assert software.base_image.version == desired["base_image"]
    assert (software.add_on.name, software.add_on.version) == (desired["add_on"]["name"],
                                                               desired["add_on"]["version"])
    assert {m: (p.pkg, p.version) for m, p in software.hardware_support.packages.items()} == \
        {m: (p["pkg"], p["version"]) for m, p in desired["hardware_support"].items()}
    for name, version in desired["components"].items():           # the user's components are in the image
        assert software.components[name].version == version
    assert software.solutions == {}

    # the sub-views are the same values as the whole
    base = client.stub(views.BaseImage).get(cluster)
    assert no_extra_fields(base) == [] and base == software.base_image
    add_on = client.stub(views.AddOn).get(cluster)
    assert no_extra_fields(add_on) == [] and add_on == software.add_on
    for name, info in software.components.items():
        one = client.stub(views.Components).get(cluster, name)
        assert no_extra_fields(one) == [] and one == info, name
    assert client.stub(views.Components).get(cluster, "No-Such-Component") is None   # Optional in the binding

    commit = client.stub(views.Commits).get(cluster, state["desired_commit"])
    assert no_extra_fields(commit) == [] and commit.author
    assert commit.apply_status == views.Commits.Info.ApplyStatusType.NOT_APPLIED         # nothing remediated yet
    with pytest.raises(NotFound):
        client.stub(views.Commits).get(cluster, "77")
    assert client.stub(enablement.Software).get(cluster).enabled is state["image_managed"] is True

    # the depot: it offers every base image and add-on in use, and its filter keeps to what it says
    in_use = {h["installed"]["base_image"] for h in sim.state()["hosts"]} | {desired["base_image"]}
    bases = client.stub(depot.BaseImages).list()
    assert all(no_extra_fields(b) == [] for b in bases)
    assert in_use <= {b.version for b in bases}
    newer = client.stub(depot.BaseImages).list(depot.BaseImages.FilterSpec(min_version=desired["base_image"]))
    assert {b.version for b in newer} == {b.version for b in bases if _key(b.version) >= _key(desired["base_image"])}
    add_ons = {a.name: a for a in client.stub(depot.AddOns).list()}
    assert all(no_extra_fields(a) == [] for a in add_ons.values())
    assert desired["add_on"]["version"] in {v.version for v in add_ons[desired["add_on"]["name"]].versions}
    every = client.stub(depot.Components).list()
    intel = client.stub(depot.Components).list(depot.Components.FilterSpec(vendors={"Intel"}))
    assert all(no_extra_fields(c) == [] for c in every)
    assert intel and {c.name for c in intel} == {c.name for c in every if c.vendor == "Intel"}
