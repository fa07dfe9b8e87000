# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.image_info and cluster_info through ansible-playbook against vlcmsim (tiny scenario)."""

from __future__ import annotations

SIM_SCENARIO = "tiny"
REST_ONLY = True  # compliance, image_info and cluster_info never open SOAP


def test_image_of_cluster_and_standalone_host(sim, run_playbook):
    result = run_playbook("""
        - name: cluster image
          vsphere.lifecycle.image_info:
            cluster: Tiny-01
        - name: host image
          vsphere.lifecycle.image_info:
            host: esxi-ts.lab.local
        - name: host image without policies
          vsphere.lifecycle.image_info:
            host: esxi-ts.lab.local
            policies: false
    """)
    assert result.ok, result.output
    cluster, host = result.task("cluster image"), result.task("host image")
    state = {h["name"]: h for h in sim.state()["hosts"]}
    installed = state["esxi-t1.lab.local"]["installed"]
    image = cluster["image"]
    desired = {c["name"]: c for c in sim.state()["clusters"]}["Tiny-01"]["desired_image"]
    assert image["base_image"]["version"] == desired["base_image"] != installed["base_image"]
    assert image["base_image"]["version"] == cluster["raw"]["base_image"]["version"]
    assert (image["add_on"]["name"], image["add_on"]["version"]) == (desired["add_on"]["name"],
                                                                    desired["add_on"]["version"])
    assert {k: v["version"] for k, v in image["components"].items()} == desired["components"]
    # tiny: the desired image has a hardware support package
    assert image["hardware_support"] == desired["hardware_support"]
    policies = cluster["policies"]
    assert "failure_action" in policies and "pre_remediation_power_action" in policies
    assert cluster["changed"] is False
    assert host["target"] == {"type": "host", "id": state["esxi-ts.lab.local"]["id"], "name": "esxi-ts.lab.local"}
    assert host["image"]["base_image"]["version"]
    assert "failure_action" in host["policies"] and "enable_quick_boot" in host["policies"]
    assert "policies" not in result.task("host image without policies")
    counters = sim.counters()
    assert counters["logins"]["rest"] == 3 and counters["logins"]["soap"] == 0
    assert counters["calls"].get("GET /api/esx/settings/hosts/{host}/policies/apply/effective") == 1
    assert not any("action=scan" in key for key in counters["calls"])  # read-only


def test_cluster_info_lists_image_managed_clusters(sim, run_playbook):
    result = run_playbook("""
        - name: clusters
          vsphere.lifecycle.cluster_info:
            image_managed_only: true
        - name: unknown
          vsphere.lifecycle.cluster_info:
            names: [Nope]
          ignore_errors: true
    """)
    assert result.status("clusters") == "ok", result.output
    clusters = result.task("clusters")["clusters"]
    state = sim.state()
    expected = sorted(c["name"] for c in state["clusters"] if c["image_managed"])
    assert [c["name"] for c in clusters] == expected
    dc_names = {d["id"]: d["name"] for d in state["datacenters"]}
    by_name = {c["name"]: c for c in state["clusters"]}
    for cluster in clusters:
        assert cluster["id"] == by_name[cluster["name"]]["id"]
        assert cluster["datacenter"] == dc_names[by_name[cluster["name"]]["datacenter"]]
    unknown = result.task("unknown")
    assert result.status("unknown") == "failed" and "Nope" in unknown["msg"] and "Tiny-01" in unknown["msg"]
