# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pyVmomi (SOAP ``/sdk``) client for what REST cannot do. Knows nothing of Ansible.

Opened only when a module asks for it: an explicit SSL context built from the same
connection options as REST, bulk reads through one PropertyCollector pass per question,
``Disconnect`` on close.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    AuthenticationError,
    ConnectionFailure,
    MissingLibraryError,
    SoapError,
    TLSVerificationError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import (
    ConnectionParams,
    connection_error_kind,
    tls_fix,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import ssl_context as _ssl_context

try:
    from pyVim.connect import Disconnect, SmartConnect
    from pyVmomi import vim, vmodl

    HAS_PYVMOMI = True
    PYVMOMI_IMPORT_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - exercised by the import sanity test
    HAS_PYVMOMI = False
    PYVMOMI_IMPORT_ERROR = str(exc)


def ssl_context(params: ConnectionParams) -> ssl.SSLContext:
    """The same trust as REST (``_rest.ssl_context``): ``ca_path`` when set, else the system trust store."""
    return _ssl_context(params)


class SoapClient:
    """Lazy pyVmomi connection; use :meth:`content` / :meth:`retrieve`, then :meth:`close`."""

    def __init__(self, params: ConnectionParams) -> None:
        if not HAS_PYVMOMI:
            raise MissingLibraryError("pyvmomi", PYVMOMI_IMPORT_ERROR)
        self.params = params
        self._si: Any = None
        self.logins = 0

    def __repr__(self) -> str:
        return f"SoapClient({self.params.hostname!r}, connected={self._si is not None})"

    @property
    def si(self) -> Any:
        if self._si is None:
            self._connect()
        return self._si

    def content(self) -> Any:
        return self.si.RetrieveContent()

    def api_version(self) -> str:
        """The vSphere API version vCenter reports (``about.apiVersion``, e.g. ``8.0.3.0``, ``9.1.0.0``)."""
        return str(self.content().about.apiVersion)

    def _connect(self) -> None:
        try:
            self._si = SmartConnect(
                host=self.params.hostname,
                user=self.params.username,
                pwd=self.params.password,
                port=self.params.port,
                sslContext=ssl_context(self.params),
                connectionPoolTimeout=-1,
            )
        except vim.fault.InvalidLogin:
            raise AuthenticationError(
                f"SOAP login to vCenter {self.params.hostname} as '{self.params.username}' was refused: "
                "check username and password"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise TLSVerificationError(
                f"TLS certificate verification of vCenter {self.params.hostname}:{self.params.port} failed: "
                f"{exc.verify_message or exc}. {tls_fix(str(exc.verify_message or exc), self.params)}"
            ) from None
        except (OSError, ConnectionError) as exc:
            address = f"{self.params.hostname}:{self.params.port}"
            kind = connection_error_kind(exc)
            hint = {"dns": "check hostname (or VMWARE_HOST) and that the node running the module can resolve it",
                    "refused": "nothing accepts connections there: check hostname and port (or VMWARE_HOST / "
                               "VMWARE_PORT) and that vCenter is running"}.get(
                kind, "check hostname and port (or VMWARE_HOST / VMWARE_PORT) and the network path to vCenter")
            raise ConnectionFailure(f"SOAP connection to vCenter {address} failed ({exc}): {hint}",
                                    address=address, connection_error=kind) from None
        self.logins += 1

    def retrieve(self, obj_type: Any, properties: Sequence[str], *, container: Any = None) -> list[dict[str, Any]]:
        """Every object of ``obj_type`` (a pyVmomi type or its vim name, e.g. ``"HostSystem"``) under ``container``
        (root folder by default) with ``properties``: :meth:`collect` for one type."""
        name = obj_type if isinstance(obj_type, str) else obj_type.__name__.rsplit(".", 1)[-1]
        return self.collect(container if container is not None else self.content().rootFolder, {name: properties})

    def ref(self, type_name: str, moid: str) -> Any:
        """A managed object reference of this connection (e.g. ``ref("ClusterComputeResource", "domain-c9")``)."""
        return getattr(vim, type_name)(moid, self.si._stub)

    def rows(self, objects: Sequence[Any], props: Sequence[Any], *, what: str) -> list[dict[str, Any]]:
        """One RetrievePropertiesEx of ``objects`` (ObjectSpecs) and ``props`` (PropertySpecs), continued with
        ContinueRetrievePropertiesEx; each row is ``{"type", "obj", "moid", <prop>: value}``. ``what`` names the
        read in the error of a fault."""
        pc = vmodl.query.PropertyCollector
        collector = self.content().propertyCollector
        rows: list[dict[str, Any]] = []
        try:
            result = collector.RetrievePropertiesEx([pc.FilterSpec(objectSet=list(objects), propSet=list(props))],
                                                    pc.RetrieveOptions())
            while result is not None:
                for obj in result.objects or []:
                    row: dict[str, Any] = {"type": type(obj.obj).__name__.rsplit(".", 1)[-1], "obj": obj.obj,
                                           "moid": obj.obj._moId}
                    for prop in obj.propSet or []:
                        row[prop.name] = prop.val
                    rows.append(row)
                if not result.token:
                    break
                result = collector.ContinueRetrievePropertiesEx(result.token)
        except vmodl.MethodFault as exc:
            raise SoapError(f"SOAP property read of {what} failed: {exc.msg}") from None
        return rows

    def collect(self, container: Any, properties: dict[str, Sequence[str]],
                container_properties: Sequence[str] = ()) -> list[dict[str, Any]]:
        """One PropertyCollector pass over several types inside ``container`` (recursive ContainerView), and
        ``container_properties`` of the container itself; each row is ``{"type", "obj", "moid", <prop>: value}``.

        E.g. a cluster's hosts and VMs and the cluster's own ``configurationEx`` in a single
        RetrievePropertiesEx (continued with ContinueRetrievePropertiesEx).
        """
        types = {name: getattr(vim, name) for name in properties}
        content = self.content()
        view = content.viewManager.CreateContainerView(container, list(types.values()), True)
        pc = vmodl.query.PropertyCollector
        try:
            traversal = pc.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
            objects = [pc.ObjectSpec(obj=view, skip=True, selectSet=[traversal])]
            props = [pc.PropertySpec(type=types[name], pathSet=list(paths), all=False)
                     for name, paths in properties.items()]
            if container_properties:
                objects.append(pc.ObjectSpec(obj=container, skip=False))
                props.append(pc.PropertySpec(type=type(container), pathSet=list(container_properties), all=False))
            return self.rows(objects, props, what=", ".join(properties))
        except vmodl.MethodFault as exc:
            raise SoapError(f"SOAP property read of {', '.join(properties)} failed: {exc.msg}") from None
        finally:
            try:
                view.Destroy()
            except Exception:  # noqa: BLE001
                pass

    def close(self) -> None:
        if self._si is None:
            return
        try:
            Disconnect(self._si)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
        finally:
            self._si = None
