# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names that exist in two datacenters: the modules ask for ``datacenter`` and then find the right one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SIM_SCENARIO = "tiny"   # replaced below by a copy with a second datacenter holding the same names
REST_ONLY = True
CLUSTER = "Tiny-01"


@pytest.fixture(scope="module", autouse=True)
def _two_datacenters(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    import vlcmsim

    scenario = yaml.safe_load((Path(vlcmsim.__file__).parent / "scenarios" / "tiny.yml").read_text())
    dc1 = scenario["datacenters"][0]
    # DC2: a cluster with the same name as DC1's (host names are unique in a vCenter, cluster names only
    # within a datacenter)
    dc2 = {"name": "DC2",
           "clusters": [dict(dc1["clusters"][0], hosts=[
               dict(h, name=h["name"].replace("esxi-t", "esxi-u"),
                    vms=[dict(v, name=v["name"] + "-dc2") for v in h.get("vms", [])])
               for h in dc1["clusters"][0]["hosts"]])]}
    scenario["name"] = "tiny_two_datacenters"
    scenario["datacenters"].append(dc2)
    path = tmp_path_factory.mktemp("scenario-2dc") / "tiny_two_datacenters.yml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    request.module.SIM_SCENARIO = str(path)


def _ids(sim):
    state = sim.state()
    dcs = {d["id"]: d["name"] for d in state["datacenters"]}
    clusters = {dcs[c["datacenter"]]: c["id"] for c in state["clusters"] if c["name"] == CLUSTER}
    return clusters


def test_cluster_name_in_two_datacenters_asks_for_datacenter(sim, run_playbook):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """)
    assert not result.ok
    msg = result.task("check")["msg"]
    assert f"'{CLUSTER}'" in msg and "datacenter" in msg and "DC1" in msg and "DC2" in msg, msg
    assert sim.counters()["calls"].get("POST /api/esx/settings/clusters/{cluster}/software?action=scan", 0) == 0
    assert sim.mutating_calls() == {}


def test_datacenter_picks_the_cluster(sim, run_playbook):
    ids = _ids(sim)
    assert set(ids) == {"DC1", "DC2"} and ids["DC1"] != ids["DC2"]
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            datacenter: DC2
    """)
    assert result.ok, result.output
    report = result.task("check")
    assert report["target"]["id"] == ids["DC2"]
    assert sorted(h["name"] for h in report["hosts"]) == ["esxi-u1.lab.local", "esxi-u2.lab.local"]

