"""SOAP envelopes for /sdk, encoded and decoded by pyVmomi itself.

Decoding: the request envelope is parsed with expat; the called method is looked up with
`VmomiSupport.GetWsdlMethod("urn:vim25", name)` and every parameter element is handed to
pyVmomi's `SoapDeserializer`, which builds the typed object (specs, morefs, enums...).
Encoding: the result goes through `SoapSerializer` with the method's result type as
`<returnval>` (`WireSerializer`: a reference in an `xsd:anyType` slot is typed
`ManagedObjectReference` as vCenter sends it, not pyVmomi's client-side `ManagedObject`;
property values arrive already in their declared types, see `soap_types.wire_value`); errors are soapenv:Fault responses whose detail is the vmodl fault, exactly
as pyVmomi's client expects (it raises the typed fault).  No data XML is written by hand.
The wire version is the client's (SOAPAction `urn:vim25/8.0.3.0`), capped at the server's.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ParserCreate

import werkzeug
from pyVmomi import SoapAdapter, VmomiSupport
from pyVmomi.SoapAdapter import (
    NS_SEP,
    SOAP_NSMAP,
    XMLNS_SOAPENV,
    ExpatDeserializerNSHandlers,
    GetHandlers,
    SetHandlers,
    SoapDeserializer,
    SoapSerializer,
)

from ..model import World
from .soap_values import api_version

VIM_NS = "urn:vim25"
_XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


# --------------------------------------------------------------------------- versions
def server_version_name(world: World) -> str:
    """pyVmomi version name ('vim.version.v8_0_3_0') of the simulated vCenter."""
    return VmomiSupport.GetVersionFromVersionUri(f"vim25/{api_version(world.vcenter_version)}")


def request_version(request: werkzeug.Request, world: World) -> str:
    server = server_version_name(world)
    action = request.headers.get("SOAPAction", "").strip().strip('"')
    if action.startswith("urn:"):
        try:
            version = VmomiSupport.GetVersionFromVersionUri(action[len("urn:"):])
        except KeyError:
            return server
        if version and VmomiSupport.IsChildVersion(server, version):
            return version
    return server


def service_versions_xml(world: World) -> str:
    """vimServiceVersions.xml: the server's vim25 version and the older ones it accepts."""
    server = server_version_name(world)
    current = VmomiSupport.versionIdMap[server]
    prior = []
    for name in VmomiSupport.GetServiceVersions("vim25"):
        vid = VmomiSupport.versionIdMap.get(name, "")
        if name != server and vid and vid[0].isdigit() and VmomiSupport.IsChildVersion(server, name):
            prior.append(vid)
    lines = ['<?xml version="1.0" encoding="UTF-8" ?>', '<namespaces version="1.0">', " <namespace>",
             "  <name>urn:vim25</name>", f"  <version>{current}</version>", "  <priorVersions>"]
    lines += [f"   <version>{v}</version>" for v in prior]
    lines += ["  </priorVersions>", " </namespace>", "</namespaces>", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- decoding
class SoapParseError(Exception):
    """The body is not a SOAP request (InvalidRequest: "Unable to parse the SOAP request: ...")."""


class BadThis(SoapParseError):
    """The `_this` element names no known managed object type (InvalidRequest with this message)."""


@dataclass
class Call:
    name: str                    # wsdl method name, e.g. "RetrievePropertiesEx"
    info: Any                    # pyVmomi method info (None for the Fetch accessor)
    this: Any                    # the _this managed object
    args: dict[str, Any]


# the property accessor pyVmomi uses for `obj.prop` (not a WSDL method)
_FETCH_PARAM = VmomiSupport.Object(name="prop", type=str, version="vmodl.version.version0", flags=0)


class _RequestDecoder(ExpatDeserializerNSHandlers):
    """Expat handlers for <Envelope><Body><Method><_this/><param/>...</Method></Body>."""

    def __init__(self, version: str) -> None:
        super().__init__()
        self.version = version
        self.depth = 0
        self.in_body = False
        self.method: str | None = None
        self.method_ns = ""
        self.info: Any = None
        self.params: dict[str, Any] = {}
        self.args: dict[str, Any] = {}
        self.this: Any = None
        self.parser: Any = None
        self.deser: SoapDeserializer | None = None
        self.pending: tuple[str, Any] | None = None   # (param name, is list) being deserialised

    def parse(self, data: bytes) -> Call:
        parser = ParserCreate(namespace_separator=NS_SEP)
        parser.buffer_text = True
        self.parser = parser
        SetHandlers(parser, GetHandlers(self))
        parser.Parse(data, True)
        if not self.method:
            raise SoapParseError("no method element in the SOAP body")
        if self.pending is not None:
            self._finish_param()
        return Call(name=self.method, info=self.info, this=self.this, args=self.args)

    @staticmethod
    def _split(tag: str) -> tuple[str, str]:
        ns, _, name = tag.rpartition(NS_SEP)
        return ns, name

    def StartElementHandler(self, tag: str, attr: dict[str, str]) -> None:  # noqa: N802 - expat API
        if self.pending is not None:
            self._finish_param()
        self.depth += 1
        ns, name = self._split(tag)
        if self.depth == 2 and ns == XMLNS_SOAPENV and name == "Body":
            self.in_body = True
            return
        if not self.in_body:
            return
        if self.depth == 3:
            self.method, self.method_ns = name, ns or VIM_NS
            if name == "Fetch":
                self.params = {"prop": _FETCH_PARAM}
            else:
                try:
                    self.info = VmomiSupport.GetWsdlMethod(self.method_ns, name).info
                except KeyError:
                    self.info = None
                    self.params = {}
                else:
                    self.params = {p.name: p for p in self.info.params}
            return
        if self.depth == 4:
            if name == "_this":
                _check_this_type(self.method or "", attr.get("type", ""))
                typ: Any = VmomiSupport.ManagedObject
                is_list = False
            elif name in self.params:
                typ = self.params[name].type
                is_list = issubclass(typ, list)
                if is_list:
                    typ = typ.Item
            else:
                raise SoapParseError(f"unexpected parameter '{name}' for method {self.method}")
            self.deser = SoapDeserializer(version=self.version)
            self.deser.Deserialize(self.parser, typ, False, self.nsMap)
            self.pending = (name, is_list)
            self.depth -= 1   # the deserializer sees this element's end tag
            self.deser.StartElementHandler(tag, attr)

    def _finish_param(self) -> None:
        assert self.pending is not None and self.deser is not None
        name, is_list = self.pending
        value = self.deser.GetResult()
        self.pending = None
        self.deser = None
        if name == "_this":
            self.this = value
        elif is_list:
            self.args.setdefault(name, []).append(value)
        else:
            self.args[name] = value

    def EndElementHandler(self, tag: str) -> None:  # noqa: N802 - expat API
        if self.pending is not None:
            self._finish_param()
        self.depth -= 1

    def CharacterDataHandler(self, data: str) -> None:  # noqa: N802 - expat API
        pass


def _check_this_type(method: str, type_name: str) -> None:
    """A `_this` must name a managed object type: `<_this type="PropertyCollector">...</_this>`."""
    wsdl = type_name.rpartition(":")[2].strip()
    if not wsdl:
        raise BadThis(f"The request's _this element (method {method}) has no managed object type: "
                      'a managed object reference is <_this type="TYPE">MOID</_this>')
    try:
        cls = VmomiSupport.GetWsdlType(VIM_NS, wsdl)
    except KeyError:
        cls = None
    if cls is None or not issubclass(cls, VmomiSupport.ManagedObject):
        raise BadThis(f"The request's _this element (method {method}) names '{wsdl}', "
                      "which is not a managed object type")


def parse_request(data: bytes, version: str) -> Call:
    call = _RequestDecoder(version).parse(data)
    if call.this is None:
        raise BadThis(f"The request for method {call.name} has no _this element (the managed object it is "
                      "called on)")
    if call.info is not None:
        for p in call.info.params:
            if issubclass(p.type, list) and p.name in call.args:
                call.args[p.name] = p.type(call.args[p.name])
    return call


# --------------------------------------------------------------------------- encoding
def _ns_map(version: str) -> dict[str, str]:
    ns = SOAP_NSMAP.copy()
    ns[VmomiSupport.GetWsdlNamespace(version)] = ""
    return ns


def _envelope(inner: str) -> str:
    return (_XML_HEADER + SoapAdapter.SOAP_ENVELOPE_START + SoapAdapter.SOAP_BODY_START + "\n"
            + inner + "\n" + SoapAdapter.SOAP_BODY_END + SoapAdapter.SOAP_ENVELOPE_END)


class WireSerializer(SoapSerializer):
    """pyVmomi's serializer, naming a reference in an xsd:anyType slot `ManagedObjectReference`.

    pyVmomi (a client) writes `xsi:type="ManagedObject"` there and reads either name; vCenter
    writes `ManagedObjectReference`, the WSDL's name, and govmomi decodes nothing else (a
    host's `parent` would arrive as nil).  Arrays of references are already
    `ArrayOfManagedObjectReference` in pyVmomi.
    """

    def _QName(self, typ: Any, defNS: str) -> tuple[str, str]:  # noqa: N802,N803 - pyVmomi's names
        attr, qname = super()._QName(typ, defNS)
        if typ is VmomiSupport.ManagedObject:
            qname += "Reference"
        return attr, qname


def _serializer(writer: io.StringIO, version: str) -> SoapSerializer:
    ser = WireSerializer(writer, version, _ns_map(version))
    ser.outermostAttrs = ""      # pyVmomi's request-side versionId attribute; vCenter sends none
    return ser


def response_body(method: str, result: Any, info: Any, version: str) -> bytes:
    default_ns = VmomiSupport.GetWsdlNamespace(version)
    inner = [f'<{method}Response xmlns="{default_ns}">']
    if result is not None and info is not None:
        rinfo = VmomiSupport.Object(name="returnval", type=info.result, version=version,
                                    flags=info.resultFlags | VmomiSupport.F_OPTIONAL)
        writer = io.StringIO()
        _serializer(writer, version).Serialize(result, rinfo)
        inner.append(writer.getvalue())
    inner.append(f"</{method}Response>")
    return _envelope("".join(inner)).encode("utf-8")


def fault_response(fault: Any, version: str, cookies: list[str] | None = None) -> werkzeug.Response:
    """A soapenv:Fault carrying the vmodl fault in <detail>, status 500 (as vCenter)."""
    default_ns = VmomiSupport.GetWsdlNamespace(version)
    writer = io.StringIO()
    name = VmomiSupport.GetWsdlName(type(fault))
    info = VmomiSupport.Object(name=f"{name}Fault", type=object, version=version, flags=0)
    msg = fault.msg or name
    detail = copy.copy(fault)
    detail.msg = None            # the message travels in faultstring, as vCenter sends it
    _serializer(writer, version)._SerializeDataObject(detail, info, f' xmlns="{default_ns}"', default_ns)
    inner = ("<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
             f"<faultstring>{SoapAdapter.XmlEscape(msg)}</faultstring>"
             f"<detail>{writer.getvalue()}</detail></soapenv:Fault>")
    resp = werkzeug.Response(_envelope(inner).encode("utf-8"), status=500, content_type="text/xml; charset=utf-8")
    for header in cookies or []:
        resp.headers.add("Set-Cookie", header)
    return resp
