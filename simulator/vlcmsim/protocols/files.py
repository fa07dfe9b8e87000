"""vCenter's update manager file service, outside /api: downloads of exported images and uploads of files
for `depots/offline` and `import-software-spec` with source PUSH.

- `GET|HEAD /vum-filedownload/download?file=NAME`: an exported file (vlcm/export.py). vCenter serves these on
  port 9084 (`http://VC:9084/vum-filedownload/download?file=SOFTWARE_SPEC_1310523462.json`); the simulator
  serves them on its own port, over HTTPS, and only to a logged-in client: header `vmware-api-session-id`, or a
  cookie `vmware-api-session-id` or `vmware_soap_session` naming a live session; otherwise 401.
- `POST /vum-fileupload`: the "file upload endpoint present on vCenter appliance ... at
  https://VCENTERFQDN:9087/vum-fileupload" that the bindings' `SourceType.PUSH` names; neither the bindings nor
  API.md define its request or reply, so the simulator's are its own choice: the body is the file (raw, or the
  first file part of a multipart/form-data body), the reply `200` with the file id as a JSON string. The id is
  the `file_id` of `depots/offline` CreateSpec and of `drafts` ImportSpec.
"""

from __future__ import annotations

import uuid

from werkzeug.wrappers import Request, Response

from ..core.errors import vapi_error
from ..core.sessions import get_session
from ..model import World
from ..vlcm.export import DOWNLOAD_PATH, content_type, find
from .http import error_response, json_response

UPLOAD_PATH = "/vum-fileupload"
MAX_UPLOAD = 512 * 1024 * 1024


def handles(path: str) -> bool:
    return path == DOWNLOAD_PATH or path.rstrip("/") == UPLOAD_PATH


def _authenticated(world: World, request: Request) -> bool:
    for sid in (request.headers.get("vmware-api-session-id"), request.cookies.get("vmware-api-session-id"),
                request.cookies.get("vmware_soap_session", "").strip('"')):
        if sid and get_session(world, sid) is not None:
            return True
    return False


def _unauthenticated() -> Response:
    return error_response(vapi_error("UNAUTHENTICATED", "Authentication required: send the session id "
                                     "(header vmware-api-session-id) to download or upload files.",
                                     "com.vmware.vapi.endpoint.method.authentication.required"))


def handle(world: World, request: Request) -> Response:
    path = request.path
    if path == DOWNLOAD_PATH:
        if request.method not in ("GET", "HEAD"):
            return error_response(vapi_error("NOT_FOUND", f"No operation is found at {request.method} {path}."))
        if not _authenticated(world, request):
            return _unauthenticated()
        name = request.args.get("file", "")
        f = find(world, name)
        if f is None:
            return error_response(vapi_error("NOT_FOUND", f"No exported file {name!r}.", args=[name]))
        if request.method == "GET":
            with world.lock:
                world.counters.export_downloads += 1
        resp = Response(f.data if request.method == "GET" else b"", mimetype=content_type(f.kind))
        resp.headers["Content-Length"] = str(len(f.data))
        resp.headers["Content-Disposition"] = f'attachment; filename="{f.name}"'
        return resp
    if request.method != "POST":
        return error_response(vapi_error("NOT_FOUND", f"No operation is found at {request.method} {path}."))
    if not _authenticated(world, request):
        return _unauthenticated()
    if (request.content_length or 0) > MAX_UPLOAD:
        return error_response(vapi_error("INVALID_ARGUMENT", f"The file is larger than {MAX_UPLOAD} bytes."))
    if request.mimetype == "multipart/form-data":
        part = next(iter(request.files.values()), None)
        if part is None:
            return error_response(vapi_error("INVALID_ARGUMENT", "The multipart body has no file part."))
        data = part.read()
    else:
        data = request.get_data()
    if not data:
        return error_response(vapi_error("INVALID_ARGUMENT", "The upload is empty."))
    file_id = str(uuid.uuid4())
    with world.lock:
        world.images.uploads[file_id] = data
    return json_response(file_id)
