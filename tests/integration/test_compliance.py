# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vsphere.lifecycle.compliance through ansible-playbook against vlcmsim (tiny scenario, HTTPS)."""

from __future__ import annotations

import pytest

SIM_SCENARIO = "tiny"
REST_ONLY = True  # compliance, image_info and cluster_info never open SOAP
CLUSTER = "Tiny-01"
HOSTS = ["esxi-t1.lab.local", "esxi-t2.lab.local"]
STANDALONE = "esxi-ts.lab.local"
SCAN = "POST /api/esx/settings/clusters/{cluster}/software?action=scan"
HOST_SCAN = "POST /api/esx/settings/hosts/{host}/software?action=scan"


def installed_and_desired(sim):
    state = sim.state()
    return {h["name"]: h for h in state["hosts"]}


def test_cluster_compliance(sim, run_playbook):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """)
    assert result.ok, result.output
    report = result.task("check")
    assert report["changed"] is False and report["refreshed"] is True and report["scan_task"]
    assert report["target"]["type"] == "cluster" and report["target"]["name"] == CLUSTER
    assert report["target"]["id"].startswith("domain-c")
    assert [h["name"] for h in report["hosts"]] == HOSTS
    assert report["counts"]["total"] == 2
    assert report["status"] in ("NON_COMPLIANT", "INCOMPATIBLE")
    state = installed_and_desired(sim)
    desired = {c["name"]: c for c in sim.state()["clusters"]}[CLUSTER]["desired_image"]
    for host in report["hosts"]:
        installed = state[host["name"]]["installed"]
        assert host["id"] == state[host["name"]]["id"]
        assert host["status"] != "COMPLIANT"
        # every tiny host is one base-image version behind the desired image
        assert host["base_image"]["current"] == installed["base_image"]
        assert host["base_image"]["target"] == desired["base_image"] != installed["base_image"]
        assert host["base_image"]["status"] == "NON_COMPLIANT"
        assert (host["add_on"]["name"], host["add_on"]["current"], host["add_on"]["target"]) == (
            desired["add_on"]["name"], installed["add_on"]["version"], desired["add_on"]["version"])
        drifted = {c["id"]: (c["current"], c["target"]) for c in host["components"]}
        for comp, version in desired["components"].items():
            if installed["components"].get(comp) != version:
                assert drifted[comp] == (installed["components"].get(comp), version)
        hsp = {f["manager"]: f for f in host["hardware_support"]}
        for manager, pkg in desired["hardware_support"].items():
            if installed["hardware_support"].get(manager, {}).get("version") != pkg["version"]:
                assert hsp[manager]["target"] == pkg["version"]
        assert host["impact"] in ("MAINTENANCE_MODE_REQUIRED", "REBOOT_REQUIRED", "PARTIAL_MAINTENANCE_MODE_REQUIRED")
        assert set(host["notifications"]) == {"errors", "warnings", "info"}
    assert sorted(report["non_compliant_hosts"] + report["incompatible_hosts"]) == HOSTS
    counters = sim.counters()
    assert counters["calls"].get(SCAN) == 1
    assert counters["logins"]["rest"] == 1 and counters["logins"]["soap"] == 0


def test_two_hosts_of_the_cluster_and_one_host(sim, run_playbook):
    result = run_playbook(f"""
        - name: both
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            hosts: {HOSTS}
        - name: one
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            hosts: [{HOSTS[1]}]
            refresh: false
    """)
    assert result.ok, result.output
    both, one = result.task("both"), result.task("one")
    assert [h["name"] for h in both["hosts"]] == HOSTS and both["counts"]["total"] == 2
    assert [h["name"] for h in one["hosts"]] == [HOSTS[1]] and one["counts"]["total"] == 1
    assert one["status"] == one["hosts"][0]["status"]
    assert sim.counters()["calls"].get(SCAN) == 1  # the second task read the report only


def test_standalone_host(sim, run_playbook):
    result = run_playbook(f"""
        - name: standalone
          vsphere.lifecycle.compliance:
            host: {STANDALONE}
    """)
    assert result.ok, result.output
    report = result.task("standalone")
    assert report["target"]["type"] == "host" and report["target"]["name"] == STANDALONE
    assert [h["name"] for h in report["hosts"]] == [STANDALONE]
    host = report["hosts"][0]
    assert host["status"] != "COMPLIANT" and report["status"] == host["status"]
    assert host["base_image"]["current"] == installed_and_desired(sim)[STANDALONE]["installed"]["base_image"]
    assert host["base_image"]["target"] != host["base_image"]["current"]
    assert sim.counters()["calls"].get(HOST_SCAN) == 1


def test_refresh_false_reads_last_report_without_scanning(sim, run_playbook):
    result = run_playbook(f"""
        - name: scan
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
        - name: last
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            refresh: false
    """)
    assert result.ok, result.output
    scan, last = result.task("scan"), result.task("last")
    assert last["refreshed"] is False and "scan_task" not in last
    assert last["scan_time"] == scan["scan_time"]
    assert last["hosts"] == scan["hosts"]
    assert sim.counters()["calls"].get(SCAN) == 1


def test_check_mode_is_supported_and_never_changed(sim, run_playbook):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
          check_mode: true
    """)
    assert result.ok, result.output
    assert result.task("check")["changed"] is False and result.task("check")["counts"]["total"] == 2


