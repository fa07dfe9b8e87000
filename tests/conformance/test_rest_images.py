"""Images as code through the official bindings: drafts (clusters and standalone hosts), validate, scan and commit
tasks, import-software-spec, export (the returned map and the files), offline depots (create, list, get, content,
delete) and depot-content lists; every reply decoded by the `vmware-vcenter` 9.1.1.0 stubs with no extra field."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
import requests
from _sim import Ids, RunningSim
from _vapi_client import VcenterApiClient, no_extra_fields, task_error, task_result, wait_task
from com.vmware.cis.task_client import Status as TaskStatus
from com.vmware.esx.settings.clusters.software.drafts import software_client as cdraft
from com.vmware.esx.settings.clusters.software_client import Commits, Compliance
from com.vmware.esx.settings.clusters.software_client import Drafts as ClusterDrafts
from com.vmware.esx.settings.clusters_client import Software
from com.vmware.esx.settings.depot_content_client import AddOns, BaseImages, Components
from com.vmware.esx.settings.depots.offline_client import Content
from com.vmware.esx.settings.depots_client import Offline
from com.vmware.esx.settings.hosts.software.drafts import software_client as hdraft
from com.vmware.esx.settings.hosts.software_client import Drafts as HostDrafts
from com.vmware.esx.settings.hosts_client import Software as HostSoftware
from com.vmware.esx.settings_client import (
    AddOnSpec,
    BaseImageSpec,
    ClusterCompliance,
    HardwareSupportPackageSpec,
    HardwareSupportSpec,
    HostCompliance,
    ImageCustomizationAction,
)
from com.vmware.vapi.std.errors_client import AlreadyExists, InvalidArgument, NotFound, ResourceInUse

CURRENT_BASE = "8.0.3-0.35.24280767"
DESIRED_BASE = "8.0.3-0.50.24585383"
I40EN_NEW = "2.6.0.0-1OEM.800.1.0.20613240"


def run(client: VcenterApiClient, task: Any) -> Any:
    info = wait_task(client, task, 60.0)
    assert no_extra_fields(info) == []
    return info


def succeeded(client: VcenterApiClient, task: Any) -> Any:
    info = run(client, task)
    assert info.status == TaskStatus.SUCCEEDED, task_error(client, info)
    result = task_result(task, info)
    assert no_extra_fields(result) == []
    return result


def test_cluster_draft_edit_validate_commit(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    drafts = client.stub(ClusterDrafts)
    draft = drafts.create(cluster)
    with pytest.raises(AlreadyExists):
        drafts.create(cluster)                  # "If there is already a draft created by this user"
    info = drafts.get(cluster, draft)
    assert no_extra_fields(info) == []
    assert info.metadata.owner == "administrator@vsphere.local"
    assert info.metadata.status == ClusterDrafts.StatusType.VALID
    assert info.software.base_image.version == DESIRED_BASE          # a copy of the desired image
    listed = drafts.list(cluster, ClusterDrafts.FilterSpec(owners={"administrator@vsphere.local"}))
    assert set(listed) == {draft} and no_extra_fields(listed) == []
    assert drafts.list(cluster, ClusterDrafts.FilterSpec(owners={"someone@else"})) == {}

    client.stub(cdraft.BaseImage).set(cluster, draft, BaseImageSpec(version=CURRENT_BASE))
    assert client.stub(cdraft.BaseImage).get(cluster, draft).version == CURRENT_BASE
    client.stub(cdraft.AddOn).set(cluster, draft, AddOnSpec(name="DEL-ESXi", version="803.24280767-A01"))
    assert client.stub(cdraft.AddOn).get(cluster, draft).version == "803.24280767-A01"
    comps = client.stub(cdraft.Components)
    comps.update(cluster, draft, cdraft.Components.UpdateSpec(
        components_to_set={"Broadcom-bnxt-Net-RoCE": "230.0.152.0-1OEM.800.1.0.20613240"},
        components_to_delete={"Intel-i40en"}))
    listed_comps = comps.list(cluster, draft)
    assert set(listed_comps) == {"Broadcom-bnxt-Net-RoCE"} and no_extra_fields(listed_comps) == []
    comps.set(cluster, draft, "Intel-i40en", I40EN_NEW)
    assert comps.get(cluster, draft, "Intel-i40en").version == I40EN_NEW
    comps.delete(cluster, draft, "Broadcom-bnxt-Net-RoCE")
    with pytest.raises(NotFound):
        comps.get(cluster, draft, "Broadcom-bnxt-Net-RoCE")
    hsp = client.stub(cdraft.HardwareSupport)
    hsp.set(cluster, draft, HardwareSupportSpec(packages={"com.dell.openmanage": HardwareSupportPackageSpec(
        pkg="Dell-PowerEdge-R750-Firmware", version="2024.10")}))
    assert hsp.get(cluster, draft).packages["com.dell.openmanage"].version == "2024.10"
    removed = client.stub(cdraft.RemovedComponents)
    removed.set(cluster, draft, "VMware-NVMe-PCIe")
    assert set(removed.list(cluster, draft)) == {"VMware-NVMe-PCIe"}
    assert removed.get(cluster, draft, "VMware-NVMe-PCIe").version == "1.2.4.11-1vmw.803.0.35.24280767"
    eff = client.stub(cdraft.EffectiveComponents)
    assert "VMware-NVMe-PCIe" not in eff.list(cluster, draft)
    with_removed = eff.list_with_removed_components(cluster, draft)
    assert no_extra_fields(with_removed) == []
    assert with_removed["VMware-NVMe-PCIe"].details.image_customization_action == ImageCustomizationAction.REMOVED
    removed.delete(cluster, draft, "VMware-NVMe-PCIe")
    assert removed.list(cluster, draft) == {}
    effective = client.stub(cdraft.EffectiveComponents).list(cluster, draft)
    assert no_extra_fields(effective) == []
    assert effective["Intel-i40en"].version == I40EN_NEW

    result = succeeded(client, drafts.validate_task(cluster, draft))
    assert isinstance(result, ClusterDrafts.ValidateResult)
    assert not result.notifications.errors
    scan = succeeded(client, drafts.scan_task(cluster, draft))
    assert isinstance(scan, ClusterCompliance)
    assert scan.commit is None                     # "None if operation is performed on a draft"
    old_commit = client.stub(Software).get(cluster)
    commit = succeeded(client, drafts.commit_task(cluster, draft, ClusterDrafts.CommitSpec(message="back to U3c")))
    assert commit == "2"
    committed = client.stub(Commits).get(cluster, commit)
    assert no_extra_fields(committed) == []
    assert committed.description == "back to U3c" and committed.author == "administrator@vsphere.local"
    software = client.stub(Software).get(cluster)
    assert software.base_image.version == CURRENT_BASE != old_commit.base_image.version
    assert software.components["Intel-i40en"].version == I40EN_NEW
    with pytest.raises(NotFound):
        drafts.get(cluster, draft)                 # "It will be deleted, when the draft is committed successfully"
    compliance = succeeded(client, client.stub(Software).scan_task(cluster))
    assert compliance.commit == commit


def test_commit_of_an_invalid_draft_fails_with_the_validate_result(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    drafts = client.stub(ClusterDrafts)
    draft = drafts.create(cluster)
    client.stub(cdraft.BaseImage).set(cluster, draft, BaseImageSpec(version="8.0.3-0.99.99999999"))
    client.stub(cdraft.Components).set(cluster, draft, "Acme-nic", "1.0-1")
    assert drafts.get(cluster, draft).metadata.status == ClusterDrafts.StatusType.INVALID
    result = succeeded(client, drafts.validate_task(cluster, draft))
    texts = [n.message.default_message for n in result.notifications.errors]
    assert any("8.0.3-0.99.99999999" in t for t in texts) and any("Acme-nic" in t for t in texts), texts
    info = run(client, drafts.commit_task(cluster, draft, ClusterDrafts.CommitSpec()))
    assert info.status == TaskStatus.FAILED
    error = task_error(client, info)
    assert type(error) is InvalidArgument
    data = error.data.convert_to(ClusterDrafts.ValidateResult)
    assert {n.id for n in data.notifications.errors} == {n.id for n in result.notifications.errors}
    assert client.stub(Software).get(cluster).base_image.version == DESIRED_BASE   # nothing committed
    drafts.delete(cluster, draft)
    assert drafts.list(cluster) == {}


def test_host_draft_import_json_validate_commit(client: VcenterApiClient, ids: Ids) -> None:
    host = ids.host["esxi-ts.lab.local"]
    drafts = client.stub(HostDrafts)
    spec = json.dumps({"base_image": {"version": CURRENT_BASE},
                       "add_on": {"name": "DEL-ESXi", "version": "803.24280767-A01"}, "components": {"Intel-i40en": None}})
    draft = drafts.import_software_spec(host, HostDrafts.ImportSpec(
        source_type=HostDrafts.SourceType.JSON_STRING, software_spec=spec))
    info = drafts.get(host, draft)
    assert no_extra_fields(info) == []
    assert info.software.base_image.version == CURRENT_BASE
    assert client.stub(hdraft.Components).get(host, draft, "Intel-i40en") is None   # "chosen by the constraints"
    client.stub(hdraft.BaseImage).set(host, draft, BaseImageSpec(version=DESIRED_BASE))
    assert client.stub(hdraft.AddOn).get(host, draft).name == "DEL-ESXi"
    validation = succeeded(client, drafts.validate_task(host, draft))
    assert not validation.notifications.errors
    scan = succeeded(client, drafts.scan_task(host, draft))
    assert isinstance(scan, HostCompliance) and scan.commit is None
    commit = succeeded(client, drafts.commit_task(host, draft, HostDrafts.CommitSpec(message="imported")))
    software = client.stub(HostSoftware).get(host)
    assert software.base_image.version == DESIRED_BASE
    assert software.components["Intel-i40en"].version == I40EN_NEW          # newest in the depot
    assert commit == "2" and drafts.list(host) == {}


def test_export_all_three_and_download_with_the_session(client: VcenterApiClient, ids: Ids, sim: RunningSim) -> None:
    cluster = ids.cluster["Tiny-01"]
    urls = client.stub(Software).export(cluster, Software.ExportSpec(
        export_software_spec=True, export_iso_image=True, export_offline_bundle=True))
    assert set(urls) == {Software.ExportType.SOFTWARE_SPEC, Software.ExportType.ISO_IMAGE,
                         Software.ExportType.OFFLINE_BUNDLE}
    assert all(u.startswith(sim.url + "/vum-filedownload/download?file=") for u in urls.values())
    only_json = client.stub(Software).export(cluster, Software.ExportSpec(
        export_software_spec=True, export_iso_image=False, export_offline_bundle=False))
    assert set(only_json) == {Software.ExportType.SOFTWARE_SPEC}
    session = client.session
    spec = session.get(urls[Software.ExportType.SOFTWARE_SPEC], timeout=30)
    assert spec.status_code == 200 and spec.json()["base_image"] == {"version": DESIRED_BASE}
    bundle = session.get(urls[Software.ExportType.OFFLINE_BUNDLE], timeout=30)
    assert "metadata.zip" in zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    iso = session.get(urls[Software.ExportType.ISO_IMAGE], timeout=30)
    assert iso.content[16 * 2048 + 1:16 * 2048 + 6] == b"CD001"
    host_urls = client.stub(HostSoftware).export(ids.host["esxi-ts.lab.local"], HostSoftware.ExportSpec(
        export_software_spec=True, export_iso_image=False, export_offline_bundle=True))
    assert set(host_urls) == {HostSoftware.ExportType.SOFTWARE_SPEC, HostSoftware.ExportType.OFFLINE_BUNDLE}
    # vCenter's download URLs need the session
    anonymous = requests.get(urls[Software.ExportType.SOFTWARE_SPEC], verify=sim.ca, timeout=30)
    assert anonymous.status_code == 401


def test_offline_depot_create_list_get_content_delete(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    urls = client.stub(Software).export(cluster, Software.ExportSpec(
        export_software_spec=False, export_iso_image=False, export_offline_bundle=True))
    location = urls[Software.ExportType.OFFLINE_BUNDLE]
    offline = client.stub(Offline)
    created = succeeded(client, offline.create_task(Offline.CreateSpec(
        source_type=Offline.SourceType.PULL, location=location, description="Tiny-01 image")))
    assert isinstance(created, Offline.CreateResult)
    depots = offline.list()
    assert set(depots) == {created.depot} and no_extra_fields(depots) == []
    summary = depots[created.depot]
    assert (summary.source_type, summary.location, summary.description) == (
        Offline.SourceType.PULL, location, "Tiny-01 image")
    info = offline.get(created.depot)
    assert no_extra_fields(info) == [] and info.create_time is not None
    content = client.stub(Content).get(created.depot)
    assert no_extra_fields(content) == []
    [meta] = [m for bundles in content.metadata_bundles.values() for m in bundles]
    assert [b.version for b in meta.base_images] == [DESIRED_BASE]
    assert set(meta.addons) == {"DEL-ESXi"}
    assert set(meta.independent_components) == {"Intel-i40en"}
    again = run(client, offline.create_task(Offline.CreateSpec(source_type=Offline.SourceType.PULL,
                                                               location=location)))
    assert type(task_error(client, again)) is AlreadyExists
    # the desired image of Tiny-01 uses the bundle's content, but the scenario's depot has it too: not in use
    assert succeeded(client, offline.delete_task(created.depot)) is None
    assert offline.list() == {}
    with pytest.raises(NotFound):
        offline.get(created.depot)
    with pytest.raises(InvalidArgument):
        offline.create_task(Offline.CreateSpec(source_type=Offline.SourceType.PULL, location="ftp://x/y.zip"))


def test_delete_of_a_depot_a_desired_image_needs_is_refused(client: VcenterApiClient, sim: RunningSim,
                                                            tmp_path: Any) -> None:
    """Run on promotion_target's content: import tiny's bundle, commit an image that needs it, delete -> in use."""
    from _sim import start_simulator
    target = start_simulator(tmp_path / "target", "promotion_target", 0.001)
    try:
        with VcenterApiClient(target.url, target.ca, target.username, target.password) as tclient:
            urls = client.stub(Software).export(Ids(sim.admin("GET", "/sim/state")).cluster["Tiny-01"],
                                                Software.ExportSpec(export_software_spec=False,
                                                                    export_iso_image=False,
                                                                    export_offline_bundle=True))
            zpath = tmp_path / "bundle.zip"
            zpath.write_bytes(client.session.get(urls[Software.ExportType.OFFLINE_BUNDLE], timeout=30).content)
            created = succeeded(tclient, tclient.stub(Offline).create_task(Offline.CreateSpec(
                source_type=Offline.SourceType.PULL, location=zpath.as_uri())))
            tids = Ids(target.admin("GET", "/sim/state"))
            cluster = tids.cluster["Target-01"]
            draft = tclient.stub(ClusterDrafts).create(cluster)
            tclient.stub(cdraft.BaseImage).set(cluster, draft, BaseImageSpec(version=DESIRED_BASE))
            succeeded(tclient, tclient.stub(ClusterDrafts).commit_task(cluster, draft, ClusterDrafts.CommitSpec()))
            with pytest.raises(ResourceInUse) as err:
                tclient.stub(Offline).delete_task(created.depot)
            assert "Target-01" in err.value.messages[0].default_message
            assert set(tclient.stub(Offline).list()) == {created.depot}
    finally:
        target.stop()


def test_depot_content_lists(client: VcenterApiClient) -> None:
    bases = client.stub(BaseImages).list()
    assert no_extra_fields(bases) == []
    assert {b.version for b in bases} == {CURRENT_BASE, DESIRED_BASE}
    newer = client.stub(BaseImages).list(BaseImages.FilterSpec(min_version="8.0.3-0.50"))
    assert [b.version for b in newer] == [DESIRED_BASE]
    addons = client.stub(AddOns).list()
    assert no_extra_fields(addons) == [] and {a.name for a in addons} == {"DEL-ESXi"}
    comps = client.stub(Components).list(Components.FilterSpec(vendors={"Intel"}))
    assert no_extra_fields(comps) == []
    assert {c.name for c in comps} == {"Intel-i40en"}
    assert len(comps[0].versions) == 2


def test_draft_and_compliance_errors(client: VcenterApiClient, ids: Ids) -> None:
    cluster = ids.cluster["Tiny-01"]
    with pytest.raises(NotFound):
        client.stub(ClusterDrafts).get(cluster, "999")
    with pytest.raises(NotFound):
        client.stub(ClusterDrafts).create("domain-c999999")
    with pytest.raises(NotFound):
        client.stub(ClusterDrafts).import_software_spec(cluster, ClusterDrafts.ImportSpec(
            source_type=ClusterDrafts.SourceType.LATEST_RECOMMENDATION))
    with pytest.raises(NotFound):
        client.stub(Compliance).get(cluster)        # no scan yet
