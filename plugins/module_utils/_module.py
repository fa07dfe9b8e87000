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
import re
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    MissingLibraryError,
    OptionError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._inventory import Inventory
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import ConnectionParams, RestClient
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import (
    Selection,
    check_options,
    resolve,
)

REQUIRED_CONNECTION_OPTIONS = (("hostname", "VMWARE_HOST"), ("username", "VMWARE_USER"), ("password", "VMWARE_PASSWORD"))
PORT_RANGE = (1, 65535)
DEFAULT_TASK_POLL_MAX = 10.0   # seconds: the longest pause between two reads of a running task (option task_poll_max)
MAX_TASK_POLL_MAX = 60.0


def _without_userinfo(value: str) -> str:
    """``value`` with any ``user:password@`` part masked (a URL given as host name may carry credentials)."""
    return re.sub(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/@]*@", lambda m: (m.group(1) or "") + "***@", value)


def _split_host_port(value: str) -> tuple[str, str | None]:
    """('vc01', '8443') for 'vc01:8443' or '[fe80::1]:8443'; (value, None) when there is no port (IPv6 literals)."""
    bracketed = re.fullmatch(r"(\[[^\]]*\])(?::(\d*))?", value)
    if bracketed:
        return bracketed.group(1), bracketed.group(2)
    if value.count(":") == 1:
        host, port = value.split(":")
        return host, port
    return value, None


def hostname_problem(value: str) -> str | None:
    """Why ``value`` cannot be the vCenter host name (a URL, a path, a port, user info, spaces), or None.

    Plain names, IPv4 and IPv6 literals (with or without brackets) pass. The message never repeats
    a ``user:password@`` part.
    """
    label = "hostname (or VMWARE_HOST)"
    shown = _without_userinfo(value)
    if not value.strip():
        return f"{label} is empty: give the name or address of vCenter, e.g. vcenter.example.com"
    if "://" in value:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(value)
            host, port = parts.hostname, parts.port
        except ValueError:
            host, port = None, None
        hint = f" ('{host}')" if host else ""
        port_hint = f"port: {port} (or VMWARE_PORT)" if port else "port separately (port / VMWARE_PORT; default 443)"
        return (f"{label} '{shown}' is a URL: give the host name only{hint}, without https:// or a path; "
                f"set {port_hint}")
    if "@" in value:
        return (f"{label} '{shown}' contains '@': give the host name only; set username and password "
                "separately (username / VMWARE_USER, password / VMWARE_PASSWORD)")
    if "/" in value or "\\" in value:
        return f"{label} '{shown}' contains a path: give the host name only (no '/'), e.g. vcenter.example.com"
    if any(c.isspace() for c in value):
        return f"{label} {value!r} contains white space: give the host name only, e.g. vcenter.example.com"
    host, port = _split_host_port(value)
    if port is not None:
        port_hint = f"port: {port} (or VMWARE_PORT)" if port.isdigit() else "port separately (port / VMWARE_PORT)"
        return f"{label} '{value}' contains a port: give the host name only ('{host}') and set {port_hint}"
    return None


def connection_option_problems(params: dict[str, Any]) -> list[str]:
    """What is wrong with the connection options, one sentence each naming the option and the fix.

    Checked before the first call to vCenter; never repeats the password.
    """
    problems = []
    hostname = params.get("hostname")
    if hostname:
        problem = hostname_problem(str(hostname))
        if problem:
            problems.append(problem)
    username = params.get("username")
    if username and ":" in str(username):
        problems.append("username (or VMWARE_USER) contains ':', which HTTP basic authentication cannot carry: "
                        "give the user name only, e.g. administrator@vsphere.local")
    port = params.get("port")
    if port is not None and not PORT_RANGE[0] <= port <= PORT_RANGE[1]:
        problems.append(f"port (or VMWARE_PORT) is {port}: give the HTTPS port of vCenter, "
                        f"{PORT_RANGE[0]}-{PORT_RANGE[1]} (443 unless vCenter was set up otherwise)")
    timeout = params.get("timeout")
    if timeout is not None and timeout <= 0:
        problems.append(f"timeout is {timeout}: it is the number of seconds to wait for one HTTP response from "
                        "vCenter; give a positive number (default 60)")
    return problems


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


