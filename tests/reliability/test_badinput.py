# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input corpus (issue 12, item 3): invalid inputs to every module and to the rolling_remediation role.
Each must fail with a message naming the input and the fix (the row's words), without a traceback, and the
simulator must count no mutating call (``sim.mutating_calls() == {}``) for the whole batch.

The corpus is data: a row is (id, module, args, words). A new module is a few rows; all rows of a module run in
one ansible-playbook invocation (one task per row, ``ignore_errors``), the role's rows in one play (one
block/rescue per row), so the suite stays fast.

The simulator serves tiny with a second datacenter holding a cluster of the same name (``Tiny-01`` exists twice),
so the rows can also name something that exists twice; the rows that are about something else name
``datacenter: DC1``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

SIM_SCENARIO = "tiny"        # replaced below by tiny with a second datacenter (the same cluster name twice)
SIM_TIME_SCALE = 0.0005

pytestmark = pytest.mark.badinput

DC = {"datacenter": "DC1"}
CL = {"cluster": "Tiny-01", **DC}
LONG = "c" * 4096
T1 = "esxi-t1.lab.local"
EULA = {"accept_eula": True}


def row(rid: str, module: str, args: dict[str, Any], *words: str) -> tuple[str, str, dict[str, Any], tuple[str, ...]]:
    return rid, module, args, words


NOT_FOUND = ("Tiny-01",)          # a cluster that is not there: the message lists the clusters that are

