"""REST (/api) handlers of software drafts, for clusters (`esx/settings/clusters/{cluster}/software/drafts`) and
standalone hosts (`esx/settings/hosts/{host}/software/drafts`): create, list (FilterSpec `owners`), get, delete,
`import-software-spec`, `validate` / `scan` / `commit` (tasks), and the draft's software: base image, add-on,
components (set, delete, PATCH update, get, list), removed components, hardware support (clusters only, as the
bindings have it)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..core.errors import VapiError
from ..model import Image
from ..vlcm import drafts
from ..vlcm.depots import FetchError, fetch
from ..vlcm.images import add_on_info, base_image_info, effective_components
from ..vlcm.targets import Target, resolve
from .http import Ctx, Router, json_response, no_content
from .rest import respond_task

C = "/esx/settings/clusters/{cluster}/software/drafts"
H = "/esx/settings/hosts/{host}/software/drafts"


def _target(ctx: Ctx) -> Target:
    if "cluster" in ctx.params:
        return resolve(ctx.world, "cluster", ctx.params["cluster"])
    return resolve(ctx.world, "host", ctx.params["host"])


def _draft(ctx: Ctx) -> tuple[Target, str]:
    return _target(ctx), ctx.params["draft"]


def create(ctx: Ctx) -> Response:
    return json_response(drafts.create(ctx.world, _target(ctx), ctx.user), 201)


def list_drafts(ctx: Ctx) -> Response:
    owners = set(ctx.query_list("owners") or [])
    return json_response(drafts.listing(ctx.world, _target(ctx), owners or None))


def get_draft(ctx: Ctx) -> Response:
    return json_response(drafts.info(ctx.world, *_draft(ctx)))


def delete_draft(ctx: Ctx) -> Response:
    drafts.delete(ctx.world, *_draft(ctx))
    return no_content()


def import_spec(ctx: Ctx) -> Response:
    t = _target(ctx)
    allowed = {"source_type", "location", "file_id", "software_spec"} | ({"display_name"} if ctx.world.is_91 else set())
    spec = ctx.spec(allowed)
    source = spec.get("source_type")
    world = ctx.world
    if source in drafts.RECOMMENDATIONS:
        # ImportSpec docstring: NotFound "if ... a recommendation does not exist for the cluster"
        raise VapiError("NOT_FOUND", f"No recommendation exists for {t.name} (recommendations are not generated "
                                     "by this simulator).", f"{drafts.MSG}.RecommendationNotFound", [t.id])
    document: bytes | str
    if source == "PULL":
        location = spec.get("location")
        if not isinstance(location, str) or not location:
            raise VapiError("INVALID_ARGUMENT", "ImportSpec.location is required when source_type is PULL.")
        try:
            document = fetch(world, location, ctx.request.host_url)
        except FetchError as exc:
            raise VapiError("ERROR", f"The software specification cannot be read: {exc}",
                            f"{drafts.MSG}.SoftwareSpecInaccessible", [location]) from exc
    elif source == "PUSH":
        file_id = spec.get("file_id")
        with world.lock:
            data = world.images.uploads.get(file_id) if isinstance(file_id, str) else None
        if data is None:
            raise VapiError("ERROR", f"No uploaded file has the id {file_id!r}.", f"{drafts.MSG}.InvalidFileId",
                            [str(file_id)])
        document = data
    elif source == "JSON_STRING":
        document = spec.get("software_spec")
        if not isinstance(document, str):
            raise VapiError("INVALID_ARGUMENT", "ImportSpec.software_spec is required when source_type is "
                                                "JSON_STRING.")
    else:
        raise VapiError("INVALID_ARGUMENT", f"ImportSpec.source_type {source!r} is not one of PULL, PUSH, "
                                            f"JSON_STRING, {', '.join(drafts.RECOMMENDATIONS)}.", args=["source_type"])
    return json_response(drafts.import_image(world, t, ctx.user, document))


def validate(ctx: Ctx) -> Response:
    t, d = _draft(ctx)
    return respond_task(ctx, lambda: drafts.start_validate(ctx.world, t, d, ctx.user))


def scan(ctx: Ctx) -> Response:
    t, d = _draft(ctx)
    return respond_task(ctx, lambda: drafts.start_scan(ctx.world, t, d, ctx.user))


def commit(ctx: Ctx) -> Response:
    t, d = _draft(ctx)
    spec = ctx.spec({"message", "orchestrator"})
    return respond_task(ctx, lambda: drafts.start_commit(ctx.world, t, d, spec, ctx.user))


# --------------------------------------------------------------------------- the draft's software


def get_base_image(ctx: Ctx) -> Response:
    return json_response(base_image_info(ctx.world, drafts.get_base_image(ctx.world, *_draft(ctx))))


def set_base_image(ctx: Ctx) -> Response:
    drafts.set_base_image(ctx.world, *_draft(ctx), ctx.body())
    return no_content()


def get_add_on(ctx: Ctx) -> Response:
    return json_response(add_on_info(ctx.world, drafts.get_add_on(ctx.world, *_draft(ctx))))


def set_add_on(ctx: Ctx) -> Response:
    drafts.set_add_on(ctx.world, *_draft(ctx), ctx.body())
    return no_content()


def delete_add_on(ctx: Ctx) -> Response:
    drafts.delete_add_on(ctx.world, *_draft(ctx))
    return no_content()


def list_components(ctx: Ctx) -> Response:
    return json_response(drafts.list_components(ctx.world, *_draft(ctx)))


def get_component(ctx: Ctx) -> Response:
    return json_response(drafts.get_component(ctx.world, *_draft(ctx), ctx.params["component"]))


def set_component(ctx: Ctx) -> Response:
    drafts.set_component(ctx.world, *_draft(ctx), ctx.params["component"], ctx.body())
    return no_content()


def delete_component(ctx: Ctx) -> Response:
    drafts.delete_component(ctx.world, *_draft(ctx), ctx.params["component"])
    return no_content()


def update_components(ctx: Ctx) -> Response:
    drafts.update_components(ctx.world, *_draft(ctx), ctx.body() if ctx.body() is not None else {})
    return no_content()


def list_effective(ctx: Ctx) -> Response:
    """EffectiveComponentInfo by component; `?with-removed-components` adds the components the user removed,
    with `image_customization_action` REMOVED (API 8.0.3)."""
    t, d = _draft(ctx)
    world = ctx.world
    with_removed = "with-removed-components" in ctx.request.args
    with world.lock:
        image = drafts.resolved(world, drafts.get(world, t, d).image)
        provided = effective_components(world, Image(image.base_image, image.add_on))
        rows = dict(effective_components(world, image))
        if with_removed:
            rows.update({n: provided[n] for n in image.removed_components if n in provided})
        out: dict[str, Any] = {}
        for name, (ver, source) in sorted(rows.items()):
            comp = next((c for c in world.depot.components if (c.name, c.version) == (name, ver)), None)
            details: dict[str, Any] = {
                "display_name": comp.display_name if comp else name,
                "display_version": (comp.display_version if comp else "") or (ver or ""),
                "vendor": comp.vendor if comp else "", "source": source, "overridden_components": [],
                "removable": source in ("BASE_IMAGE", "ADD_ON")}
            if name in image.removed_components and with_removed:
                details["image_customization_action"] = "REMOVED"
            out[name] = {"version": ver or "", "details": details}
    return json_response(out)


def get_hardware_support(ctx: Ctx) -> Response:
    return json_response(drafts.get_hardware_support(ctx.world, *_draft(ctx)))


def set_hardware_support(ctx: Ctx) -> Response:
    drafts.set_hardware_support(ctx.world, *_draft(ctx), ctx.body())
    return no_content()


def delete_hardware_support(ctx: Ctx) -> Response:
    drafts.delete_hardware_support(ctx.world, *_draft(ctx))
    return no_content()


def list_removed(ctx: Ctx) -> Response:
    return json_response(drafts.list_removed(ctx.world, *_draft(ctx)))


def get_removed(ctx: Ctx) -> Response:
    return json_response(drafts.get_removed(ctx.world, *_draft(ctx), ctx.params["component"]))


def set_removed(ctx: Ctx) -> Response:
    drafts.set_removed(ctx.world, *_draft(ctx), ctx.params["component"])
    return no_content()


def delete_removed(ctx: Ctx) -> Response:
    drafts.delete_removed(ctx.world, *_draft(ctx), ctx.params["component"])
    return no_content()


def register(router: Router) -> None:
    for base in (C, H):
        d = f"{base}/{{draft}}"
        sw = f"{d}/software"
        router.add("POST", base, create)
        router.add("GET", base, list_drafts)
        router.add("POST", base, import_spec, action="import-software-spec")
        router.add("GET", d, get_draft)
        router.add("DELETE", d, delete_draft)
        router.add("POST", d, validate, action="validate")
        router.add("POST", d, scan, action="scan")
        router.add("POST", d, commit, action="commit")
        router.add("GET", f"{sw}/base-image", get_base_image)
        router.add("PUT", f"{sw}/base-image", set_base_image)
        router.add("GET", f"{sw}/add-on", get_add_on)
        router.add("PUT", f"{sw}/add-on", set_add_on)
        router.add("DELETE", f"{sw}/add-on", delete_add_on)
        router.add("GET", f"{sw}/components", list_components)
        router.add("PATCH", f"{sw}/components", update_components)
        router.add("GET", f"{sw}/components/{{component}}", get_component)
        router.add("PUT", f"{sw}/components/{{component}}", set_component)
        router.add("DELETE", f"{sw}/components/{{component}}", delete_component)
        router.add("GET", f"{sw}/effective-components", list_effective)
        router.add("GET", f"{sw}/removed-components", list_removed)
        router.add("GET", f"{sw}/removed-components/{{component}}", get_removed)
        router.add("PUT", f"{sw}/removed-components/{{component}}", set_removed)
        router.add("DELETE", f"{sw}/removed-components/{{component}}", delete_removed)
    sw = f"{C}/{{draft}}/software"
    router.add("GET", f"{sw}/hardware-support", get_hardware_support)
    router.add("PUT", f"{sw}/hardware-support", set_hardware_support)
    router.add("DELETE", f"{sw}/hardware-support", delete_hardware_support)
