"""Offline bundles (the ZIP of `export_offline_bundle`, what `depots/offline` imports) and the VIB payloads.

Layout, as ESXi offline bundles (depots) have it:

    index.xml                          vendor list -> vendor-index.xml
    vendor-index.xml                   vendor index -> metadata.zip
    metadata.zip                       vendor-index.xml, vmware.xml (the bulletin list),
                                       bulletins/<component>_<version>.xml (one component each: componentNameSpec,
                                       componentVersionSpec, vendor, category, urgency, release date, vibList),
                                       vibs/<vib id>.xml (relative-path, size, sha-256 checksum),
                                       baseimages/<release id>.json, addons/<release id>.json (release units:
                                       versionSpec, nameSpec, vendor, components)
    vib20/<component>/<vib id>.vib     the payloads: small generated `ar` archives (descriptor.xml, sig.pkcs7,
                                       payload), as VIBs are
    SHA256SUMS                         `sha256sum -c` manifest of every other file

Everything is deterministic (fixed ZIP timestamps, sorted entries), so the same image exports to the same bytes.
Import checks the index files, the metadata, and every VIB against its sha-256 checksum.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from ..core.clock import iso, parse_iso
from ..model import DepotAddOn, DepotBaseImage, DepotComponent, Image, World
from .images import effective_components

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
VENDOR_CODE = "vmw"


class BundleError(ValueError):
    """Not an offline bundle, or a damaged one; the message says what is wrong."""


@dataclass
class Bundle:
    base_images: list[DepotBaseImage] = field(default_factory=list)
    add_ons: list[DepotAddOn] = field(default_factory=list)
    components: list[DepotComponent] = field(default_factory=list)
    file_name: str = "metadata.zip"
    vendor: str = VENDOR_CODE


def vendor_code(vendor: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", vendor).upper()
    return (letters[:3] or "VMW") if not vendor.lower().startswith("vmware") else "VMW"


def vib_id(comp: DepotComponent) -> str:
    return f"{vendor_code(comp.vendor)}_bootbank_{comp.name}_{comp.version}"


def _ar(members: list[tuple[str, bytes]]) -> bytes:
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        out += f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode()
        out += data + (b"\n" if len(data) % 2 else b"")
    return bytes(out)


def vib_payload(comp: DepotComponent) -> bytes:
    """A small VIB (ar archive with descriptor.xml, sig.pkcs7 and a generated payload) for a component."""
    descriptor = (f'<vib version="5.0"><type>bootbank</type><name>{escape(comp.name)}</name>'
                  f'<version>{escape(comp.version)}</version><vendor>{escape(comp.vendor)}</vendor>'
                  f'<summary>{escape(comp.display_name)}</summary><release-date>{iso(comp.release_date)}'
                  f'</release-date><acceptance-level>certified</acceptance-level></vib>\n').encode()
    seed = hashlib.sha256(f"{comp.name}\0{comp.version}".encode()).digest()
    payload = seed * 32                           # 1 KiB, distinct per component version
    return _ar([("descriptor.xml", descriptor), ("sig.pkcs7", b""), (comp.name[:15].lower(), payload)])


def _component(world: World, name: str, version: str, vendor_hint: str = "VMware, Inc.") -> DepotComponent:
    for c in world.depot.components:
        if c.name == name and c.version == version:
            return c
    return DepotComponent(name=name, version=version, display_name=name, vendor=vendor_hint,
                          display_version=version, release_date=0.0)


def image_content(world: World, image: Image) -> tuple[DepotBaseImage | None, DepotAddOn | None,
                                                       list[DepotComponent]]:
    """The depot records an image is made of: base image, add-on, every effective component (caller holds lock)."""
    base = next((b for b in world.depot.base_images if b.version == image.base_image), None)
    addon = next((a for a in world.depot.add_ons if (a.name, a.version) == image.add_on), None)
    comps = []
    for name, (version, _source) in sorted(effective_components(world, image).items()):
        if version is not None and _source != "HARDWARE_SUPPORT_PACKAGE":
            comps.append(_component(world, name, version, addon.vendor if addon and name in addon.components
                                    else "VMware, Inc."))
    return base, addon, comps


def _bulletin(comp: DepotComponent) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<bulletin>\n'
            f'  <id>{escape(comp.name)}_{escape(comp.version)}</id>\n'
            f'  <vendor>{escape(comp.vendor)}</vendor>\n'
            f'  <summary>{escape(comp.summary or comp.display_name)}</summary>\n'
            f'  <severity>{escape(comp.urgency.lower())}</severity>\n'
            f'  <category>{escape(comp.category.lower())}</category>\n'
            f'  <releaseType>patch</releaseType>\n'
            f'  <releaseDate>{iso(comp.release_date)}</releaseDate>\n'
            f'  <kbUrl>{escape(comp.kb)}</kbUrl>\n'
            f'  <componentNameSpec name={quoteattr(comp.name)} uiString={quoteattr(comp.display_name)}/>\n'
            f'  <componentVersionSpec version={quoteattr(comp.version)} '
            f'uiString={quoteattr(comp.display_version or comp.version)}/>\n'
            f'  <vibList><vibID>{escape(vib_id(comp))}</vibID></vibList>\n'
            f'</bulletin>\n').encode()


def _vib_xml(comp: DepotComponent, path: str, data: bytes) -> bytes:
    return (f'<vib><id>{escape(vib_id(comp))}</id><name>{escape(comp.name)}</name>'
            f'<version>{escape(comp.version)}</version><vendor>{escape(comp.vendor)}</vendor>'
            f'<relative-path>{escape(path)}</relative-path><packed-size>{len(data)}</packed-size>'
            f'<checksum checksum-type="sha-256">{hashlib.sha256(data).hexdigest()}</checksum></vib>\n').encode()


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, entries[name])
    return buf.getvalue()


def _release_json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def build_bundle(world: World, image: Image, esx_version: str) -> bytes:
    """The offline bundle ZIP holding an image's base image, add-on and components (caller holds lock)."""
    base, addon, comps = image_content(world, image)
    meta: dict[str, bytes] = {}
    files: dict[str, bytes] = {}
    bulletin_ids = []
    for comp in comps:
        payload = vib_payload(comp)
        path = f"vib20/{comp.name}/{vib_id(comp)}.vib"
        files[path] = payload
        meta[f"bulletins/{comp.name}_{comp.version}.xml"] = _bulletin(comp)
        meta[f"vibs/{vib_id(comp)}.xml"] = _vib_xml(comp, path, payload)
        bulletin_ids.append(f"{comp.name}_{comp.version}")
    if base is not None:
        meta[f"baseimages/ESXi_{base.version}.json"] = _release_json({
            "releaseID": f"ESXi_{base.version}", "releaseType": "baseImage", "category": base.category.lower(),
            "vendor": "VMware, Inc.", "summary": base.summary, "docURL": base.kb,
            "releaseDate": iso(base.release_date), "versionSpec": {"version": base.version,
                                                                   "uiString": base.display_version},
            "displayName": base.display_name, "components": dict(sorted(base.components.items())),
            "quickPatchCompatibleVersions": dict(sorted(base.quick_patch_compatible_versions.items()))})
    if addon is not None:
        meta[f"addons/{addon.name}_{addon.version}.json"] = _release_json({
            "releaseID": f"{addon.name}_{addon.version}", "releaseType": "addon", "category": addon.category.lower(),
            "vendor": addon.vendor, "summary": addon.summary, "docURL": addon.kb,
            "releaseDate": iso(addon.release_date),
            "nameSpec": {"name": addon.name, "uiString": addon.display_name},
            "versionSpec": {"version": addon.version, "uiString": addon.display_version or addon.version},
            "components": dict(sorted(addon.components.items()))})
    vendor_index = (f'<?xml version="1.0" encoding="utf-8"?>\n<vendorIndex>\n  <vendor>VMware, Inc.</vendor>\n'
                    f'  <vendorCode>{VENDOR_CODE}</vendorCode>\n  <metadata>\n    <productId>embeddedEsx</productId>\n'
                    f'    <version>{escape(esx_version)}</version>\n    <url>metadata.zip</url>\n'
                    f'  </metadata>\n</vendorIndex>\n').encode()
    meta["vendor-index.xml"] = vendor_index
    meta["vmware.xml"] = ('<?xml version="1.0" encoding="utf-8"?>\n<metadataResponse>\n  <version>3.0</version>\n'
                          + "".join(f"  <bulletin><id>{escape(b)}</id></bulletin>\n" for b in bulletin_ids)
                          + "</metadataResponse>\n").encode()
    files["metadata.zip"] = _zip(meta)
    files["vendor-index.xml"] = vendor_index
    files["index.xml"] = (f'<?xml version="1.0" encoding="utf-8"?>\n<vendorList>\n  <vendor>\n'
                          f'    <name>VMware, Inc.</name>\n    <code>{VENDOR_CODE}</code>\n'
                          f'    <indexfile>vendor-index.xml</indexfile>\n    <patchUrl></patchUrl>\n'
                          f'    <relativePath></relativePath>\n    <content>\n      <name>VMware ESXi</name>\n'
                          f'      <type>http://www.vmware.com/depotmanagement/esx</type>\n    </content>\n'
                          f'  </vendor>\n</vendorList>\n').encode()
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n"
                                  for n in sorted(files)).encode()
    return _zip(files)


