# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin vsphere.lifecycle.vcenter through ansible-inventory (and a play over its groups) against
vlcmsim's demo scenario: groups per datacenter and compliance, constructed groups/vars, the cache, logout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from .harness import VENV_BIN

SIM_SCENARIO = "demo"
CLUSTERS = ["Cluster-A", "Cluster-B"]


@pytest.fixture
def inventory(sim, collections_path, tmp_path):
    """ansible-inventory -i <tmp>/<name>.vcenter.yml ARGS with the simulator's VMWARE_* variables."""

    def run(config: str, *args: str, name: str = "demo", env: dict[str, str] | None = None,
            connection: bool = True) -> subprocess.CompletedProcess:
        path = tmp_path / f"{name}.vcenter.yml"
        path.write_text(textwrap.dedent(config))
        run_env = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "ANSIBLE_"))}
        run_env.update({"ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_NOCOLOR": "1",
                        "ANSIBLE_HOME": str(tmp_path / "ansible_home"),
                        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"})
        if connection:
            run_env.update(sim.env())
        run_env.update(env or {})
        return subprocess.run([str(VENV_BIN / "ansible-inventory"), "-i", str(path), *args], env=run_env,
                              capture_output=True, text=True, timeout=120, cwd=str(tmp_path))

    return run


def plain(value):
    """ansible-inventory --list marks inventory strings as not to be templated ({"__ansible_unsafe": ...})."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def listing(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return plain(json.loads(proc.stdout))


def members(data: dict, group: str) -> list[str]:
    return sorted(data.get(group, {}).get("hosts", []))


def test_graph_shows_datacenters_clusters_and_compliance_groups(sim, inventory):
    proc = inventory("plugin: vsphere.lifecycle.vcenter\n", "--graph")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    graph = proc.stdout
    for line in ("@vlcm_clusters:", "@vlcm_dc_datacenter_01:", "@vlcm_compliance_unknown:", "@vlcm_standalone_hosts:",
                 "|--Cluster-A", "|--Cluster-B", "|--esxi-s1.lab.local"):
        assert line in graph, graph
    live = sim.wait_sessions_closed()
    assert live == {"rest": 0, "soap": 0} or (live.get("rest", 0) == 0 and live.get("soap", 0) == 0)
    counters = sim.counters()
    assert counters["logins"]["rest"] == 1 and counters["logins"].get("soap", 0) == 1   # one session of each
    assert sim.calls("POST /api/esx/settings/clusters/{cluster}/software?action=scan") == 0   # no scan by default


def test_hostvars_and_compliance_after_a_scan(sim, inventory):
    data = listing(inventory("plugin: vsphere.lifecycle.vcenter\nscan: true\n", "--list"))
    assert sim.calls("POST /api/esx/settings/clusters/{cluster}/software?action=scan") == 2
    assert members(data, "vlcm_clusters") == CLUSTERS
    assert members(data, "vlcm_compliance_non_compliant") == [*CLUSTERS, "esxi-s1.lab.local"]
    hostvars = data["_meta"]["hostvars"]
    a = hostvars["Cluster-A"]
    assert a["ansible_connection"] == "local"
    assert a["vlcm_cluster"] == "Cluster-A" and a["vlcm_datacenter"] == "Datacenter-01"
    assert a["vlcm_image_managed"] is True and a["vlcm_host_count"] == 4
    assert a["vlcm_drs_behavior"] == "fullyAutomated" and a["vlcm_ha_admission_control"] is True
    assert a["vlcm_vsan"] is False
    assert a["vlcm_compliance"] == "NON_COMPLIANT"
    assert a["vlcm_compliance_counts"]["non_compliant"] == 4
    assert a["vlcm_non_compliant_hosts"] == [f"esxi-a{i}.lab.local" for i in range(1, 5)]
    assert a["vlcm_desired_base_image"] == "8.0.3-0.50.24585383"
    assert a["vlcm_desired_base_image_display"] == "8.0 U3e"
    assert a["vlcm_desired_add_on"] == {"name": "DEL-ESXi", "version": "803.24585383-A02"}
    s1 = hostvars["esxi-s1.lab.local"]
    assert s1["vlcm_cluster"] is None and s1["vlcm_host"] == "esxi-s1.lab.local"
    text = json.dumps(data)
    assert sim.password not in text and "VALUE_SPECIFIED_IN_NO_LOG" not in text


def test_constructed_keyed_groups_compose_and_members(sim, inventory):
    data = listing(inventory("""
        plugin: vsphere.lifecycle.vcenter
        hosts_as_members: true
        keyed_groups:
          - key: vlcm_desired_base_image_display
            prefix: image
          - key: vlcm_drs_behavior
            prefix: drs
        compose:
          vlcm_quarter: vlcm_host_count // 4
        groups:
          ha_kept: vlcm_ha_admission_control | default(false)
    """, "--list"))
    assert members(data, "image_8_0_U3e") == [*CLUSTERS, "esxi-s1.lab.local"]
    assert members(data, "drs_fullyAutomated") == CLUSTERS
    assert members(data, "ha_kept") == CLUSTERS
    assert data["_meta"]["hostvars"]["Cluster-B"]["vlcm_quarter"] == 1
    assert members(data, "vlcm_cluster_cluster_a") == [f"esxi-a{i}.lab.local" for i in range(1, 5)]
    assert len(members(data, "vlcm_esxi_hosts")) == 8
    esx = data["_meta"]["hostvars"]["esxi-b1.lab.local"]
    assert esx["vlcm_cluster"] == "Cluster-B" and esx["vlcm_compliance"] == "UNKNOWN"


def test_datacenters_filter(sim, inventory):
    data = listing(inventory("plugin: vsphere.lifecycle.vcenter\ndatacenters: [Nowhere]\n", "--list"))
    assert members(data, "vlcm_clusters") == []
    proc = inventory("plugin: vsphere.lifecycle.vcenter\ndatacenters: []\n", "--list")
    assert proc.returncode != 0 or "never means all" in proc.stderr
    assert "never means all" in proc.stdout + proc.stderr


def test_cache_second_run_makes_no_rest_call(sim, inventory, tmp_path):
    config = f"""
        plugin: vsphere.lifecycle.vcenter
        cache: true
        cache_plugin: ansible.builtin.jsonfile
        cache_connection: {tmp_path / 'cache'}
        cache_timeout: 3600
    """
    first = listing(inventory(config, "--list"))
    after_first = sim.counters()
    second = listing(inventory(config, "--list"))
    after_second = sim.counters()
    assert second == first
    assert after_second["calls"] == after_first["calls"], "the cached run called vCenter"
    assert after_second["logins"] == after_first["logins"]
    cached = "".join(p.read_text() for p in (tmp_path / "cache").iterdir())
    assert "Cluster-A" in cached
    assert sim.password not in cached


def test_missing_connection_names_the_option(sim, inventory):
    proc = inventory("plugin: vsphere.lifecycle.vcenter\n", "--list", connection=False)
    assert "hostname (or VMWARE_HOST)" in proc.stdout + proc.stderr
    assert sim.counters()["logins"].get("rest", 0) == 0


def test_a_play_over_the_clusters_plans_each(sim, run_playbook, tmp_path):
    inv = tmp_path / "fleet.vcenter.yml"
    inv.write_text("plugin: vsphere.lifecycle.vcenter\n")
    result = run_playbook("""
        - hosts: vlcm_clusters
          gather_facts: false
          serial: 1
          tasks:
            - name: plan
              vsphere.lifecycle.remediation_plan:
                cluster: "{{ vlcm_cluster }}"
                datacenter: "{{ vlcm_datacenter }}"
    """, extra_args=["-i", str(inv), "-e", f"ansible_python_interpreter={sys.executable}"])
    assert result.ok, result.output
    plans = {r["host"]: r["result"] for r in result.records if r["task"] == "plan"}
    assert sorted(plans) == CLUSTERS
    assert plans["Cluster-A"]["target"]["name"] == "Cluster-A"
    assert all(p["waves"] for p in plans.values())
