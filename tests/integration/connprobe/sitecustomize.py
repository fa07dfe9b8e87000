# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test probe: records every name lookup and TCP connection attempt of a Python process in a file.

Only tests load it, by putting this directory on PYTHONPATH and naming the file in VLCM_PROBE_FILE for an
ansible-playbook run; the module processes inherit both, so the file counts the attempts the module made
(``getaddrinfo HOST PORT`` and ``connect HOST PORT`` lines). Nothing happens without VLCM_PROBE_FILE.
"""

from __future__ import annotations

import os
import socket

_PROBE_FILE = os.environ.get("VLCM_PROBE_FILE")

if _PROBE_FILE:
    _getaddrinfo = socket.getaddrinfo
    _connect = socket.socket.connect

    def _record(line: str) -> None:
        with open(_PROBE_FILE, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def _probe_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        _record(f"getaddrinfo {host} {port}")
        return _getaddrinfo(host, port, *args, **kwargs)

    def _probe_connect(self, address):  # type: ignore[no-untyped-def]
        if isinstance(address, tuple) and len(address) >= 2:
            _record(f"connect {address[0]} {address[1]}")
        return _connect(self, address)

    socket.getaddrinfo = _probe_getaddrinfo
    socket.socket.connect = _probe_connect  # type: ignore[method-assign]
