"""Apply policies (configured, effective, global defaults, 8.0 U3 vs 9.1 fields) and scenario files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from _simapi import Api, build_scenario, cluster, host, tiny_data
from vlcmsim import certs, scenarios
from vlcmsim.testing import start_simulator


def test_policies_configured_effective_and_defaults(tiny: Api) -> None:
    cid = tiny.cluster["Tiny-01"]
    path = f"/esx/settings/clusters/{cid}/policies/apply"
    assert tiny.get(path).json() == {}
    eff = tiny.get(path + "/effective").json()
    assert eff["failure_action"] == {"action": "RETRY", "retry_delay": 300, "retry_count": 3}
    assert eff["pre_remediation_power_action"] == "DO_NOT_CHANGE_VMS_POWER_STATE"
    assert eff["enforce_quick_patch"] is False and "software_policy_spec" not in eff
    defaults = "/esx/settings/defaults/clusters/policies/apply"
    assert tiny.put(defaults, {"enable_quick_boot": True, "disable_hac": True}).status_code == 204
    assert tiny.get(defaults).json() == {"enable_quick_boot": True, "disable_hac": True}
    assert tiny.get(defaults + "/effective").json()["enable_quick_boot"] is True
    assert tiny.put(path, {"enable_quick_boot": False, "enforce_quick_patch": True}).status_code == 204
    eff = tiny.get(path + "/effective").json()
    assert eff["enable_quick_boot"] is False            # the cluster overrides the default
    assert eff["disable_hac"] is True                   # inherited from the global default
    assert eff["enforce_quick_patch"] is True           # 8.0 U3 live patch flag is accepted
    hp = f"/esx/settings/hosts/{tiny.host['esxi-ts.lab.local']}/policies/apply"
    assert tiny.put(hp, {"pre_remediation_power_action": "POWER_OFF_VMS"}).status_code == 204
    heff = tiny.get(hp + "/effective").json()
    assert heff["pre_remediation_power_action"] == "POWER_OFF_VMS" and "disable_hac" not in heff


@pytest.mark.parametrize("body, field", [
    ({"failure_action": {"action": "MAYBE"}}, "failure_action.action"),
    ({"failure_action": {"action": "RETRY", "retry_count": -1}}, "failure_action.retry_count"),
    ({"failure_action": {"action": "RETRY", "retry_count": 2}}, "failure_action.retry_delay"),
    ({"failure_action": {"action": "FAIL", "retry_count": 2}}, "failure_action.retry_count"),
    ({"pre_remediation_power_action": "NUKE"}, "pre_remediation_power_action"),
    ({"parallel_remediation_action": {"enabled": "yes"}}, "parallel_remediation_action.enabled"),
    ({"parallel_remediation_action": {"enabled": True, "max_hosts": 97}}, "parallel_remediation_action.max_hosts"),
    ({"no_such_policy": True}, "no_such_policy"),
])
def test_invalid_policy_is_refused_naming_the_field(tiny: Api, body: dict, field: str) -> None:
    path = f"/esx/settings/clusters/{tiny.cluster['Tiny-01']}/policies/apply"
    assert tiny.put(path, {"enable_quick_boot": True}).status_code == 204
    before = tiny.get(path).json()
    r = tiny.put(path, body)
    assert r.status_code == 400 and r.json()["error_type"] == "INVALID_ARGUMENT"
    assert field in r.json()["messages"][0]["default_message"]
    assert tiny.get(path).json() == before == {"enable_quick_boot": True}     # re-read: nothing was written


def test_91_only_policy_field_refused_on_803_accepted_on_91(sim_factory: Callable[..., Api], tmp_path: Path,
                                                             tiny: Api) -> None:
    spec = {"software_policy_spec": {"live_patch_action": {"live_patch_mode": "AUTO_LIVE_PATCH"}}}
    r = tiny.put(f"/esx/settings/clusters/{tiny.cluster['Tiny-01']}/policies/apply", spec)
    assert r.status_code == 400 and r.json()["error_type"] == "INVALID_ARGUMENT"
    assert "9.1" in r.json()["messages"][0]["default_message"]
    api91 = sim_factory(build_scenario(tmp_path, [cluster("N", [host("esxi-n.lab")])], name="nine",
                                       vcenter={"version": "9.1.0"}))
    path = f"/esx/settings/clusters/{api91.cluster['N']}/policies/apply"
    assert api91.put(path, spec).status_code == 204
    eff = api91.get(path + "/effective").json()
    assert eff["software_policy_spec"]["live_patch_action"]["live_patch_mode"] == "AUTO_LIVE_PATCH"
    assert api91.state()["vcenter"]["version"] == "9.1.0"


def test_live_patch_policy_does_not_apply_when_add_on_and_firmware_change_too(tiny: Api) -> None:
    cid = tiny.cluster["Tiny-01"]
    assert tiny.put(f"/esx/settings/clusters/{cid}/policies/apply", {"enforce_quick_patch": True}).status_code == 204
    # tiny's desired image changes firmware and add-on too, so live patch does not apply: full reboot
    comp = tiny.task(tiny.cpath("Tiny-01"), "scan")["result"]
    assert comp["impact"] == "REBOOT_REQUIRED"
    impact = tiny.get(tiny.cpath("Tiny-01") + "/reports/apply-impact").json()
    assert set(impact["host_impact"]) == {tiny.host["esxi-t1.lab.local"], tiny.host["esxi-t2.lab.local"]}
    msgs = [m["message"]["default_message"] for m in impact["host_impact"][tiny.host["esxi-t1.lab.local"]]]
    assert any("rebooted" in m for m in msgs) and any("maintenance mode" in m for m in msgs)


def _base_image_only(tmp_path: Path, *, quick_patch_listed: bool, vcenter: str = "8.0.3") -> Path:
    """A cluster whose desired image differs from the installed one only in the base image; the depot entry
    of the desired base image lists the installed version as quick-patch compatible (or not)."""
    data = tiny_data()
    images = data["images"]
    images["base_only"] = dict(images["current"], base_image=images["desired"]["base_image"])
    depot = data["depot"]
    target = next(b for b in depot["base_images"] if b["version"] == images["desired"]["base_image"])
    if quick_patch_listed:
        assert images["current"]["base_image"] in target["quick_patch_compatible_versions"]
    else:
        target.pop("quick_patch_compatible_versions")
    name = f"lp-{'listed' if quick_patch_listed else 'unlisted'}-{vcenter}"
    return build_scenario(tmp_path, [cluster("LP", [host("esxi-lp1.lab"), host("esxi-lp2.lab")],
                                             desired_image="base_only")],
                          name=name, images=images, depot=depot, vcenter={"version": vcenter})


@pytest.mark.parametrize("vcenter, policy, listed, impact", [
    ("8.0.3", {"enforce_quick_patch": True}, True, "PARTIAL_MAINTENANCE_MODE_REQUIRED"),
    ("9.1.0", {"software_policy_spec": {"live_patch_action": {"live_patch_mode": "AUTO_LIVE_PATCH"}}}, True,
     "PARTIAL_MAINTENANCE_MODE_REQUIRED"),
    ("8.0.3", None, True, "REBOOT_REQUIRED"),                                   # control: no policy
    ("8.0.3", {"enforce_quick_patch": True}, False, "REBOOT_REQUIRED"),         # control: not quick-patchable
], ids=["enforce_quick_patch", "auto_live_patch_91", "no_policy", "not_in_quick_patch_versions"])
def test_live_patch_policy_makes_the_impact_partial_maintenance(sim_factory: Callable[..., Api], tmp_path: Path,
                                                                vcenter: str, policy: dict | None, listed: bool,
                                                                impact: str) -> None:
    api = sim_factory(_base_image_only(tmp_path, quick_patch_listed=listed, vcenter=vcenter))
    cid = api.cluster["LP"]
    if policy is not None:
        assert api.put(f"/esx/settings/clusters/{cid}/policies/apply", policy).status_code == 204
    comp = api.task(api.cpath("LP"), "scan")["result"]
    assert comp["status"] == "NON_COMPLIANT"
    for h in comp["hosts"].values():       # only the base image differs
        assert h["base_image"]["status"] == "NON_COMPLIANT" and h["add_on"]["status"] == "COMPLIANT"
        assert all(p["status"] == "COMPLIANT" for p in h["hardware_support"].values())
        assert h["impact"] == impact
    assert comp["impact"] == impact
    report = api.get(api.cpath("LP") + "/reports/apply-impact").json()
    for items in report["host_impact"].values():
        msgs = [m["message"]["default_message"] for m in items]
        if impact == "PARTIAL_MAINTENANCE_MODE_REQUIRED":
            assert any("partial maintenance mode" in m for m in msgs) and not any("rebooted" in m for m in msgs)
        else:
            assert any("rebooted" in m for m in msgs) and not any("partial" in m for m in msgs)


def test_bundled_scenarios_load() -> None:
    tiny = scenarios.load("tiny")
    assert {h.name for h in tiny.hosts.values()} == {"esxi-t1.lab.local", "esxi-t2.lab.local", "esxi-ts.lab.local"}
    assert not next(h for h in tiny.hosts.values() if h.name == "esxi-t2.lab.local").firmware_stageable
    demo = scenarios.load("demo")
    assert sorted(c.name for c in demo.clusters.values()) == ["Cluster-A", "Cluster-B"]
    assert len(demo.hosts) == 9 and any(h.tpm for h in demo.hosts.values())
    vms = demo.vms.values()
    assert any(v.fault_tolerance for v in vms) and any(v.directpath for v in vms)
    assert sum(v.shared_disk for v in vms) == 2
    fleet = scenarios.load("fleet")      # how fast it loads is for a benchmark to say, not a test
    assert len(fleet.clusters) == 32 and len(fleet.hosts) == 1024
    assert len(demo.depot.base_images) >= 2 and demo.depot.add_ons and demo.depot.firmware
    rolling = scenarios.load("rolling")
    assert sorted(c.name for c in rolling.clusters.values()) == ["HA-08", "History-04", "Rolling-16", "VSAN-04"]
    assert len(rolling.hosts) == 32 and rolling.counters.capacity_violations == 0


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d["datacenters"][0]["clusters"][0]["hosts"][1].__setitem__("cpu_mhz", "fast"),
     "datacenters[0].clusters[0].hosts[1].cpu_mhz"),
    (lambda d: d["datacenters"][0]["clusters"][0].__setitem__("drs", {"enabled": True, "behavior": "auto"}),
     "datacenters[0].clusters[0].drs.behavior"),
    (lambda d: d.__setitem__("colour", "blue"), "(top level)"),
    (lambda d: d["datacenters"][0]["clusters"][0].__setitem__("desired_image", "nope"),
     "datacenters[0].clusters[0].desired_image"),
    (lambda d: d["images"]["desired"].__setitem__("base_image", "9.9.9-0.0.1"), "images.desired.base_image"),
    (lambda d: d["datacenters"][0]["clusters"][0].__setitem__("last_apply", {"host_seconds": 0}),
     "datacenters[0].clusters[0].last_apply.host_seconds"),
    (lambda d: d["datacenters"][0]["clusters"][0].__setitem__("vsan", "yes"), "datacenters[0].clusters[0].vsan"),
])
def test_bad_scenario_names_the_field(tmp_path: Path, mutate: Callable[[dict], None], where: str) -> None:
    data = tiny_data()
    mutate(data)
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(scenarios.ScenarioError) as err:
        scenarios.load(str(path))
    assert where in str(err.value)


def test_cli_refuses_a_bad_scenario(tmp_path: Path) -> None:
    data = tiny_data()
    data["datacenters"][0]["clusters"][0]["hosts"][0]["vms"][0]["power_state"] = "on"
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(data))
    proc = subprocess.run([sys.executable, "-m", "vlcmsim", "--scenario", str(path), "--port", "0",
                           "--state-dir", str(tmp_path / "st")], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "datacenters[0].clusters[0].hosts[0].vms[0].power_state" in proc.stderr


def test_insecure_http(sim_factory: Callable[..., Api]) -> None:
    api = sim_factory("tiny", extra_args=("--insecure-http",))
    assert api.sim.url.startswith("http://") and api.sim.ca is None
    assert api.get("/vcenter/cluster").status_code == 200


def test_certificates_are_reused_and_cover_loopback(tmp_path: Path) -> None:
    from cryptography import x509
    ca1, srv1, _ = certs.ensure(tmp_path)
    first = Path(srv1).read_bytes()
    ca2, srv2, _ = certs.ensure(tmp_path)
    assert (ca1, srv1) == (ca2, srv2) and Path(srv2).read_bytes() == first
    cert = x509.load_pem_x509_certificate(first)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    certs.ensure(tmp_path, "sim.example.test")                 # a new name: new server cert, same CA
    assert Path(srv1).read_bytes() != first and Path(ca1).read_bytes() == Path(ca2).read_bytes()


def test_cli_prints_the_contract_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    handle = start_simulator("tiny", time_scale=0.001, state_dir=tmp_path / "st")
    info = json.loads((tmp_path / "st" / "server.json").read_text())
    assert set(info) >= {"url", "host", "port", "username", "password", "ca", "pid"}
    assert info["url"] == f"https://127.0.0.1:{info['port']}" and info["ca"] == str(tmp_path / "st" / "ca.pem")
    assert handle.stop() == 0
    out = (tmp_path / "st" / "simulator.log").read_text().splitlines()
    assert out[:5] == ["vlcmsim ready", f"url: {info['url']}", f"username: {info['username']}",
                       f"password: {info['password']}", f"ca: {info['ca']}"]
    assert not (tmp_path / "st" / "server.json").exists()