# --------------------------------------------------------------------------- import


def _xml(data: bytes, what: str) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise BundleError(f"{what} is not valid XML: {exc}") from exc


def _text(el: ET.Element, tag: str, default: str = "") -> str:
    found = el.find(tag)
    return (found.text or "").strip() if found is not None and found.text else default


def _date(value: str) -> float:
    try:
        return parse_iso(value) if value else 0.0
    except ValueError:
        return 0.0


_CATEGORIES = {"SECURITY", "ENHANCEMENT", "BUGFIX", "RECALL", "RECALL_FIX", "INFO", "MISC", "GENERAL"}
_URGENCIES = {"CRITICAL", "IMPORTANT", "MODERATE", "LOW", "GENERAL"}


def parse_bundle(data: bytes) -> Bundle:
    """What an offline bundle holds; BundleError if it is not one or a payload does not match its checksum."""
    try:
        outer = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BundleError("the file is not a ZIP archive") from exc
    names = set(outer.namelist())
    for required in ("index.xml", "vendor-index.xml", "metadata.zip"):
        if required not in names:
            raise BundleError(f"{required} is missing: not an offline bundle")
    _xml(outer.read("index.xml"), "index.xml")
    _xml(outer.read("vendor-index.xml"), "vendor-index.xml")
    try:
        meta = zipfile.ZipFile(io.BytesIO(outer.read("metadata.zip")))
    except zipfile.BadZipFile as exc:
        raise BundleError("metadata.zip is not a ZIP archive") from exc
    bundle = Bundle()
    for name in sorted(meta.namelist()):
        if name.startswith("vibs/") and name.endswith(".xml"):
            vib = _xml(meta.read(name), name)
            path = _text(vib, "relative-path")
            checksum = vib.find("checksum")
            if path not in names:
                raise BundleError(f"VIB {_text(vib, 'id')}: payload {path} is missing")
            want = (checksum.text or "").strip() if checksum is not None else ""
            if hashlib.sha256(outer.read(path)).hexdigest() != want:
                raise BundleError(f"VIB {_text(vib, 'id')}: {path} does not match its sha-256 checksum")
        elif name.startswith("bulletins/") and name.endswith(".xml"):
            b = _xml(meta.read(name), name)
            name_spec, ver_spec = b.find("componentNameSpec"), b.find("componentVersionSpec")
            if name_spec is None or ver_spec is None:
                continue              # a pre-7.0 bulletin without a component: not a component
            cat = _text(b, "category", "enhancement").upper()
            urg = _text(b, "severity", "moderate").upper()
            bundle.components.append(DepotComponent(
                name=name_spec.get("name", ""), version=ver_spec.get("version", ""),
                display_name=name_spec.get("uiString") or name_spec.get("name", ""),
                vendor=_text(b, "vendor", "VMware, Inc."),
                display_version=ver_spec.get("uiString") or ver_spec.get("version", ""),
                release_date=_date(_text(b, "releaseDate")), category=cat if cat in _CATEGORIES else "GENERAL",
                urgency=urg if urg in _URGENCIES else "GENERAL", summary=_text(b, "summary"),
                kb=_text(b, "kbUrl", "https://kb.vmware.com")))
        elif name.startswith(("baseimages/", "addons/")) and name.endswith(".json"):
            try:
                rel = json.loads(meta.read(name))
                ver = rel["versionSpec"]
                if name.startswith("baseimages/"):
                    bundle.base_images.append(DepotBaseImage(
                        version=ver["version"], display_name=rel.get("displayName", "ESXi"),
                        display_version=ver.get("uiString", ver["version"]),
                        release_date=_date(rel.get("releaseDate", "")), components=dict(rel.get("components") or {}),
                        quick_patch_compatible_versions=dict(rel.get("quickPatchCompatibleVersions") or {}),
                        category=str(rel.get("category", "enhancement")).upper(), summary=rel.get("summary", ""),
                        kb=rel.get("docURL", "https://kb.vmware.com")))
                else:
                    ns = rel["nameSpec"]
                    bundle.add_ons.append(DepotAddOn(
                        name=ns["name"], version=ver["version"], display_name=ns.get("uiString", ns["name"]),
                        vendor=rel.get("vendor", ""), components=dict(rel.get("components") or {}),
                        display_version=ver.get("uiString", ver["version"]),
                        release_date=_date(rel.get("releaseDate", "")),
                        category=str(rel.get("category", "enhancement")).upper(), summary=rel.get("summary", ""),
                        kb=rel.get("docURL", "https://kb.vmware.com")))
            except (ValueError, KeyError, TypeError) as exc:
                raise BundleError(f"{name}: not a release unit document ({exc})") from exc
    if not (bundle.components or bundle.base_images or bundle.add_ons):
        raise BundleError("metadata.zip lists no component, base image or add-on")
    return bundle
