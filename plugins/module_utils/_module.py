# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module base: connection options, lazy clients, clean failures, logout at exit.

Every module of the collection does::

    def main():
        module = VcenterModule(argument_spec=dict(...), supports_check_mode=True)
        module.run(lambda m: {...result...})

``run`` turns every error (login refused, TLS verification, vCenter errors, task failures,
unknown names, bugs) into ``fail_json`` with no traceback and nothing secret, and logs the
REST session out (and disconnects SOAP, if it was ever opened) before the module exits.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    MissingLibraryError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._inventory import Inventory
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import ConnectionParams, RestClient

REQUIRED_CONNECTION_OPTIONS = (("hostname", "VMWARE_HOST"), ("username", "VMWARE_USER"), ("password", "VMWARE_PASSWORD"))


def vcenter_argument_spec() -> dict[str, Any]:
    """The connection options every module takes; documented one-to-one by doc fragment ``vsphere.lifecycle.vcenter``."""
    return dict(
        # required, but checked by VcenterModule (not by AnsibleModule) so that the error can name the
        # environment variable too, and so that linters do not demand options the environment supplies
        hostname=dict(type="str", fallback=(env_fallback, ["VMWARE_HOST"])),
        username=dict(type="str", aliases=["user"], fallback=(env_fallback, ["VMWARE_USER"])),
        password=dict(type="str", no_log=True, aliases=["pass", "pwd"],
                      fallback=(env_fallback, ["VMWARE_PASSWORD"])),
        port=dict(type="int", default=443, fallback=(env_fallback, ["VMWARE_PORT"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["VMWARE_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["VMWARE_CA_PATH"])),
        timeout=dict(type="int", default=60),
    )


def target_argument_spec(hosts: bool = True) -> dict[str, Any]:
    """The target options: ``cluster`` (+ ``datacenter``), ``hosts`` within it, or a standalone ``host``."""
    spec: dict[str, Any] = dict(cluster=dict(type="str"), datacenter=dict(type="str"), host=dict(type="str"))
    if hosts:
        spec["hosts"] = dict(type="list", elements="str")
    return spec


def target_rules(hosts: bool = True) -> dict[str, Any]:
    """AnsibleModule keyword arguments that go with :func:`target_argument_spec`."""
    rules: dict[str, Any] = dict(mutually_exclusive=[("cluster", "host")], required_one_of=[("cluster", "host")])
    if hosts:
        rules["mutually_exclusive"].append(("hosts", "host"))
        rules["required_by"] = {"hosts": "cluster"}
    return rules


class VcenterModule:
    """Wraps AnsibleModule: adds the connection options, creates clients on first use, closes them at exit."""

    def __init__(self, argument_spec: dict[str, Any] | None = None, **kwargs: Any) -> None:
        spec = vcenter_argument_spec()
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params: dict[str, Any] = self.module.params
        self._rest: RestClient | None = None
        self._soap: Any = None
        self._inventory: Inventory | None = None
        missing = [f"{name} (or environment variable {env})" for name, env in REQUIRED_CONNECTION_OPTIONS
                   if not self.params.get(name)]
        if missing:
            self.module.fail_json(msg="missing required connection option(s): " + ", ".join(missing)
                                      + "; set them as module options (module_defaults) or in the environment, "
                                        "as the AWX/AAP VMware credential does")
        if not self.params["validate_certs"]:
            self.module.warn(
                f"validate_certs is false: the certificate of vCenter {self.params['hostname']} is not verified. "
                "Set ca_path to its CA bundle and validate_certs: true outside of labs."
            )
        ca_path = self.params.get("ca_path")
        if ca_path and not os.path.isfile(ca_path):
            self.module.fail_json(msg=f"ca_path '{ca_path}' is not a readable file: give the PEM bundle of the CA "
                                      "that signed the vCenter certificate")

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    def connection_params(self) -> ConnectionParams:
        p = self.params
        return ConnectionParams(
            hostname=p["hostname"],
            username=p["username"],
            password=p["password"],
            port=p["port"],
            validate_certs=p["validate_certs"],
            ca_path=p.get("ca_path") if p["validate_certs"] else None,
            timeout=float(p["timeout"]),
        )

    @property
    def rest(self) -> RestClient:
        """The REST client of this run (created on first use; login happens on the first call)."""
        if self._rest is None:
            self._rest = RestClient(self.connection_params())
        return self._rest

    @property
    def soap(self) -> Any:
        """The pyVmomi client of this run; only modules that need SOAP touch this."""
        if self._soap is None:
            from ansible_collections.vsphere.lifecycle.plugins.module_utils._soap import SoapClient

            self._soap = SoapClient(self.connection_params())
        return self._soap

    @property
    def inventory(self) -> Inventory:
        if self._inventory is None:
            self._inventory = Inventory(self.rest)
        return self._inventory

    def close(self) -> None:
        """Log out of REST and disconnect SOAP; safe to call more than once."""
        if self._rest is not None:
            self._rest.close()
        if self._soap is not None:
            self._soap.close()

    def fail(self, msg: str, **kwargs: Any) -> NoReturn:
        self.close()
        self.module.fail_json(msg=msg, **kwargs)
        raise SystemExit(1)  # pragma: no cover - fail_json exits

    def run(self, func: Callable[[VcenterModule], dict[str, Any]]) -> NoReturn:
        """Run the module body; exit with its result or with a clean failure. Always closes the clients."""
        try:
            try:
                result = func(self)
            except MissingLibraryError as exc:
                self.fail(missing_required_lib(exc.library), exception=exc.exception)
            except VsphereError as exc:
                self.fail(exc.message, error=type(exc).__name__, **_safe_details(exc.details))
            except Exception as exc:  # noqa: BLE001 - a bug must still end as a clean failure
                # the traceback of a bug only with -vvv (where Ansible shows it); never by default
                verbose = getattr(self.module, "_verbosity", 0) >= 3
                self.fail(f"unexpected error (please report it): {type(exc).__name__}: {exc}",
                          **({"exception": traceback.format_exc()} if verbose else {}))
            result.setdefault("changed", False)
            self.close()
            self.module.exit_json(**result)
        finally:
            self.close()
        raise SystemExit(0)  # pragma: no cover


def _safe_details(details: dict[str, Any]) -> dict[str, Any]:
    # details are plain data chosen by the raising code; keep them out of reserved result keys
    reserved = {"msg", "changed", "failed", "exception", "warnings", "deprecations", "invocation"}
    return {k: v for k, v in details.items() if k not in reserved}
