"""REST (/api) handlers of esx/settings: cluster and standalone-host software (scan, compliance,
stage, check, apply, reports, commits, components), apply policies, global defaults,
enablement and depot content."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..core.clock import iso
from ..core.errors import VapiError
from ..vlcm.apply import apply_impact, last_apply_result, start_apply
from ..vlcm.check import last_check_result, start_check
from ..vlcm.compliance import cluster_compliance, start_scan
from ..vlcm.images import add_on_info, base_image_info, component_info, software_info, version_key
from ..vlcm.policies import effective_policies, get_policies, set_policies
from ..vlcm.stage import start_stage
from ..vlcm.targets import Target, commit_info, desired_commit, resolve
from .http import Ctx, Router, json_response, no_content
from .rest import respond_task

C = "/esx/settings/clusters/{cluster}"
H = "/esx/settings/hosts/{host}"


def _target(ctx: Ctx, operation: bool = False) -> Target:
    if "cluster" in ctx.params:
        return resolve(ctx.world, "cluster", ctx.params["cluster"], operation)
    return resolve(ctx.world, "host", ctx.params["host"], operation)


def _desired_image(ctx: Ctx) -> tuple[Target, Any]:
    t = _target(ctx)
    with ctx.world.lock:
        return t, desired_commit(ctx.world, t).image


# --------------------------------------------------------------------------- software


def get_software(ctx: Ctx) -> Response:
    if ctx.request.args.get("image") is not None:
        raise VapiError("NOT_FOUND", "Alternative (default) images are not modelled by this simulator.")
    _t, image = _desired_image(ctx)
    return json_response(software_info(ctx.world, image))


def get_base_image(ctx: Ctx) -> Response:
    _t, image = _desired_image(ctx)
    return json_response(base_image_info(ctx.world, image.base_image))


def get_add_on(ctx: Ctx) -> Response:
    t, image = _desired_image(ctx)
    if image.add_on is None:
        raise VapiError("NOT_FOUND", f"The desired image of {t.name} has no vendor add-on.")
    return json_response(add_on_info(ctx.world, image.add_on))


def list_components(ctx: Ctx) -> Response:
    _t, image = _desired_image(ctx)
    return json_response({n: component_info(ctx.world, n, v) for n, v in sorted(image.components.items())})


def get_component(ctx: Ctx) -> Response:
    _t, image = _desired_image(ctx)
    name = ctx.params["component"]
    if name not in image.components:
        return json_response(None)    # optional result: the component is not in the desired image
    return json_response(component_info(ctx.world, name, image.components[name]))


def get_hardware_support(ctx: Ctx) -> Response:
    _t, image = _desired_image(ctx)
    return json_response({"packages": {m: {"pkg": p, "version": v} for m, (p, v) in image.hardware_support.items()}})


def get_commit(ctx: Ctx) -> Response:
    return json_response(commit_info(ctx.world, _target(ctx), ctx.params["commit"]))


def get_compliance(ctx: Ctx) -> Response:
    return json_response(cluster_compliance(ctx.world, _target(ctx)))


def scan(ctx: Ctx) -> Response:
    t = _target(ctx)
    return respond_task(ctx, lambda: start_scan(ctx.world, t, ctx.user))


def stage(ctx: Ctx) -> Response:
    t = _target(ctx, operation=True)
    spec = ctx.spec({"commit", "hosts"} if t.kind == "cluster" else {"commit"})
    return respond_task(ctx, lambda: start_stage(ctx.world, t, spec, ctx.user))


def check(ctx: Ctx) -> Response:
    t = _target(ctx, operation=True)
    spec = ctx.spec({"commit", "hosts"} if t.kind == "cluster" else {"commit"})
    return respond_task(ctx, lambda: start_check(ctx.world, t, spec, ctx.user))


def apply(ctx: Ctx) -> Response:
    t = _target(ctx, operation=True)
    spec = ctx.spec({"commit", "hosts", "accept_eula"} if t.kind == "cluster" else {"commit", "accept_eula"})
    return respond_task(ctx, lambda: start_apply(ctx.world, t, spec, ctx.user))


def last_check(ctx: Ctx) -> Response:
    return json_response(last_check_result(ctx.world, _target(ctx)))


def last_apply(ctx: Ctx) -> Response:
    return json_response(last_apply_result(ctx.world, _target(ctx)))


def impact(ctx: Ctx) -> Response:
    return json_response(apply_impact(ctx.world, _target(ctx)))


# --------------------------------------------------------------------------- policies


def get_policy(ctx: Ctx) -> Response:
    return json_response(get_policies(ctx.world, _target(ctx)))


def set_policy(ctx: Ctx) -> Response:
    set_policies(ctx.world, _target(ctx), ctx.body() if ctx.body() is not None else {})
    return no_content()


def get_effective(ctx: Ctx) -> Response:
    return json_response(effective_policies(ctx.world, _target(ctx)))


def _defaults_kind(ctx: Ctx) -> str:
    return "host" if ctx.request.path.startswith("/api/esx/settings/defaults/hosts/") else "cluster"


def get_defaults(ctx: Ctx) -> Response:
    return json_response(get_policies(ctx.world, None, _defaults_kind(ctx)))


def set_defaults(ctx: Ctx) -> Response:
    set_policies(ctx.world, None, ctx.body() if ctx.body() is not None else {}, _defaults_kind(ctx))
    return no_content()


def get_defaults_effective(ctx: Ctx) -> Response:
    return json_response(effective_policies(ctx.world, None, _defaults_kind(ctx)))


# --------------------------------------------------------------------------- enablement, depot


def get_enablement(ctx: Ctx) -> Response:
    w = ctx.world
    with w.lock:
        if "cluster" in ctx.params:
            cid = ctx.params["cluster"]
            cl = w.clusters.get(cid)
            if cl is None:
                raise VapiError("NOT_FOUND", f"Cluster {cid} not found.", args=[cid])
            return json_response({"enabled": cl.image_managed})
        hid = ctx.params["host"]
        h = w.hosts.get(hid)
        if h is None:
            raise VapiError("NOT_FOUND", f"Host {hid} not found.", args=[hid])
        return json_response({"enabled": h.desired_commit is not None or
                              (h.cluster is not None and w.clusters[h.cluster].image_managed)})


def _min_ok(version: str, minimum: str | None) -> bool:
    return minimum is None or version_key(version) >= version_key(minimum)


def depot_base_images(ctx: Ctx) -> Response:
    minimum = (ctx.query_list("min_version") or [None])[0]
    with ctx.world.lock:
        out = []
        for b in ctx.world.depot.base_images:
            if not _min_ok(b.version, minimum):
                continue
            item: dict[str, Any] = {"display_name": b.display_name, "version": b.version,
                                    "display_version": b.display_version, "summary": b.summary,
                                    "category": b.category, "kb": b.kb, "release_date": iso(b.release_date)}
            if b.quick_patch_compatible_versions:
                item["quick_patch_compatible_versions"] = dict(b.quick_patch_compatible_versions)
            out.append(item)
    return json_response(out)


def _grouped(items: list[Any], ctx: Ctx, version_fields: Any) -> list[dict[str, Any]]:
    vendors, names, versions = (set(ctx.query_list(n) or []) for n in ("vendors", "names", "versions"))
    minimum = (ctx.query_list("min_version") or [None])[0]
    groups: dict[str, dict[str, Any]] = {}
    for it in items:
        if (vendors and it.vendor not in vendors) or (names and it.name not in names) \
                or (versions and it.version not in versions) or not _min_ok(it.version, minimum):
            continue
        g = groups.setdefault(it.name, {"name": it.name, "display_name": it.display_name, "vendor": it.vendor,
                                        "versions": []})
        g["versions"].append(version_fields(it))
    return list(groups.values())


def depot_add_ons(ctx: Ctx) -> Response:
    with ctx.world.lock:
        return json_response(_grouped(ctx.world.depot.add_ons, ctx, lambda a: {
            "version": a.version, "display_version": a.display_version or a.version, "summary": a.summary,
            "category": a.category, "kb": a.kb, "release_date": iso(a.release_date)}))


def depot_components(ctx: Ctx) -> Response:
    bundle = set(ctx.query_list("bundle_types") or [])
    w = ctx.world
    with w.lock:
        in_base = {n for b in w.depot.base_images for n in b.components}
        in_addon = {n for a in w.depot.add_ons for n in a.components}
        comps = [c for c in w.depot.components if not bundle or
                 ("BASE_IMAGE" if c.name in in_base else "ADD_ON" if c.name in in_addon else "INDEPENDENT") in bundle]
        return json_response(_grouped(comps, ctx, lambda c: {
            "version": c.version, "display_version": c.display_version or c.version, "summary": c.summary,
            "category": c.category, "urgency": c.urgency, "kb": c.kb, "release_date": iso(c.release_date)}))


def register(router: Router) -> None:
    for base in (C, H):
        router.add("GET", f"{base}/software", get_software)
        router.add("POST", f"{base}/software", scan, action="scan")
        router.add("POST", f"{base}/software", stage, action="stage")
        router.add("POST", f"{base}/software", check, action="check")
        router.add("POST", f"{base}/software", apply, action="apply")
        router.add("GET", f"{base}/software/compliance", get_compliance)
        router.add("GET", f"{base}/software/base-image", get_base_image)
        router.add("GET", f"{base}/software/add-on", get_add_on)
        router.add("GET", f"{base}/software/components", list_components)
        router.add("GET", f"{base}/software/components/{{component}}", get_component)
        router.add("GET", f"{base}/software/commits/{{commit}}", get_commit)
        router.add("GET", f"{base}/software/reports/last-check-result", last_check)
        router.add("GET", f"{base}/software/reports/last-apply-result", last_apply)
        router.add("GET", f"{base}/software/reports/apply-impact", impact)
        router.add("GET", f"{base}/policies/apply", get_policy)
        router.add("PUT", f"{base}/policies/apply", set_policy)
        router.add("GET", f"{base}/enablement/software", get_enablement)
    router.add("GET", f"{C}/software/hardware-support", get_hardware_support)
    router.add("GET", f"{C}/policies/apply/effective", get_effective)
    router.add("GET", f"{H}/policies/apply/effective", get_effective)
    for kind in ("clusters", "hosts"):
        router.add("GET", f"/esx/settings/defaults/{kind}/policies/apply", get_defaults)
        router.add("PUT", f"/esx/settings/defaults/{kind}/policies/apply", set_defaults)
        router.add("GET", f"/esx/settings/defaults/{kind}/policies/apply/effective", get_defaults_effective)
    router.add("GET", "/esx/settings/depot-content/base-images", depot_base_images)
    router.add("GET", "/esx/settings/depot-content/add-ons", depot_add_ons)
    router.add("GET", "/esx/settings/depot-content/components", depot_components)
