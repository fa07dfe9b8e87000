"""Scenario files (YAML, validated by schema/scenario.json) -> a populated World.

`load(name_or_path)` accepts a bundled scenario name (tiny, demo, fleet, promotion_target, rolling, livepatch,
livepatch91) or a path.
A file that does not validate raises ScenarioError naming the field by its JSON path,
e.g. "scenario tiny.yml: datacenters[0].clusters[0].hosts[1].cpu_mhz: 'x' is not of type 'integer'".
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .core import faults
from .core.clock import parse_iso
from .core.errors import VapiError
from .core.hosts import note_state
from .model import (
    VM,
    Cluster,
    Commit,
    Datacenter,
    Depot,
    DepotAddOn,
    DepotBaseImage,
    DepotComponent,
    Durations,
    Host,
    Image,
    World,
)
from .vlcm.images import new_notes, note
from .vlcm.livepatch import TARGETS_SINCE_90, version_tuple
from .vlcm.policies import validate_policy_spec
from .vlcm.stage import host_status

BUNDLED = ("tiny", "demo", "fleet", "promotion_target", "rolling", "livepatch", "livepatch91")
_SCHEMA: dict[str, Any] | None = None


class ScenarioError(ValueError):
    """The scenario file is missing or invalid; the message names the file and the field."""


def schema() -> dict[str, Any]:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = json.loads(resources.files("vlcmsim").joinpath("schema/scenario.json").read_text())
    return _SCHEMA


def scenario_path(name_or_path: str) -> Path:
    if name_or_path in BUNDLED:
        return Path(str(resources.files("vlcmsim").joinpath(f"scenarios/{name_or_path}.yml")))
    path = Path(name_or_path)
    if not path.is_file():
        raise ScenarioError(f"scenario '{name_or_path}' is neither a bundled scenario ({', '.join(BUNDLED)}) "
                            "nor a readable file")
    return path


def _field_path(err: jsonschema.ValidationError) -> str:
    out = ""
    for part in err.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate(data: Any, source: str) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(list(e.absolute_path)), str(e.absolute_path)))
    if errors:
        err = errors[0]
        more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
        raise ScenarioError(f"scenario {source}: {_field_path(err)}: {err.message}{more}")


def load(name_or_path: str) -> World:
    path = scenario_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ScenarioError(f"scenario {path.name}: not valid YAML: {exc}") from exc
    validate(data, path.name)
    world = build(data, path.name)
    world.scenario_source = str(path)
    return world


# --------------------------------------------------------------------------- building


def _image(spec: dict[str, Any]) -> Image:
    ao = spec.get("add_on")
    return Image(base_image=spec["base_image"],
                 add_on=(ao["name"], ao["version"]) if ao else None,
                 components=dict(spec.get("components") or {}),
                 hardware_support={m: (p["pkg"], p["version"]) for m, p in (spec.get("hardware_support") or {}).items()})


def _ts(value: Any, default: float) -> float:
    if value is None:
        return default
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise ScenarioError(f"invalid date-time {value!r}: {exc}") from exc


def _depot(spec: dict[str, Any]) -> Depot:
    now = time.time()
    depot = Depot()
    for b in spec.get("base_images", []):
        depot.base_images.append(DepotBaseImage(
            version=b["version"], display_name=b.get("display_name", "ESXi"), display_version=b["display_version"],
            release_date=_ts(b.get("release_date"), now), components=dict(b.get("components") or {}),
            quick_patch_compatible_versions=dict(b.get("quick_patch_compatible_versions") or {}),
            category=b.get("category", "ENHANCEMENT"), summary=b.get("summary", f"ESXi {b['display_version']}"),
            kb=b.get("kb", "https://kb.vmware.com"),
            live_patch_targets=tuple(b.get("live_patch_targets") or ("vmx",))))
    for a in spec.get("add_ons", []):
        depot.add_ons.append(DepotAddOn(
            name=a["name"], version=a["version"], display_name=a.get("display_name", a["name"]), vendor=a["vendor"],
            components=dict(a.get("components") or {}), display_version=a.get("display_version", a["version"]),
            release_date=_ts(a.get("release_date"), now), category=a.get("category", "ENHANCEMENT"),
            summary=a.get("summary", a.get("display_name", a["name"])), kb=a.get("kb", "https://kb.vmware.com")))
    for c in spec.get("components", []):
        depot.components.append(DepotComponent(
            name=c["name"], version=c["version"], display_name=c.get("display_name", c["name"]), vendor=c["vendor"],
            display_version=c.get("display_version", c["version"]), release_date=_ts(c.get("release_date"), now),
            category=c.get("category", "ENHANCEMENT"), urgency=c.get("urgency", "MODERATE"),
            summary=c.get("summary", c.get("display_name", c["name"])), kb=c.get("kb", "https://kb.vmware.com")))
    depot.firmware = [dict(f) for f in spec.get("firmware", [])]
    return depot


def _check_live_patch_targets(depot: Depot, source: str) -> None:
    """8.0 U3 live patches the VM execution runtime only; the vmkernel, user-space daemons (hostd) and NSX
    components from ESX 9.0 (VMware blog, 2025-07-15)."""
    for pos, b in enumerate(depot.base_images):
        newer = sorted(set(b.live_patch_targets) & set(TARGETS_SINCE_90))
        if newer and version_tuple(b.version) < (9, 0, 0):
            raise ScenarioError(f"scenario {source}: depot.base_images[{pos}].live_patch_targets: {', '.join(newer)} "
                                f"can be live patched from ESX 9.0 only; base image {b.version} is older (8.0 U3 "
                                "live patches vmx only)")


def _check_image_refs(world: World, images: dict[str, Image], source: str) -> None:
    base = {b.version for b in world.depot.base_images}
    addons = {(a.name, a.version) for a in world.depot.add_ons}
    fws = {(f["manager"], f["pkg"], f["version"]) for f in world.depot.firmware}
    for name, img in images.items():
        if img.base_image not in base:
            raise ScenarioError(f"scenario {source}: images.{name}.base_image: {img.base_image!r} is not a depot "
                                f"base image (depot has: {', '.join(sorted(base))})")
        if img.add_on and img.add_on not in addons:
            raise ScenarioError(f"scenario {source}: images.{name}.add_on: {img.add_on} is not in the depot")
        for mgr, (pkg, ver) in img.hardware_support.items():
            if (mgr, pkg, ver) not in fws:
                raise ScenarioError(f"scenario {source}: images.{name}.hardware_support.{mgr}: package {pkg} "
                                    f"{ver} is not in the depot firmware")


def build(data: dict[str, Any], source: str = "<scenario>") -> World:
    world = World()
    world.scenario_name = data["name"]
    vc = data.get("vcenter") or {}
    world.vcenter_version = vc.get("version", "8.0.3")
    world.vcenter_build = vc.get("build", "24022515" if world.vcenter_version.startswith("8") else "24950000")
    creds = data.get("credentials") or {}
    world.username = creds.get("username", world.username)
    world.password = creds.get("password", world.password)
    if "session_idle_timeout" in data:
        world.session_idle_timeout = float(data["session_idle_timeout"])
    if "time_scale" in data:
        world.time_scale = float(data["time_scale"])
    world.durations = Durations(**(data.get("durations") or {}))
    world.depot = _depot(data["depot"])
    _check_live_patch_targets(world.depot, source)
    images = {name: _image(spec) for name, spec in data["images"].items()}
    _check_image_refs(world, images, source)
    now = time.time()
    ctx = {"world": world, "images": images, "source": source, "now": now}

    def img(name: str, where: str) -> Image:
        if name not in images:
            raise ScenarioError(f"scenario {source}: {where}: image {name!r} is not defined under images "
                                f"(defined: {', '.join(sorted(images))})")
        return images[name]

    ctx["img"] = img
    try:
        for dc_pos, dc_spec in enumerate(data["datacenters"]):
            dc = Datacenter(id=world.new_id("datacenter-"), name=dc_spec["name"],
                            host_folder=world.new_id("group-h"), vm_folder=world.new_id("group-v"))
            world.datacenters[dc.id] = dc
            where = f"datacenters[{dc_pos}]"
            for c_pos, c_spec in enumerate(dc_spec.get("clusters") or []):
                _cluster(ctx, dc, c_spec, f"{where}.clusters[{c_pos}]")
            for h_pos, h_spec in enumerate(dc_spec.get("hosts") or []):
                _standalone(ctx, dc, h_spec, f"{where}.hosts[{h_pos}]")
            gens = dc_spec.get("generate") or []
            for g_pos, gen in enumerate(gens if isinstance(gens, list) else [gens]):
                _generate(ctx, dc, gen, f"{where}.generate" + (f"[{g_pos}]" if isinstance(gens, list) else ""))
        if data.get("global_policies"):
            world.global_policies = validate_policy_spec(world, data["global_policies"], "defaults")
        for pos, f in enumerate(data.get("faults") or []):
            try:
                faults.add(world, f)
            except faults.FaultError as exc:
                raise ScenarioError(f"scenario {source}: faults[{pos}]: {exc}") from exc
    except ScenarioError:
        raise
    except VapiError as exc:
        raise ScenarioError(f"scenario {source}: policies: {exc}") from exc
    dup = {n for n, k in Counter(h.name for h in world.hosts.values()).items() if k > 1}
    if dup:
        raise ScenarioError(f"scenario {source}: duplicate host name(s): {', '.join(sorted(dup))}")
    with world.lock:
        note_state(world)     # a scenario may start with hosts in maintenance mode, or overcommitted
    return world


def _commit(desired: Image, now: float, author: str) -> dict[str, Commit]:
    return {"1": Commit(id="1", image=desired.copy(), author=author, created=now - 86400,
                        description="Desired image from the scenario")}


def _policies(ctx: dict[str, Any], spec: dict[str, Any] | None, kind: str, where: str) -> dict[str, Any]:
    if not spec:
        return {}
    try:
        return validate_policy_spec(ctx["world"], spec, kind)
    except VapiError as exc:
        raise ScenarioError(f"scenario {ctx['source']}: {where}.policies: {exc}") from exc


def _cluster(ctx: dict[str, Any], dc: Datacenter, spec: dict[str, Any], where: str) -> Cluster:
    world: World = ctx["world"]
    drs = spec.get("drs") or {}
    ha = spec.get("ha") or {}
    cl = Cluster(id=world.new_id("domain-c"), name=spec["name"], datacenter=dc.id,
                 image_managed=spec.get("image_managed", True),
                 drs_enabled=drs.get("enabled", True), drs_behavior=drs.get("behavior", "fullyAutomated"),
                 ha_enabled=ha.get("enabled", True), admission_control=ha.get("admission_control", True),
                 vsan=spec.get("vsan", False))
    if cl.image_managed:
        if "desired_image" not in spec:
            raise ScenarioError(f"scenario {ctx['source']}: {where}.desired_image: required for an image-managed "
                                "cluster")
        cl.commits = _commit(ctx["img"](spec["desired_image"], f"{where}.desired_image"), ctx["now"], world.username)
        cl.desired_commit = "1"
    world.clusters[cl.id] = cl
    cl.policies = _policies(ctx, spec.get("policies"), "cluster", where)
    for pos, h_spec in enumerate(spec.get("hosts") or []):
        if "desired_image" in h_spec or "policies" in h_spec:
            raise ScenarioError(f"scenario {ctx['source']}: {where}.hosts[{pos}]: desired_image/policies are only "
                                "for standalone hosts (a cluster host follows the cluster image)")
        _host(ctx, dc, cl.id, h_spec, f"{where}.hosts[{pos}]")
    if spec.get("last_apply"):
        if not cl.image_managed:
            raise ScenarioError(f"scenario {ctx['source']}: {where}.last_apply: only for an image-managed cluster")
        _last_apply(ctx, cl, spec["last_apply"], spec, f"{where}.last_apply")
    return cl


def _last_apply(ctx: dict[str, Any], cl: Cluster, spec: dict[str, Any], cluster_spec: dict[str, Any],
                where: str) -> None:
    """History: an earlier commit (`image`, default the first host's installed image) that a successful
    remediation applied host after host, `host_seconds` each, ending at `end_time` (default a week ago).
    The desired image becomes commit 2, and `reports/last-apply-result` has the per-host start and end."""
    world: World = ctx["world"]
    hosts = [h for h in world.hosts.values() if h.cluster == cl.id]
    name = spec.get("image") or (cluster_spec.get("hosts") or [{}])[0].get("installed_image")
    if not name or not hosts:
        raise ScenarioError(f"scenario {ctx['source']}: {where}: the cluster needs hosts (and an image)")
    image = ctx["img"](name, f"{where}.image")
    secs = float(spec["host_seconds"])
    end = _ts(spec.get("end_time"), ctx["now"] - 7 * 86400)
    first = end - secs * len(hosts)
    desired = cl.commits[cl.desired_commit or "1"]
    cl.commits = {"1": Commit(id="1", image=image.copy(), author=world.username, created=first - 86400,
                              description="Image of the last remediation (scenario history)", applied=True),
                  "2": Commit(id="2", image=desired.image, author=desired.author, created=max(desired.created, end),
                              description=desired.description)}
    cl.desired_commit = "2"
    statuses = {}
    for i, h in enumerate(hosts):
        notes = new_notes()
        notes["info"].append(note("info", "com.vmware.vcIntegrity.lifecycle.HostRemediated",
                                  f"Host {h.name} was remediated to commit 1.", [h.name]))
        statuses[h.id] = host_status("OK", first + i * secs, first + (i + 1) * secs, notes)
    cl.last_apply_result = {
        "status": host_status("OK", first, end), "commit": "1",
        "host_info": {h.id: {"name": h.name, "is_vsan_witness": False} for h in hosts},
        "host_status": statuses, "successful_hosts": [h.id for h in hosts], "failed_hosts": [],
        "skipped_hosts": [], "notifications": new_notes()}


def _standalone(ctx: dict[str, Any], dc: Datacenter, spec: dict[str, Any], where: str) -> Host:
    host = _host(ctx, dc, None, spec, where)
    if spec.get("desired_image"):
        host.commits = _commit(ctx["img"](spec["desired_image"], f"{where}.desired_image"), ctx["now"],
                               ctx["world"].username)
        host.desired_commit = "1"
    host.policies = _policies(ctx, spec.get("policies"), "host", where)
    return host


def _host(ctx: dict[str, Any], dc: Datacenter, cluster: str | None, spec: dict[str, Any], where: str) -> Host:
    world: World = ctx["world"]
    installed = ctx["img"](spec["installed_image"], f"{where}.installed_image").copy()
    version, _, rest = installed.base_image.partition("-")
    build = rest.rsplit(".", 1)[-1] if rest else "0"
    hid = world.new_id("host-")
    host = Host(id=hid, name=spec["name"], datacenter=dc.id, cluster=cluster, version=version, build=build,
                connection_state=spec.get("connection_state", "connected"),
                in_maintenance=spec.get("in_maintenance", False), tpm=spec.get("tpm", False),
                dpu=spec.get("dpu", False), cpu_mhz=spec.get("cpu_mhz", 64000),
                memory_mb=spec.get("memory_mb", 524288), installed=installed,
                firmware_stageable=spec.get("firmware_stageable", True),
                uuid=str(uuid.uuid5(uuid.NAMESPACE_DNS, spec["name"])),
                vendor=spec.get("vendor", "Dell Inc."), model=spec.get("model", "PowerEdge R750"))
    if host.in_maintenance:
        host.maintenance_since = time.monotonic()
    world.hosts[hid] = host
    for v in spec.get("vms") or []:
        vm = VM(id=world.new_id("vm-"), name=v["name"], host=hid, power_state=v.get("power_state", "poweredOn"),
                cpu_mhz=v.get("cpu_mhz", 2000), memory_mb=v.get("memory_mb", 8192),
                fault_tolerance=v.get("fault_tolerance", False), directpath=v.get("directpath", False),
                shared_disk=v.get("shared_disk", False), vsphere_pod=v.get("vsphere_pod", False))
        world.vms[vm.id] = vm
    return host


def _generate(ctx: dict[str, Any], dc: Datacenter, gen: dict[str, Any], where: str) -> None:
    """Many identical clusters from a compact description (the fleet and rolling scenarios)."""
    cname = gen.get("cluster_name", "Cluster-{c:02d}")
    hname = gen.get("host_name", "esxi-{c:02d}-{h:02d}.lab.local")
    vname = gen.get("vm_name", "vm-{c:02d}-{h:02d}-{v:02d}")
    for c in range(1, gen["clusters"] + 1):
        hosts = []
        for h in range(1, gen["hosts_per_cluster"] + 1):
            hosts.append({
                "name": hname.format(c=c, h=h), "installed_image": gen["installed_image"],
                "cpu_mhz": gen.get("cpu_mhz", 64000), "memory_mb": gen.get("memory_mb", 524288),
                "vms": [{"name": vname.format(c=c, h=h, v=v), "cpu_mhz": gen.get("vm_cpu_mhz", 2000),
                         "memory_mb": gen.get("vm_memory_mb", 8192)} for v in range(1, gen.get("vms_per_host", 0) + 1)],
            })
        spec = {"name": cname.format(c=c), "desired_image": gen["desired_image"], "hosts": hosts}
        spec.update({k: gen[k] for k in ("drs", "ha", "vsan", "policies", "last_apply") if k in gen})
        _cluster(ctx, dc, spec, f"{where} (cluster {c})")