CORPUS = [
    # ------------------------------------------------------------------ connection options (shared by every module)
    row("port-not-a-number", "compliance", {**CL, "port": "https"}, "port", "int"),
    row("port-negative", "compliance", {**CL, "port": -1}, "port"),
    row("port-huge", "compliance", {**CL, "port": 99999}, "port", "65535"),
    row("timeout-zero", "compliance", {**CL, "timeout": 0}, "timeout"),
    row("timeout-negative", "stage", {**CL, "timeout": -30}, "timeout"),
    row("task-poll-max-zero", "stage", {**CL, "task_poll_max": 0}, "task_poll_max", "at most 60"),
    row("task-poll-max-huge", "compliance", {**CL, "task_poll_max": 600}, "task_poll_max", "at most 60"),
    row("task-poll-max-words", "fleet_compliance", {"task_poll_max": "often"}, "task_poll_max", "float"),
    row("ca-path-missing-file", "compliance", {**CL, "ca_path": "/nonexistent/vcenter-ca.pem"}, "ca_path",
        "/nonexistent/vcenter-ca.pem", "PEM bundle"),
    row("validate-certs-not-a-bool", "compliance", {**CL, "validate_certs": "perhaps"}, "validate_certs"),
    row("hostname-is-a-url", "compliance", {**CL, "hostname": "https://vcenter.example.com/ui"}, "hostname"),
    row("unknown-option", "compliance", {**CL, "clustr": "Tiny-01"}, "clustr", "Supported parameters"),
    # ------------------------------------------------------------------ target options
    row("no-target", "compliance", {}, "required", "cluster", "host"),
    row("cluster-empty", "compliance", {"cluster": ""}, "cluster is empty", "name"),
    row("cluster-blank", "stage", {"cluster": "   "}, "cluster is empty"),
    row("cluster-null", "remediate", {"cluster": None, **EULA}, "no target", "null"),
    row("cluster-and-host", "stage", {"cluster": "Tiny-01", "host": "esxi-ts.lab.local"}, "mutually exclusive",
        "cluster", "host"),
    row("cluster-does-not-exist", "compliance", {"cluster": "Prod-99", **DC}, "Prod-99", *NOT_FOUND),
    row("cluster-wrong-case", "stage", {"cluster": "tiny-01", **DC}, "tiny-01", *NOT_FOUND),
    row("cluster-unicode", "remediate", {"cluster": "Clüster-Ω-☃", **DC, **EULA}, "Clüster-Ω-☃", *NOT_FOUND),
    row("cluster-very-long", "image_info", {"cluster": LONG, **DC}, "cluster", *NOT_FOUND),
    row("cluster-exists-twice", "stage", {"cluster": "Tiny-01"}, "Tiny-01", "datacenter", "DC1", "DC2"),
    row("cluster-twice-remediate", "remediate", {"cluster": "Tiny-01", **EULA}, "Tiny-01", "datacenter"),
    row("datacenter-does-not-exist", "compliance", {"cluster": "Tiny-01", "datacenter": "DC9"}, "DC9", "DC1"),
    row("datacenter-empty", "stage", {"cluster": "Tiny-01", "datacenter": ""}, "datacenter is empty"),
    row("host-in-a-cluster-as-standalone", "remediate", {"host": T1, **EULA}, T1, "cluster"),
    row("host-empty", "stage", {"host": ""}, "host is empty"),
    row("host-does-not-exist", "image_info", {"host": "esxi-zz.lab.local"}, "esxi-zz.lab.local"),
    row("hosts-empty-list", "stage", {**CL, "hosts": []}, "hosts is an empty list", "leave hosts out"),
    row("hosts-without-cluster", "stage", {"hosts": [T1]}, "required", "cluster"),
    row("hosts-with-standalone-host", "stage", {"host": "esxi-ts.lab.local", "hosts": [T1]}, "mutually exclusive",
        "hosts", "host"),
    row("hosts-unknown-name", "remediate", {**CL, "hosts": ["esxi-nope.lab.local"], **EULA},
        "esxi-nope.lab.local"),
    row("hosts-empty-name", "stage", {**CL, "hosts": [T1, ""]}, "hosts[1]", "empty"),
    row("hosts-of-another-cluster", "remediate_batch", {**CL, "hosts": ["esxi-ts.lab.local"], **EULA},
        "esxi-ts.lab.local", "Tiny-01"),
    # ------------------------------------------------------------------ numbers and types of module options
    row("wait-timeout-zero", "remediate", {**CL, "wait_timeout": 0, **EULA}, "wait_timeout", "positive"),
    row("wait-timeout-negative", "stage", {**CL, "wait_timeout": -1}, "wait_timeout", "positive"),
    row("wait-timeout-not-a-number", "compliance", {**CL, "wait_timeout": "an hour"}, "wait_timeout", "int"),
    row("refresh-not-a-bool", "compliance", {**CL, "refresh": "sometimes"}, "refresh"),
    row("eula-not-accepted", "remediate", {**CL}, "accept_eula"),
    row("eula-false", "remediate", {**CL, "accept_eula": False}, "accept_eula"),
    row("batch-eula-false", "remediate_batch", {**CL, "hosts": [T1], "accept_eula": False}, "accept_eula"),
    row("batch-hosts-missing", "remediate_batch", {**CL, **EULA}, "hosts is required"),
    row("batch-max-hosts-zero", "remediate_batch", {**CL, **EULA, "hosts": [T1], "max_hosts_in_maintenance": 0},
        "max_hosts_in_maintenance"),
    row("batch-max-hosts-negative", "remediate_batch", {**CL, **EULA, "hosts": [T1], "max_hosts_in_maintenance": -3},
        "max_hosts_in_maintenance"),
    row("batch-maintenance-timeout-zero", "remediate_batch", {**CL, **EULA, "hosts": [T1], "maintenance_timeout": 0},
        "maintenance_timeout"),
    row("batch-task-poll-max-negative", "remediate_batch", {**CL, **EULA, "hosts": [T1], "task_poll_max": -1},
        "task_poll_max"),
    row("plan-max-hosts-words", "remediation_plan", {**CL, "max_hosts_in_maintenance": "a few"},
        "max_hosts_in_maintenance"),
    row("plan-max-hosts-percent-over-100", "remediation_plan", {**CL, "max_hosts_in_maintenance": "150%"},
        "max_hosts_in_maintenance"),
    row("plan-max-hosts-zero", "remediation_plan", {**CL, "max_hosts_in_maintenance": 0}, "max_hosts_in_maintenance"),
    row("plan-host-seconds-negative", "remediation_plan", {**CL, "host_seconds": -900}, "host_seconds"),
    row("plan-ha-failover-negative", "remediation_plan", {**CL, "ha_failover_hosts": -1}, "ha_failover_hosts"),
    row("plan-max-utilization-huge", "remediation_plan", {**CL, "max_utilization": 1000}, "max_utilization"),
    row("plan-cpu-basis-unknown", "remediation_plan", {**CL, "cpu_basis": "peak"}, "cpu_basis", "demand"),
    row("policy-retry-count-negative", "remediation_policy", {**CL, "failure_retry_count": -1},
        "failure_retry_count"),
    row("policy-retry-count-huge", "remediation_policy", {**CL, "failure_retry_count": 10 ** 9},
        "failure_retry_count"),
    row("policy-retry-delay-negative", "remediation_policy", {**CL, "failure_retry_delay": -60},
        "failure_retry_delay"),
    row("policy-failure-action-unknown", "remediation_policy", {**CL, "failure_action": "IGNORE"},
        "failure_action", "RETRY"),
    row("policy-parallel-max-zero", "remediation_policy", {**CL, "parallel_max_hosts": 0}, "parallel_max_hosts"),
    row("policy-power-action-unknown", "remediation_policy", {**CL, "pre_remediation_power_action": "REBOOT"},
        "pre_remediation_power_action", "POWER_OFF_VMS"),
    row("policy-defaults-and-cluster", "remediation_policy", {**CL, "defaults": True, "failure_action": "FAIL"},
        "mutually exclusive", "defaults"),
    row("policy-live-patch-mode-on-8.0", "remediation_policy", {**CL, "live_patch_mode": "AUTO"},
        "live_patch_mode", "9.1"),
    # ------------------------------------------------------------------ files and specs
    row("export-format-unknown", "image_export", {**CL, "format": "tar", "dest": "/tmp/x.tar"}, "format", "json"),
    row("export-dest-empty", "image_export", {**CL, "format": "json", "dest": ""}, "dest"),
    row("export-dest-dir-missing", "image_export", {**CL, "format": "json", "dest": "/nonexistent/dir/spec.json"},
        "dest", "/nonexistent/dir"),
    row("depot-present-without-bundle", "depot", {"state": "present"}, "bundle"),
    row("depot-bundle-missing-file", "depot", {"bundle": "/nonexistent/bundle.zip"}, "bundle",
        "/nonexistent/bundle.zip"),
    row("depot-bundle-wrong-scheme", "depot", {"bundle": "ftp://depot.example.com/bundle.zip"}, "bundle", "ftp"),
    row("depot-bundle-not-a-zip", "depot", {"bundle": "@NOT_A_ZIP@"}, "bundle", "ZIP"),
    row("depot-state-unknown", "depot", {"state": "gone", "depot_id": "x"}, "state", "absent"),
    row("depot-absent-without-id", "depot", {"state": "absent"}, "depot_id"),
    row("depot-info-content-unknown", "depot_info", {"content": ["drivers"]}, "content", "base_images"),
    row("depot-info-bundle-type-unknown", "depot_info", {"bundle_types": ["FIRMWARE"]}, "bundle_types"),
    row("depot-info-min-version-malformed", "depot_info", {"min_version": "eight point oh"}, "min_version"),
    row("depot-info-names-empty", "depot_info", {"names": []}, "names", "empty"),
    row("cluster-info-names-empty", "cluster_info", {"names": []}, "names", "empty"),
    row("cluster-info-name-empty", "cluster_info", {"names": ["Tiny-01", ""]}, "names[1]"),
    row("cluster-info-datacenter-unknown", "cluster_info", {"datacenter": "Nowhere"}, "Nowhere", "DC1"),
    row("image-info-policies-not-a-bool", "image_info", {**CL, "policies": "yes please"}, "policies"),
    # ------------------------------------------------------------------ modules merged from main (issue 11, 12)
    row("fleet-clusters-empty", "fleet_compliance", {"clusters": []}, "clusters", "empty"),
    row("fleet-parallel-zero", "fleet_compliance", {"parallel": 0}, "parallel"),
    row("fleet-wait-timeout-negative", "fleet_compliance", {"wait_timeout": -5}, "wait_timeout"),
    row("fleet-cluster-unknown", "fleet_compliance", {"clusters": ["Prod-99"]}, "Prod-99"),
    row("image-components-not-a-dict", "image", {**CL, "components": "ESXi"}, "components"),
    row("image-unknown-option", "image", {**CL, "base_imag": "8.0.3-0.50.24585383"}, "base_imag"),
    row("image-delete-components-empty", "image", {**CL, "delete_components": []}, "delete_components"),
    row("image-base-image-not-in-depot", "image", {**CL, "base_image": "latest"}, "base image latest", "depot"),
    row("import-src-missing", "image_import", {**CL, "src": "/nonexistent/spec.json"}, "src",
        "/nonexistent/spec.json"),
    row("import-src-not-json", "image_import", {**CL, "src": "@NOT_JSON@"}, "src"),
    row("import-nothing-to-import", "image_import", {**CL}, "src"),
]

