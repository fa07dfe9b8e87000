# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vcenter
short_description: Image-managed vCenter clusters and standalone hosts as inventory hosts, with their vLCM facts
version_added: 0.1.0
description:
  - One inventory host per image-managed cluster of vCenter (and per standalone image-managed ESXi host), with
    C(ansible_connection=local), so that a play with O(ignore:serial) and C(throttle) can work through the fleet
    cluster by cluster with the modules of this collection.
  - "Host variables: C(vlcm_cluster), C(vlcm_cluster_id), C(vlcm_datacenter), C(vlcm_image_managed),
    C(vlcm_host_count), C(vlcm_hosts), C(vlcm_drs_enabled), C(vlcm_drs_behavior), C(vlcm_ha_enabled),
    C(vlcm_ha_admission_control), C(vlcm_ha_admission_control_policy), C(vlcm_vsan), C(vlcm_compliance) (the
    status of the last compliance report, C(UNKNOWN) without one), C(vlcm_compliance_counts),
    C(vlcm_non_compliant_hosts), C(vlcm_scan_time), C(vlcm_desired_base_image),
    C(vlcm_desired_base_image_display), C(vlcm_desired_add_on). A standalone host has C(vlcm_host) and
    C(vlcm_host_id) and C(vlcm_cluster=null)."
  - "Groups: C(vlcm_clusters), C(vlcm_standalone_hosts), C(vlcm_dc_<datacenter>) and
    C(vlcm_compliance_<status>) (C(compliant), C(non_compliant), C(incompatible), C(unavailable), C(unknown)),
    names in lower case with other characters than letters, digits and C(_) as C(_). With
    O(hosts_as_members=true) also C(vlcm_cluster_<cluster>) with the ESXi hosts of each cluster and
    C(vlcm_esxi_hosts) with all of them."
  - The compliance comes from the last report vCenter keeps (no scan, which is a task); O(scan=true) scans each
    image-managed cluster and standalone host first.
  - DRS behaviour, HA admission control and vSAN come from one SOAP PropertyCollector pass over the clusters'
    C(configurationEx) (the REST API has only whether DRS and HA are enabled). Without pyVmomi they are left
    unset, with a warning.
  - Lists are read per datacenter (vCenter's list calls return at most 1000 items); an object vCenter refuses
    to show (HTTP 403) is left out with a warning. The REST session is logged out and the SOAP session
    disconnected before the plugin returns. The facts, and so the cache, hold no password or session id.
  - The inventory file name must end in C(.vcenter.yml) or C(.vcenter.yaml).
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; makes the file an inventory source of it.
    required: true
    type: str
    choices: [vsphere.lifecycle.vcenter]
  hostname:
    description: Name or address of vCenter.
    type: str
    env:
      - name: VMWARE_HOST
  username:
    description: User name to log in to vCenter with.
    type: str
    aliases: [user]
    env:
      - name: VMWARE_USER
  password:
    description:
      - Password of O(username). Prefer the environment variable or an Ansible Vault encrypted value to writing
        it in the file.
    type: str
    aliases: [pass, pwd]
    env:
      - name: VMWARE_PASSWORD
  port:
    description: HTTPS port of vCenter.
    type: int
    default: 443
    env:
      - name: VMWARE_PORT
  validate_certs:
    description: Verify the vCenter certificate (against O(ca_path) when set, else the system trust store).
    type: bool
    default: true
    env:
      - name: VMWARE_VALIDATE_CERTS
  ca_path:
    description: PEM bundle of the CA that signed the vCenter certificate.
    type: path
    env:
      - name: VMWARE_CA_PATH
  timeout:
    description: Seconds one HTTP request may take.
    type: int
    default: 60
  datacenters:
    description: Only the clusters and standalone hosts of these datacenters (all when left out).
    type: list
    elements: str
  image_managed_only:
    description: Leave out the clusters and standalone hosts vLCM does not manage with an image.
    type: bool
    default: true
  hosts_as_members:
    description:
      - Add the ESXi hosts of each cluster as inventory hosts (C(ansible_connection=local), C(vlcm_host),
        C(vlcm_cluster), C(vlcm_datacenter), C(vlcm_compliance) of the host) in the group
        C(vlcm_cluster_<cluster>) and in C(vlcm_esxi_hosts).
    type: bool
    default: false
  scan:
    description:
      - Scan the compliance of each image-managed cluster and standalone host (a vCenter task each) before
        reading the report. It changes nothing on the hosts but takes time; the default reads the last report.
    type: bool
    default: false
  scan_timeout:
    description: Seconds to wait for each scan task with O(scan=true).
    type: int
    default: 1800
requirements:
  - requests
  - pyvmomi (for DRS behaviour, HA admission control and vSAN)
author:
  - vsphere.lifecycle contributors (@vsphere-lifecycle)
"""

EXAMPLES = r"""
# prod.vcenter.yml; connection from VMWARE_HOST, VMWARE_USER, VMWARE_PASSWORD (as AWX's VMware credential sets them)
plugin: vsphere.lifecycle.vcenter
datacenters: [DC-East]
keyed_groups:
  - key: vlcm_desired_base_image
    prefix: image
  - key: vlcm_drs_behavior
    prefix: drs
compose:
  vlcm_window_hosts: vlcm_host_count // 4
groups:
  needs_remediation: vlcm_compliance == 'NON_COMPLIANT'
  single_host_waves: vlcm_vsan

# cached.vcenter.yml: read vCenter at most once an hour
plugin: vsphere.lifecycle.vcenter
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/vlcm-inventory
cache_timeout: 3600

# ansible-inventory -i prod.vcenter.yml --graph
# ansible-playbook -i prod.vcenter.yml site.yml --limit vlcm_compliance_non_compliant
"""

import re  # noqa: E402 - after DOCUMENTATION and EXAMPLES, as ansible-test wants
from typing import Any  # noqa: E402

from ansible.errors import AnsibleParserError  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable  # noqa: E402

try:
    from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import VsphereError
    from ansible_collections.vsphere.lifecycle.plugins.module_utils._fleet import gather
    from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import ConnectionParams, RestClient

    IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - requests missing
    IMPORT_ERROR = exc


def group_name(*parts: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", "_".join(parts).lower())


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "vsphere.lifecycle.vcenter"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith((".vcenter.yml", ".vcenter.yaml"))

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        params = self._connection_params()          # checked before any call
        key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        data = None
        if use_cache:
            try:
                data = self._cache[key]
            except KeyError:
                update_cache = True
        if data is None:
            data = self._fetch(params)
        if update_cache:
            self._cache[key] = data
        self._populate(data)

    # ------------------------------------------------------------------ vCenter
    def _connection_params(self) -> Any:
        if IMPORT_ERROR is not None:
            raise AnsibleParserError(f"vsphere.lifecycle.vcenter needs the Python library requests: {IMPORT_ERROR}")
        missing = [f"{opt} (or {env})" for opt, env in (("hostname", "VMWARE_HOST"), ("username", "VMWARE_USER"),
                                                        ("password", "VMWARE_PASSWORD")) if not self.get_option(opt)]
        if missing:
            raise AnsibleParserError("vsphere.lifecycle.vcenter: missing connection option(s) " + ", ".join(missing)
                                     + ": set them in the inventory file or in the environment")
        for opt in ("timeout", "scan_timeout", "port"):
            if self.get_option(opt) is not None and int(self.get_option(opt)) <= 0:
                raise AnsibleParserError(f"vsphere.lifecycle.vcenter: {opt} must be a positive number "
                                         f"(got {self.get_option(opt)})")
        datacenters = self.get_option("datacenters")
        if datacenters is not None and (not datacenters or not all(isinstance(d, str) and d.strip() for d in datacenters)):
            raise AnsibleParserError("vsphere.lifecycle.vcenter: datacenters must list datacenter names; an empty list "
                                     "or name never means all (leave datacenters out for all)")
        validate = bool(self.get_option("validate_certs"))
        return ConnectionParams(hostname=self.get_option("hostname"), username=self.get_option("username"),
                                password=self.get_option("password"), port=int(self.get_option("port")),
                                validate_certs=validate, ca_path=self.get_option("ca_path") if validate else None,
                                timeout=float(self.get_option("timeout")))

    def _fetch(self, params: Any) -> dict[str, Any]:
        rest = RestClient(params)
        soap = None
        try:
            try:
                from ansible_collections.vsphere.lifecycle.plugins.module_utils._soap import SoapClient

                soap = SoapClient(params)
            except VsphereError as exc:   # pyVmomi missing
                self.display.warning(f"vsphere.lifecycle.vcenter: {exc.message}; DRS, HA and vSAN facts are left out")
            return gather(rest, soap=soap, warn=self._warn, datacenters=self.get_option("datacenters"),
                          image_managed_only=self.get_option("image_managed_only"), scan=self.get_option("scan"),
                          scan_timeout=float(self.get_option("scan_timeout")))
        except VsphereError as exc:
            raise AnsibleParserError(f"vsphere.lifecycle.vcenter: {exc.message}") from None
        finally:
            rest.close()
            if soap is not None:
                soap.close()

    def _warn(self, message: str) -> None:
        self.display.warning(f"vsphere.lifecycle.vcenter: {message}")

    # ------------------------------------------------------------------ inventory
    def _add(self, name: str, groups: list[str], hostvars: dict[str, Any]) -> None:
        for group in groups:
            self.inventory.add_group(group)
            self.inventory.add_host(name, group=group)
        for var, value in hostvars.items():
            self.inventory.set_variable(name, var, value)
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), hostvars, name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, name, strict=strict)

    def _populate(self, data: dict[str, Any]) -> None:
        clusters = data.get("clusters") or []
        taken = [c["name"] for c in clusters]
        members = bool(self.get_option("hosts_as_members"))
        for cl in clusters:
            name = cl["name"] if taken.count(cl["name"]) == 1 else f"{cl['name']}@{cl['datacenter']}"
            compliance = cl.get("compliance") or {}
            desired = cl.get("desired") or {}
            hostvars = {
                "ansible_connection": "local",
                "vlcm_cluster": cl["name"], "vlcm_cluster_id": cl["id"], "vlcm_datacenter": cl["datacenter"],
                "vlcm_image_managed": cl["image_managed"], "vlcm_host_count": cl["host_count"],
                "vlcm_hosts": cl["hosts"], "vlcm_drs_enabled": cl.get("drs_enabled"),
                "vlcm_drs_behavior": cl.get("drs_behavior"), "vlcm_ha_enabled": cl.get("ha_enabled"),
                "vlcm_ha_admission_control": cl.get("ha_admission_control"),
                "vlcm_ha_admission_control_policy": cl.get("ha_admission_control_policy"), "vlcm_vsan": cl.get("vsan"),
                "vlcm_compliance": compliance.get("status") or "UNKNOWN",
                "vlcm_compliance_counts": compliance.get("counts"),
                "vlcm_non_compliant_hosts": compliance.get("non_compliant_hosts") or [],
                "vlcm_scan_time": compliance.get("scan_time"),
                "vlcm_desired_base_image": desired.get("base_image"),
                "vlcm_desired_base_image_display": desired.get("base_image_display"),
                "vlcm_desired_add_on": desired.get("add_on"),
            }
            self._add(name, ["vlcm_clusters", group_name("vlcm_dc", cl["datacenter"]),
                             group_name("vlcm_compliance", hostvars["vlcm_compliance"])], hostvars)
            if members:
                for host in cl["hosts"]:
                    status = (compliance.get("hosts") or {}).get(host) or "UNKNOWN"
                    self._add(host, ["vlcm_esxi_hosts", group_name("vlcm_cluster", cl["name"])],
                              {"ansible_connection": "local", "vlcm_host": host, "vlcm_cluster": cl["name"],
                               "vlcm_datacenter": cl["datacenter"], "vlcm_compliance": status})
        for sh in data.get("standalone_hosts") or []:
            desired = sh.get("desired") or {}
            status = (sh.get("compliance") or {}).get("status") or "UNKNOWN"
            hostvars = {
                "ansible_connection": "local", "vlcm_host": sh["name"], "vlcm_host_id": sh["id"], "vlcm_cluster": None,
                "vlcm_datacenter": sh["datacenter"], "vlcm_image_managed": sh["image_managed"],
                "vlcm_compliance": status, "vlcm_scan_time": (sh.get("compliance") or {}).get("scan_time"),
                "vlcm_desired_base_image": desired.get("base_image"),
                "vlcm_desired_base_image_display": desired.get("base_image_display"),
                "vlcm_desired_add_on": desired.get("add_on"),
            }
            self._add(sh["name"], ["vlcm_standalone_hosts", group_name("vlcm_dc", sh["datacenter"]),
                                   group_name("vlcm_compliance", status)], hostvars)
