# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The connection options of every module; one-to-one with vcenter_argument_spec() in module_utils/_module.py
    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - Name or IP address of the vCenter Server, for example C(vcenter.example.com); not a URL.
      - Without C(https://), a path or a port (set O(port) for that); the module refuses such a value before
        it connects, saying what to give instead.
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
      - Sent at login as HTTP basic authentication encoded as UTF-8 (as the vSphere Automation SDK does), so
        characters outside Latin-1 work too.
      - If not set, the value of the E(VMWARE_PASSWORD) environment variable is used; one of the two is required.
      - Pass it through the environment, an AWX/AAP VMware credential or Ansible Vault; never as an
        extra var, which ansible-runner writes in plain text into its artifacts.
    type: str
    aliases: [pass, pwd]
  port:
    description:
      - HTTPS port of the vCenter Server, 1-65535.
      - If not set, the value of the E(VMWARE_PORT) environment variable is used.
    type: int
    default: 443
  validate_certs:
    description:
      - Whether to verify the TLS certificate of vCenter.
      - When V(true) and O(ca_path) is not set, the system trust store is used (the CA bundle of the operating
        system, or the file and directory named by OpenSSL's E(SSL_CERT_FILE) and E(SSL_CERT_DIR)), for REST
        and SOAP alike. E(REQUESTS_CA_BUNDLE), E(CURL_CA_BUNDLE) and the certifi bundle are not used.
      - V(false) is for labs only; the module warns when verification is off.
      - If not set, the value of the E(VMWARE_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - Path of a PEM file with the CA certificate(s) that signed the vCenter certificate.
      - Used when O(validate_certs=true); then only this bundle is trusted, not the system trust store.
      - If not set, the value of the E(VMWARE_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for one HTTP response from vCenter before retrying or failing; a positive number.
      - Long operations (tasks) have their own module option.
    type: int
    default: 60
notes:
  - Every module logs in once per run, reuses the session, logs in again once if vCenter expired it,
    and always logs out at the end, also after a failure.
  - Calls answered with HTTP 429, 502, 503 or 504, reset connections and timeouts are retried with a
    growing delay (honouring C(Retry-After)), up to 5 times.
  - A host name that does not resolve and a refused connection are not retried (waiting does not fix
    them); the error names the address and what to check.
  - The connection options are checked before the first call to vCenter.
  - All modules of this collection are in the action group C(vsphere.lifecycle.vcenter), so one
    C(module_defaults) entry can set the connection options for all of them.
requirements:
  - requests
"""

    # Modules that wait on vCenter tasks (they have wait_timeout): how often they read a running task.
    TASK_POLL = r"""
options:
  task_poll_max:
    description:
      - The longest pause, in seconds, between two reads of a running vCenter task (C(GET /api/cis/tasks/{task})).
        The pauses start at 0.5 s and grow by half up to this; more than 0 and at most 60.
      - The default suits real vCenter tasks of minutes. Lower it where tasks are short, such as against a
        simulator with a small time scale, so that the module sees a task's end sooner.
    type: float
    default: 10.0
"""