# How a module names what it acts on (see ``_target``): its options and the rules between them.
TARGET_FORMS = {
    "cluster_or_host": dict(hosts=False, defaults=False),          # cluster (+ datacenter) or a standalone host
    "hosts": dict(hosts=True, defaults=False),                     # ... and optionally some hosts of the cluster
    "policy": dict(hosts=False, defaults=True),                    # ... or the global cluster defaults
}
RESULT_KEY = {"cluster_or_host": "target", "hosts": "target", "policy": "scope"}   # where the result names it


def target_argument_spec(hosts: bool = True, defaults: bool = False) -> dict[str, Any]:
    """The target options, documented by doc fragments ``vsphere.lifecycle.target`` (+ ``.hosts``)."""
    spec: dict[str, Any] = dict(cluster=dict(type="str"), datacenter=dict(type="str"), host=dict(type="str"))
    if hosts:
        spec["hosts"] = dict(type="list", elements="str")
    if defaults:
        spec["defaults"] = dict(type="bool")
    return spec


def target_rules(hosts: bool = True, defaults: bool = False) -> dict[str, Any]:
    """AnsibleModule keyword arguments that go with :func:`target_argument_spec`.

    Only presence rules; empty and null names are refused by ``_target.check_options`` (an option given as
    null counts as present for AnsibleModule).
    """
    choices = ("cluster", "host", "defaults") if defaults else ("cluster", "host")
    rules: dict[str, Any] = dict(mutually_exclusive=[choices], required_one_of=[choices])
    if hosts:
        rules["mutually_exclusive"].append(("hosts", "host"))
        rules["required_by"] = {"hosts": "cluster"}
    return rules


