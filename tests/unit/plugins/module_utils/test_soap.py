# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import ssl

from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import ConnectionParams
from ansible_collections.vsphere.lifecycle.plugins.module_utils._soap import ssl_context


def test_ssl_context_follows_the_connection_options():
    strict = ssl_context(ConnectionParams("vc", "u", "p"))
    assert strict.verify_mode == ssl.CERT_REQUIRED and strict.check_hostname is True
    lax = ssl_context(ConnectionParams("vc", "u", "p", validate_certs=False, ca_path="/ignored.pem"))
    assert lax.verify_mode == ssl.CERT_NONE and lax.check_hostname is False