# the role's variables: (id, vars, words)
ROLE_CORPUS = [
    ("role-cluster-missing", {"vlcm_accept_eula": True}, ("vlcm_cluster",)),
    ("role-cluster-empty", {"vlcm_cluster": ""}, ("vlcm_cluster",)),
    ("role-cluster-not-a-string", {"vlcm_cluster": ["Tiny-01"]}, ("vlcm_cluster",)),
    ("role-eula-not-accepted", {"vlcm_cluster": "Tiny-01", "vlcm_accept_eula": False}, ("vlcm_accept_eula",)),
    ("role-live-patch-auto", {"vlcm_cluster": "Tiny-01", "vlcm_live_patch": "auto"}, ("vlcm_live_patch is auto",
                                                                                      '"off"', '"on"')),
    ("role-max-hosts-over-100-percent", {"vlcm_cluster": "Tiny-01", "vlcm_max_hosts_in_maintenance": "150%"},
     ("vlcm_max_hosts_in_maintenance", "percent")),
    ("role-max-hosts-zero", {"vlcm_cluster": "Tiny-01", "vlcm_max_hosts_in_maintenance": 0},
     ("vlcm_max_hosts_in_maintenance",)),
    ("role-max-hosts-words", {"vlcm_cluster": "Tiny-01", "vlcm_max_hosts_in_maintenance": "half"},
     ("vlcm_max_hosts_in_maintenance",)),
    ("role-wait-timeout-zero", {"vlcm_cluster": "Tiny-01", "vlcm_wait_timeout": 0}, ("vlcm_wait_timeout",)),
    ("role-throttle-negative", {"vlcm_cluster": "Tiny-01", "vlcm_throttle": -1}, ("vlcm_throttle",)),
    ("role-hook-file-missing", {"vlcm_cluster": "Tiny-01", "vlcm_pre_host_tasks": "/nonexistent/pre.yml"},
     ("vlcm_pre_host_tasks", "/nonexistent/pre.yml")),
    ("role-cluster-does-not-exist", {"vlcm_cluster": "Prod-99", "vlcm_datacenter": "DC1"}, ("Prod-99",)),
]


