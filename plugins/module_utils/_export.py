# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Export of a desired image (``POST {target}/software?action=export``) into a file. Knows nothing of Ansible.

The bindings' ``Software.export(cluster|host, ExportSpec)`` returns "a map from export type to URL of the exported
data for that type" (``SOFTWARE_SPEC``, ``ISO_IMAGE``, ``OFFLINE_BUNDLE``); the file is downloaded with the same
session (:meth:`RestClient.download`). The API offers no checksum of an export, so whether a file changed is
known only from its bytes: the download goes to a temporary file next to the destination while its SHA-256 is
computed, and replaces the destination only when that differs from the destination's SHA-256 (check mode hashes
the stream without writing anything).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import ApiError, ConnectionFailure
from ansible_collections.vsphere.lifecycle.plugins.module_utils._files import (
    AtomicFile,
    Dest,
    HashSink,
    Progress,
    file_info,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import DOWNLOAD_CHUNK, Client
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

# format option -> (export type of the answer, ExportSpec flag)
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("SOFTWARE_SPEC", "export_software_spec"),
    "zip": ("OFFLINE_BUNDLE", "export_offline_bundle"),
    "iso": ("ISO_IMAGE", "export_iso_image"),
}


def export_spec(fmt: str) -> dict[str, bool]:
    """ExportSpec asking for one format; the three flags are required fields of the binding."""
    flag = FORMATS[fmt][1]
    return {name: name == flag for _kind, name in FORMATS.values()}


def export_url(client: Client, target: Target, fmt: str) -> str:
    """``POST {target}/software?action=export`` for one format -> the download URL vCenter returned."""
    kind = FORMATS[fmt][0]
    answer = client.post(f"{target.base}/software", params={"action": "export"}, json=export_spec(fmt))
    url = answer.get(kind) if isinstance(answer, Mapping) else None
    if not isinstance(url, str) or not url:
        got = ", ".join(sorted(answer)) if isinstance(answer, Mapping) and answer else "nothing"
        raise ApiError(f"export of {target.label}: vCenter returned no {kind} URL (returned: {got})",
                       method="POST", path=f"{target.base}/software?action=export")
    return url


def remote_name(url: str) -> str:
    """The file name vCenter gives an export: the ``file`` query value of its download URL
    (``.../vum-filedownload/download?file=SOFTWARE_SPEC_1310523462.json``), else the last path segment."""
    parts = urlsplit(url)
    names = parse_qs(parts.query).get("file")
    if names and names[0]:
        return names[0]
    return parts.path.rstrip("/").rsplit("/", 1)[-1]


def export_to_file(client: Any, target: Target, fmt: str, dest: Dest, *, check_mode: bool,
                   emit: Callable[[str], None] | None = None, chunk: int = DOWNLOAD_CHUNK) -> dict[str, Any]:
    """Export the desired image of ``target`` as ``fmt`` into ``dest``; returns the result keys.

    ``changed`` is whether the file's content changed (or, in check mode, would change). Whatever fails, the
    destination keeps what it had (see :class:`AtomicFile`).
    """
    kind = FORMATS[fmt][0]
    url = export_url(client, target, fmt)
    name = remote_name(url)
    path = dest.path(name)
    before = file_info(path)
    progress = Progress(f"{kind} {name}", emit=emit)
    try:
        if check_mode:
            sink = HashSink()
            info = client.download(url, sink, chunk=chunk, on_progress=progress)
            changed = before is None or before["sha256"] != info["sha256"]
        else:
            with AtomicFile(path) as tmp:
                info = client.download(url, tmp, chunk=chunk, on_progress=progress)
                changed = before is None or before["sha256"] != info["sha256"]
                if changed:
                    tmp.commit()
    except ConnectionFailure as exc:
        kept = "kept its previous content" if before else "was not created"
        raise type(exc)(f"{kind} {name}: {exc.message}. {path} {kept} (no partial file)", **exc.details) from None
    progress.finish(info["size"])
    after = {"path": path, "sha256": info["sha256"], "size": info["size"]}
    return {
        "changed": changed,
        "path": path,
        "sha256": info["sha256"],
        "size": info["size"],
        "format": fmt,
        "export_type": kind,
        "file_name": name,
        "progress": progress.lines,
        "diff": {"before": before or {}, "after": after},
    }