def test_unknown_cluster_lists_existing(sim, run_playbook):
    result = run_playbook("""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: Tiny-99
    """)
    assert not result.ok and result.status("check") == "failed"
    failure = result.task("check")
    assert "cluster 'Tiny-99' not found" in failure["msg"] and CLUSTER in failure["msg"]
    assert_no_traceback(result, failure)
    assert sim.mutating_calls() == {} and sim.calls(SCAN) == 0   # bad input: nothing ran


def test_unknown_host_in_cluster_lists_hosts(sim, run_playbook):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            hosts: [esxi-zz.lab.local]
    """)
    assert not result.ok
    msg = result.task("check")["msg"]
    assert "esxi-zz.lab.local" in msg and all(h in msg for h in HOSTS)
    assert sim.mutating_calls() == {} and sim.calls(SCAN) == 0   # bad input: nothing ran


def test_clustered_host_as_standalone_target_says_what_to_do(sim, run_playbook):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            host: {HOSTS[0]}
    """)
    assert not result.ok
    msg = result.task("check")["msg"]
    assert f"'{HOSTS[0]}' is not a standalone host" in msg and "cluster and hosts" in msg
    assert sim.mutating_calls() == {} and sim.calls(HOST_SCAN) == 0   # bad input: nothing ran


def test_wrong_password_is_clean_and_secret_free(sim, run_playbook):
    wrong = "Wr0ng-Passw0rd-7781"
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """, env={"VMWARE_PASSWORD": wrong}, extra_args=["-vvv"])
    assert not result.ok
    failure = result.task("check")
    assert "refused" in failure["msg"] and sim.username in failure["msg"]
    assert_no_traceback(result, failure)
    assert wrong not in result.output and wrong not in str(result.records)
    assert sim.password not in result.output
    assert sim.mutating_calls() == {} and sim.counters()["logins"]["rest"] == 0


def test_password_never_in_results(sim, run_playbook):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """, extra_args=["-v"])
    assert result.ok, result.output
    assert sim.password not in result.output and sim.password not in str(result.records)


def test_validate_certs_without_ca_is_refused_with_a_fix(sim, run_playbook):
    env = sim.env(ca=False)
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """, env=env, connection=False)
    assert not result.ok
    msg = result.task("check")["msg"]
    assert "certificate verification" in msg and "ca_path" in msg and "validate_certs" in msg
    assert_no_traceback(result, result.task("check"))
    assert sim.mutating_calls() == {} and sim.counters()["logins"]["rest"] == 0


def test_ca_path_option_works(sim, run_playbook):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            ca_path: {sim.ca}
    """, env=sim.env(ca=False), connection=False)
    assert result.ok, result.output
    assert not result.task("check").get("warnings")


def test_validate_certs_false_works_with_a_warning(sim, run_playbook):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """, env={**sim.env(ca=False), "VMWARE_VALIDATE_CERTS": "false"}, connection=False)
    assert result.ok, result.output
    warnings = result.task("check").get("warnings") or []
    assert any("validate_certs is false" in w for w in warnings)


def test_module_options_through_module_defaults_group(sim, run_playbook):
    play = f"""
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/vsphere.lifecycle.vcenter:
      hostname: {sim.host}
      port: {sim.port}
      username: {sim.username}
      password: "{{{{ lookup('ansible.builtin.env', 'SIM_SECRET') }}}}"
      ca_path: {sim.ca}
  tasks:
    - name: check
      vsphere.lifecycle.compliance:
        cluster: {CLUSTER}
    - name: image
      vsphere.lifecycle.image_info:
        cluster: {CLUSTER}
