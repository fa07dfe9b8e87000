# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report rendering of the fleet_compliance action plugin (the role's templates, plain Jinja2)."""

from __future__ import annotations

import json

from ansible_collections.vsphere.lifecycle.plugins.action import fleet_compliance as action

EVIL = '<script>alert(1)</script>"esx&1'


def document():
    host = {"id": "host-1", "name": EVIL, "status": "NON_COMPLIANT", "impact": "REBOOT_REQUIRED",
            "stage_status": "NOT_STAGED", "scan_time": "2026-12-07T20:00:00Z",
            "base_image": {"status": "NON_COMPLIANT", "current": "8.0.3-a", "target": "8.0.3-b",
                           "current_display": "8.0 U3c", "target_display": "8.0 U3e"},
            "add_on": None, "components": [], "removed_components": [], "hardware_support": [],
            "notifications": {"errors": ["<b>bad</b>"], "warnings": [], "info": []},
            "live_patch": None, "incompatible_vms": None}
    cluster = {"target": {"type": "cluster", "id": "domain-c1", "name": "C<1>", "datacenter": "DC"},
               "status": "NON_COMPLIANT", "impact": "REBOOT_REQUIRED", "stage_status": "NOT_STAGED",
               "scan_time": "2026-12-07T20:00:00Z",
               "counts": {"compliant": 0, "non_compliant": 1, "incompatible": 0, "unavailable": 0, "total": 1},
               "hosts": [host]}
    failed = {"target": {"type": "cluster", "id": "domain-c2", "name": "Busy", "datacenter": "DC"},
              "status": "ERROR", "error": "scan failed"}
    result = {"vcenter": "vc.example.com", "clusters": [cluster, failed], "standalone_hosts": [],
              "not_image_managed": [], "counts": {"targets": {"non_compliant": 1, "error": 1, "total": 2},
                                                  "hosts": {"non_compliant": 1, "total": 1}}}
    return action.report_document(result, "2026-12-07T20:00:01Z")


def test_html_escapes_every_value_and_lists_every_row():
    text, html, summary = action.render(document(), action.TEMPLATES, "Title <x>")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;&#34;esx&amp;1" in html
    assert "<b>bad</b>" not in html and "&lt;b&gt;bad&lt;/b&gt;" in html
    assert "C&lt;1&gt;" in html and "Title &lt;x&gt;" in html
    assert html.count('<tr class="host"') == 1 and html.count('<tr class="host target-error"') == 1
    assert "https://" not in html and "<link" not in html and "src=" not in html   # self-contained
    assert json.loads(text)["clusters"][0]["hosts"][0]["name"] == EVIL
    assert summary[0].startswith("cluster C<1>: NON_COMPLIANT, 0/1 host(s) compliant")
    assert any(line.startswith("cluster Busy: not checked (ERROR): scan failed") for line in summary)


def test_slim_drops_only_host_rows():
    entries = document()["clusters"]
    slim = action.slim(entries)
    assert "hosts" not in slim[0] and slim[0]["counts"]["total"] == 1 and slim[1] == entries[1]


def test_write_atomically_reports_unchanged(tmp_path):
    path = tmp_path / "r.json"
    assert action.write_atomically(path, "x") is True
    assert action.write_atomically(path, "x") is False
    assert action.write_atomically(path, "y") is True and path.read_text() == "y"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