class VcenterModule:
    """Wraps AnsibleModule: connection and target options, checks before any call, lazy clients closed at exit.

    ``target`` is one of :data:`TARGET_FORMS` for a module that acts on a cluster or host (None otherwise);
    ``positive`` names integer options that must be > 0 (task waits). A module fills :attr:`result` as it goes
    (``changed`` as soon as it changed something): a failure reports those keys too, so nothing it did is lost.
    """

    def __init__(self, argument_spec: dict[str, Any] | None = None, *, target: str | None = None,
                 positive: tuple[str, ...] = ("wait_timeout",), **kwargs: Any) -> None:
        spec = vcenter_argument_spec()
        self._target_form = TARGET_FORMS[target] if target else None
        self._target_key = RESULT_KEY.get(target or "", "target")
        if self._target_form is not None:
            spec.update(target_argument_spec(**self._target_form))
            for key, value in target_rules(**self._target_form).items():
                kwargs[key] = list(kwargs.get(key) or []) + value if isinstance(value, list) else \
                    {**(kwargs.get(key) or {}), **value}
        spec.update(argument_spec or {})
        if "wait_timeout" in spec:
            # every module that waits on vCenter tasks: how often it reads a running one (doc fragment task_poll)
            spec.setdefault("task_poll_max", dict(type="float", default=DEFAULT_TASK_POLL_MAX))
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params: dict[str, Any] = self.module.params
        self.result: dict[str, Any] = {"changed": False}
        self._rest: RestClient | None = None
        self._soap: Any = None
        self._inventory: Inventory | None = None
        self._selection: Selection | None = None
        self._check_options(positive)

    def _check_options(self, positive: tuple[str, ...]) -> None:
        """Every option checked before the first call to vCenter; a bad one fails naming it and the fix."""
        missing = [f"{name} (or environment variable {env})" for name, env in REQUIRED_CONNECTION_OPTIONS
                   if not self.params.get(name)]
        if missing:
            self.module.fail_json(msg="missing required connection option(s): " + ", ".join(missing)
                                      + "; set them as module options (module_defaults) or in the environment, "
                                        "as the AWX/AAP VMware credential does")
        problems = connection_option_problems(self.params)
        if problems:
            self.module.fail_json(msg="invalid connection option(s), nothing was sent to vCenter: "
                                      + "; ".join(problems))
        for name in positive:
            value = self.params.get(name)
            if value is not None and value <= 0:
                self.module.fail_json(msg=f"{name} must be a positive number of seconds (got {value}): it is how long "
                                          "to wait for the vCenter task before giving up", option=name)
        poll_max = self.params.get("task_poll_max")
        if poll_max is not None and not 0 < poll_max <= MAX_TASK_POLL_MAX:
            self.module.fail_json(msg=f"task_poll_max is {poll_max}: give the longest pause between two reads of a "
                                      f"running vCenter task in seconds, more than 0 and at most {MAX_TASK_POLL_MAX:g} "
                                      f"(default {DEFAULT_TASK_POLL_MAX:g}); nothing was sent to vCenter",
                                  option="task_poll_max")
        if self._target_form is not None:
            try:
                check_options(self.params, hosts_option=self._target_form["hosts"],
                              defaults_option=self._target_form["defaults"])
            except OptionError as exc:
                self.module.fail_json(msg=exc.message, **_safe_details(exc.details))
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

    @property
    def diff_mode(self) -> bool:
        """Whether the user asked for ``--diff`` (or ``diff: true``)."""
        return bool(self.module._diff)  # noqa: SLF001 - AnsibleModule exposes --diff only this way

    def warn(self, message: str) -> None:
        self.module.warn(message)

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
            self._rest = RestClient(self.connection_params(), task_poll_max=self.params.get("task_poll_max"))
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

    def target(self) -> Selection:
        """The target the options name, resolved once (the first REST calls of a run)."""
        if self._selection is None:
            if self._target_form is None:
                raise ValueError("this module has no target options")
            self._selection = resolve(self.inventory, self.params, defaults_option=self._target_form["defaults"])
            self.result.setdefault(self._target_key, self._selection.target.as_result())
        return self._selection

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

    def run(self, func: Callable[[VcenterModule], dict[str, Any] | None]) -> NoReturn:
        """Run the module body; exit with its result or with a clean failure. Always closes the clients.

        The failure result carries :attr:`result` (what the run had done and found), the error's details, and
        ``changed: true`` when either says something changed.
        """
        try:
            try:
                returned = func(self)
            except MissingLibraryError as exc:
                self.fail(missing_required_lib(exc.library), exception=exc.exception, **self._failure_fields(exc))
            except VsphereError as exc:
                self.fail(exc.message, error=type(exc).__name__, **self._failure_fields(exc))
            except Exception as exc:  # noqa: BLE001 - a bug must still end as a clean failure
                lost = _lost_connection(exc)
                if lost is not None:
                    address = f"{self.params.get('hostname')}:{self.params.get('port')}"
                    self.fail(f"a SOAP (vSphere API) call to vCenter {address} failed: {lost} (vCenter unavailable "
                              "or the connection lost). What this run did before is in the result; check vCenter's "
                              "recent tasks and the hosts' maintenance mode, then run the task again",
                              error="ConnectionFailure", **self._failure_fields(None))
                # the traceback of a bug only with -vvv (where Ansible shows it); never by default
                verbose = getattr(self.module, "_verbosity", 0) >= 3
                self.fail(f"unexpected error (please report it): {type(exc).__name__}: {exc}",
                          **({"exception": traceback.format_exc()} if verbose else {}), **self._failure_fields(None))
            result = {**self.result, **(returned or {})}
            result["changed"] = bool(result.get("changed"))
            self.close()
            self.module.exit_json(**result)
        finally:
            self.close()
        raise SystemExit(0)  # pragma: no cover

    def _failure_fields(self, exc: VsphereError | None) -> dict[str, Any]:
        fields = _safe_details(self.result)
        if exc is not None:
            fields.update(_safe_details(exc.details))
        fields["changed"] = bool(self.result.get("changed") or (exc is not None and exc.changed))
        return fields


def _lost_connection(exc: BaseException) -> str | None:
    """The reason when ``exc`` is a connection lost under pyVmomi (its ``vim.fault.HostConnectFault`` for a reset
    or a closed connection, or the socket error itself), else None."""
    import http.client

    if type(exc).__name__.rsplit(".", 1)[-1] == "HostConnectFault":     # pyVmomi: "vim.fault.HostConnectFault"
        return str(getattr(exc, "msg", "") or "connection closed")
    if isinstance(exc, (ConnectionError, TimeoutError, http.client.HTTPException)):
        return f"{type(exc).__name__}: {exc}"
    return None


def _safe_details(details: dict[str, Any]) -> dict[str, Any]:
    # details are plain data chosen by the raising code; keep them out of reserved result keys
    reserved = {"msg", "changed", "failed", "exception", "warnings", "deprecations", "invocation"}
    return {k: v for k, v in details.items() if k not in reserved}