"""
    result = run_playbook(play, env={"SIM_SECRET": sim.password}, connection=False)
    assert result.ok, result.output
    assert result.task("check")["target"]["name"] == CLUSTER
    assert result.task("image")["image"]["base_image"]["version"]


def test_connection_only_from_vmware_environment(sim, run_playbook):
    text = f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """
    assert "hostname" not in text and "password" not in text
    result = run_playbook(text)  # VMWARE_HOST/PORT/USER/PASSWORD/CA_PATH only
    assert result.ok, result.output
    assert sim.counters()["logins"]["rest"] == 1


def test_missing_connection_options_name_the_option_and_its_variable(sim, run_playbook):
    env = {k: v for k, v in sim.env().items() if k not in ("VMWARE_HOST", "VMWARE_PASSWORD")}
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """, env=env, connection=False)
    assert not result.ok
    msg = result.task("check")["msg"]
    assert "hostname (or environment variable VMWARE_HOST)" in msg
    assert "password (or environment variable VMWARE_PASSWORD)" in msg
    assert "username" not in msg  # VMWARE_USER was given
    assert sim.counters()["logins"]["rest"] == 0
    assert sim.mutating_calls() == {}


def test_refresh_false_without_any_report_says_what_to_do(sim, run_playbook):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
            refresh: false
    """)
    assert not result.ok
    failure = result.task("check")
    assert "no compliance report" in failure["msg"] and "refresh: true" in failure["msg"]
    assert_no_traceback(result, failure)
    assert sim.counters()["calls"].get(SCAN) is None
    assert sim.mutating_calls() == {}


def test_503_burst_is_survived(sim, run_playbook):
    sim.add_faults([
        {"type": "http_status", "status": 503, "retry_after": 1, "method": "GET",
         "path": "/api/esx/settings/clusters/*/software/compliance", "count": 2},
        {"type": "http_status", "status": 503, "path": "/api/vcenter/cluster", "count": 1},
    ])
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """)
    assert result.ok, result.output
    assert result.task("check")["counts"]["total"] == 2
    assert sim.faults() == []                              # both faults fired (each leaves the list when used up)


def test_expired_session_mid_task_is_survived(sim, run_playbook):
    sim.add_faults({"type": "expire_session", "method": "GET", "path": "/api/cis/tasks/*", "count": 1})
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """)
    assert result.ok, result.output
    assert result.task("check")["counts"]["total"] == 2
    counters = sim.counters()
    assert counters["logins"]["rest"] == 2  # one re-login after the expiry, transparent to the user
    assert counters["calls"].get(SCAN) == 1


def test_connection_reset_is_survived(sim, run_playbook):
    sim.add_faults({"type": "reset_connection", "path": "/api/vcenter/cluster", "count": 1})
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            cluster: {CLUSTER}
    """)
    assert result.ok, result.output
    assert result.task("check")["counts"]["total"] == 2
    assert sim.faults() == []                              # the reset happened: the fault was used up ...
    assert sim.calls("GET /api/vcenter/cluster") >= 2      # ... and the module asked again after it


@pytest.mark.parametrize("args, message", [
    ("cluster: Tiny-01\n            host: esxi-ts.lab.local", "mutually exclusive"),
    ("hosts: [esxi-t1.lab.local]", "one of the following is required"),
])
def test_bad_arguments(sim, run_playbook, args, message):
    result = run_playbook(f"""
        - name: check
          vsphere.lifecycle.compliance:
            {args}
    """)
    assert not result.ok
    assert message in result.task("check")["msg"]
    assert sim.counters()["logins"]["rest"] == 0
    assert sim.mutating_calls() == {}


def assert_no_traceback(result, failure):
    """No Python traceback reached the user (ansible-core 2.19 records '(traceback unavailable)')."""
    assert "Traceback (most recent call last)" not in result.output
    assert failure.get("exception") in (None, "(traceback unavailable)")
