"""`software?action=export`: the desired image of a cluster or standalone host as a software specification
(JSON), an offline bundle (ZIP) or an installable ISO image, each stored and served for download.

`Software.export` returns "A map from export type to URL of the exported data for that type". vCenter serves
the files from its update manager file service, `http://VC:9084/vum-filedownload/download?file=SOFTWARE_SPEC_
1310523462.json` (an answer quoted in the Terraform vSphere provider's vLCM code); the simulator serves the same
path on its own port and scheme, and asks for the session like every other call (see protocols/files.py).
File names are `<EXPORT_TYPE>_<number>.<ext>` as vCenter's are; the number comes from the content's SHA-256,
and the content is deterministic, so exporting the same image again gives the same URL and the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import hashlib
import io
import re
import tarfile
import time
from typing import Any

from ..core.errors import VapiError
from ..core.iso9660 import build_iso
from ..model import ExportFile, Image, World
from .bundles import build_bundle, image_content, vib_id, vib_payload
from .softspec import spec_json
from .targets import Target, desired_commit

DOWNLOAD_PATH = "/vum-filedownload/download"
KINDS = {"SOFTWARE_SPEC": ("export_software_spec", "json", "application/json"),
         "ISO_IMAGE": ("export_iso_image", "iso", "application/x-iso9660-image"),
         "OFFLINE_BUNDLE": ("export_offline_bundle", "zip", "application/zip")}


def content_type(kind: str) -> str:
    return KINDS[kind][2]


def _module_names(comps: list[Any]) -> dict[str, str]:
    """8.3 ISO module names per component (ESXi ISOs carry one module per VIB, e.g. I40EN.V00)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for comp in comps:
        stem = re.sub(r"[^A-Z0-9_]", "_", comp.name.upper())[:8].rstrip("_") or "MODULE"
        n = 0
        while f"{stem}.V{n:02d}" in used:
            n += 1
        used.add(f"{stem}.V{n:02d}")
        out[comp.name] = f"{stem}.V{n:02d}"
    return out


def _tgz(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode, info.uname, info.gname = len(files[name]), 0, 0o644, "root", "root"
            tar.addfile(info, io.BytesIO(files[name]))
    return gzip.compress(raw.getvalue(), mtime=0)


def build_iso_image(world: World, image: Image) -> bytes:
    """An installable-looking ESXi ISO: BOOT.CFG, one module per component, IMGDB.TGZ with the image's spec
    and VIB descriptors (caller holds lock)."""
    base, _addon, comps = image_content(world, image)
    modules = _module_names(comps)
    files: dict[str, bytes] = {modules[c.name]: vib_payload(c) for c in comps}
    files["IMGDB.TGZ"] = _tgz({"var/db/esximg/profiles/software-spec.json": spec_json(image),
                               **{f"var/db/esximg/vibs/{vib_id(c)}.xml": (
                                   f"<vib><id>{vib_id(c)}</id><name>{c.name}</name><version>{c.version}</version>"
                                   f"<module>{modules[c.name]}</module></vib>\n").encode() for c in comps}})
    mods = " --- ".join(f"/{m.lower()}" for m in ["IMGDB.TGZ", *sorted(modules.values())])
    files["BOOT.CFG"] = (f"bootstate=0\ntitle=Loading ESXi installer\ntimeout=5\nprefix=\nkernel=/b.b00\n"
                         f"kernelopt=runweasel cdromBoot\nmodules={mods}\nbuild={image.base_image}\n"
                         f"updated=0\n").encode()
    when = _dt.datetime.fromtimestamp(base.release_date if base else 0, tz=_dt.UTC)
    volume = re.sub(r"[^A-Z0-9_]", "_", f"ESXI_{image.base_image}".upper())[:32]
    return build_iso(volume, files, (max(when.year, 1970), when.month, when.day, when.hour, when.minute, when.second))


def _build(world: World, kind: str, image: Image) -> bytes:
    if kind == "SOFTWARE_SPEC":
        return spec_json(image)
    if kind == "OFFLINE_BUNDLE":
        return build_bundle(world, image, image.base_image.split("-")[0] or world.vcenter_version)
    return build_iso_image(world, image)


def export(world: World, target: Target, spec: dict[str, Any], base_url: str) -> dict[str, str]:
    """ExportSpec -> {export type: download URL}; the files are stored for /vum-filedownload."""
    allowed = {"export_software_spec", "export_iso_image", "export_offline_bundle"}
    if world.is_91:   # export_only_default_image (API 9.0, clusters only), skip_reserved_vibs_export (API 9.1)
        allowed |= {"skip_reserved_vibs_export"} | ({"export_only_default_image"} if target.kind == "cluster" else set())
    for key, value in spec.items():
        if key not in allowed:
            raise VapiError("INVALID_ARGUMENT", f"ExportSpec.{key} is not a field of this vCenter's API "
                                                f"(fields: {', '.join(sorted(allowed))}).", args=[key])
        if not isinstance(value, bool):
            raise VapiError("INVALID_ARGUMENT", f"ExportSpec.{key}: true or false is required.", args=[key])
    for key in ("export_software_spec", "export_iso_image", "export_offline_bundle"):
        if key not in spec:
            raise VapiError("INVALID_ARGUMENT", f"ExportSpec.{key} is required.", args=[key])
    with world.lock:
        image = desired_commit(world, target).image.copy()
        out: dict[str, str] = {}
        for kind, (flag, ext, _mime) in KINDS.items():
            if not spec[flag]:
                continue
            data = _build(world, kind, image)
            digest = hashlib.sha256(data).hexdigest()
            name = f"{kind}_{int(digest[:8], 16)}.{ext}"
            world.images.exports[name] = ExportFile(name=name, kind=kind, data=data, sha256=digest,
                                                    target=target.id, created=time.time())
            out[kind] = f"{base_url.rstrip('/')}{DOWNLOAD_PATH}?file={name}"
        return out


def find(world: World, name: str) -> ExportFile | None:
    with world.lock:
        return world.images.exports.get(name)


def state(world: World) -> list[dict[str, Any]]:
    """/sim/state `exports` (caller holds lock)."""
    return [{"name": f.name, "kind": f.kind, "target": f.target, "size": len(f.data), "sha256": f.sha256}
            for f in world.images.exports.values()]