@pytest.fixture(scope="module", autouse=True)
def _tiny_with_a_twin(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """tiny plus DC2 holding a cluster also called Tiny-01 (other host names): a name that exists twice."""
    import vlcmsim

    scenario = yaml.safe_load((Path(vlcmsim.__file__).parent / "scenarios" / "tiny.yml").read_text())
    dc1 = scenario["datacenters"][0]
    dc2 = {"name": "DC2",
           "clusters": [dict(dc1["clusters"][0], hosts=[
               dict(h, name=h["name"].replace("esxi-t", "esxi-u"),
                    vms=[dict(v, name=v["name"] + "-dc2") for v in h.get("vms", [])])
               for h in dc1["clusters"][0]["hosts"]])]}
    scenario["name"] = "tiny_twin"
    scenario["datacenters"].append(dc2)
    path = tmp_path_factory.mktemp("scenario-twin") / "tiny_twin.yml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    request.module.SIM_SCENARIO = str(path)


def _yaml_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def module_playbook(rows: list[tuple[str, str, dict[str, Any], tuple[str, ...]]], not_a_zip: Path) -> str:
    tasks = []
    for rid, module, args, _words in rows:
        lines = [f"- name: {rid}", f"  vsphere.lifecycle.{module}:"]
        if not args:
            lines[-1] += " {}"
        for key, value in args.items():
            if value == "@NOT_A_ZIP@":
                value = str(not_a_zip)
            if value == "@NOT_JSON@":
                value = str(not_a_zip.with_name("spec.json"))
            lines.append(f"    {key}: {_yaml_value(value)}")
        lines.append("  ignore_errors: true")
        tasks.append("\n".join(lines))
    return "\n".join(tasks) + "\n"


def role_playbook(rows: list[tuple[str, dict[str, Any], tuple[str, ...]]]) -> str:
    tasks = []
    for rid, variables, _words in rows:
        variables = {"vlcm_accept_eula": True, **variables}   # each row is wrong in one variable only
        tasks.append("\n".join([
            f"- name: block {rid}",
            "  block:",
            f"    - name: role {rid}",
            "      ansible.builtin.include_role:",
            "        name: vsphere.lifecycle.rolling_remediation",
            "      vars: " + (_yaml_value(variables) if variables else "{}"),
            "    - name: not refused",
            "      ansible.builtin.fail:",
            f"        msg: 'NOT REFUSED: {rid}'",
            "  rescue:",
            f"    - name: {rid}",
            "      ansible.builtin.debug:",
            "        msg: \"{{ ansible_failed_result.msg | default('') }}\"",
        ]))
    return "\n".join(tasks) + "\n"


def clear(msg: str, words: tuple[str, ...]) -> list[str]:
    """The words missing from the message (empty: it names the input and the fix)."""
    return [w for w in words if w.lower() not in msg.lower()]


MODULES = sorted({m for _, m, _, _ in CORPUS})


@pytest.mark.parametrize("module", MODULES)
def test_bad_inputs_of_a_module(module, sim, run_playbook, tmp_path, record_property) -> None:
    rows = [r for r in CORPUS if r[1] == module]
    not_a_zip = tmp_path / "bundle.zip"
    not_a_zip.write_text("this is not a ZIP archive\n")
    not_a_zip.with_name("spec.json").write_text('{"base_image": {"version": "8.0.3"},,, not JSON\n')
    record_property("kind", "badinput")
    record_property("inputs", len(rows))
    record_property("clear", 0)
    result = run_playbook(module_playbook(rows, not_a_zip))
    problems = []
    clear_count = 0
    for rid, _module, _args, words in rows:
        status, res = result.status(rid), result.task(rid)
        msg = str(res.get("msg", ""))
        if status != "failed":
            problems.append(f"{rid}: not refused ({status}): {res}")
            continue
        # (ansible-core puts "exception": "(traceback unavailable)" on every failed result; a real one has frames)
        if "Traceback (most recent call last)" in json.dumps(res) or res.get("module_stderr"):
            problems.append(f"{rid}: a traceback: {res.get('module_stderr') or res.get('exception')}")
            continue
        missing = clear(msg, words)
        if missing:
            problems.append(f"{rid}: the message does not name {missing}: {msg}")
            continue
        clear_count += 1
    record_property("clear", clear_count)
    mutating = sim.mutating_calls()
    assert problems == [], "\n".join(problems)
    assert "Traceback" not in result.output
    assert mutating == {}, mutating


def test_bad_variables_of_the_role(sim, run_playbook, record_property) -> None:
    record_property("kind", "badinput")
    record_property("inputs", len(ROLE_CORPUS))
    record_property("clear", 0)
    result = run_playbook(role_playbook(ROLE_CORPUS))
    assert result.ok, result.output[-3000:]
    problems = []
    for rid, _vars, words in ROLE_CORPUS:
        msg = str(result.task(rid).get("msg", ""))
        if "NOT REFUSED" in msg:
            problems.append(f"{rid}: not refused")
        elif clear(msg, words):
            problems.append(f"{rid}: the message does not name {clear(msg, words)}: {msg}")
    record_property("clear", len(ROLE_CORPUS) - len(problems))
    assert problems == [], "\n".join(problems)
    assert "Traceback" not in result.output
    assert sim.mutating_calls() == {}


def test_the_corpus_is_big_enough_and_its_ids_unique() -> None:
    ids = [r[0] for r in CORPUS] + [r[0] for r in ROLE_CORPUS]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 50
    assert {m for _, m, _, _ in CORPUS} >= {"cluster_info", "compliance", "depot", "depot_info", "image_export",
                                            "image_info", "remediate", "remediate_batch", "remediation_plan",
                                            "remediation_policy", "stage"}


# Known gaps: rows that fail today, kept as strict xfails (an unexpected pass fails the suite, so a fix shows up) and
# counted apart in the table.
KNOWN_GAPS = [
]


@pytest.mark.parametrize("gap", [g[0] for g in KNOWN_GAPS], ids=[g[0][0] for g in KNOWN_GAPS])
def test_known_gap(gap, sim, run_playbook, tmp_path, record_property) -> None:
    reason = dict((g[0][0], g[1]) for g in KNOWN_GAPS)[gap[0]]
    record_property("kind", "badinput_known_gap")
    record_property("gap", f"{gap[0]}: {reason}")
    rid, _module, _args, words = gap
    result = run_playbook(module_playbook([gap], tmp_path / "unused.zip"))
    res = result.task(rid)
    clear_and_read_only = (result.status(rid) == "failed" and not clear(str(res.get("msg", "")), words)
                           and sim.mutating_calls() == {})
    if not clear_and_read_only:
        pytest.xfail(reason)
    pytest.fail(f"known gap {rid} is fixed: move the row into CORPUS")
