# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The connection options of every module; one-to-one with vcenter_argument_spec() in module_utils/_module.py
    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - Name or IP address of the vCenter Server.
      - If not set, the value of the E(VMWARE_HOST) environment variable is used; one of the two is required.
    type: str
  username:
    description:
      - User name to log in to vCenter with, for example C(administrator@vsphere.local).
      - If not set, the value of the E(VMWARE_USER) environment variable is used; one of the two is required.
    type: str
    aliases: [user]
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(VMWARE_PASSWORD) environment variable is used; one of the two is required.
      - Pass it through the environment, an AWX/AAP VMware credential or Ansible Vault; never as an
        extra var, which ansible-runner writes in plain text into its artifacts.
    type: str
    aliases: [pass, pwd]
  port:
    description:
      - HTTPS port of the vCenter Server.
      - If not set, the value of the E(VMWARE_PORT) environment variable is used.
    type: int
    default: 443
  validate_certs:
    description:
      - Whether to verify the TLS certificate of vCenter.
      - When V(true) and O(ca_path) is not set, the system trust store is used.
      - V(false) is for labs only; the module warns when verification is off.
      - If not set, the value of the E(VMWARE_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - Path of a PEM file with the CA certificate(s) that signed the vCenter certificate.
      - Used when O(validate_certs=true); it wins over E(REQUESTS_CA_BUNDLE) and similar settings of the environment.
      - If not set, the value of the E(VMWARE_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for one HTTP response from vCenter before retrying or failing.
      - Long operations (tasks) have their own module option.
    type: int
    default: 60
notes:
  - Every module logs in once per run, reuses the session, logs in again once if vCenter expired it,
    and always logs out at the end, also after a failure.
  - Calls answered with HTTP 429, 502, 503 or 504, and reset connections, are retried with a growing
    delay (honouring C(Retry-After)).
  - All modules of this collection are in the action group C(vsphere.lifecycle.vcenter), so one
    C(module_defaults) entry can set the connection options for all of them.
requirements:
  - requests
"""
