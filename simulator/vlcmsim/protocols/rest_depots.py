"""REST (/api) handlers of image export (`esx/settings/{clusters,hosts}/{id}/software?action=export`) and of
offline depots (`esx/settings/depots/offline`: create as a task, list, get, delete as a task or the deprecated
record-only delete, `{depot}/content`)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..vlcm import depots
from ..vlcm.export import export
from ..vlcm.targets import resolve
from .http import Ctx, Router, json_response, no_content
from .rest import respond_task

D = "/esx/settings/depots/offline"


def export_image(ctx: Ctx) -> Response:
    kind, key = ("cluster", "cluster") if "cluster" in ctx.params else ("host", "host")
    t = resolve(ctx.world, kind, ctx.params[key])
    spec = ctx.spec({"export_software_spec", "export_iso_image", "export_offline_bundle", "export_only_default_image",
                     "skip_reserved_vibs_export"})
    return json_response(export(ctx.world, t, spec, ctx.request.host_url))


def create_depot(ctx: Ctx) -> Response:
    spec = ctx.spec({"authentication_spec", "description", "source_type", "location", "file_id", "ownerdata"})
    return respond_task(ctx, lambda: depots.start_create(ctx.world, spec, ctx.user, ctx.request.host_url))


def list_depots(ctx: Ctx) -> Response:
    return json_response(depots.listing(ctx.world))


def get_depot(ctx: Ctx) -> Response:
    return json_response(depots.info(ctx.world, ctx.params["depot"]))


def delete_depot(ctx: Ctx) -> Response:
    spec = ctx.spec({"force"})
    if ctx.task_mode:
        return respond_task(ctx, lambda: depots.start_delete(ctx.world, ctx.params["depot"], spec, ctx.user))
    depots.delete_record(ctx.world, ctx.params["depot"], spec)
    return no_content()


def depot_content(ctx: Ctx) -> Response:
    return json_response(depots.content(ctx.world, ctx.params["depot"]))


def register(router: Router) -> None:
    router.add("POST", "/esx/settings/clusters/{cluster}/software", export_image, action="export")
    router.add("POST", "/esx/settings/hosts/{host}/software", export_image, action="export")
    router.add("POST", D, create_depot)
    router.add("GET", D, list_depots)
    router.add("GET", f"{D}/{{depot}}", get_depot)
    router.add("DELETE", f"{D}/{{depot}}", delete_depot)
    router.add("GET", f"{D}/{{depot}}/content", depot_content)
