# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML fleet report of playbooks/compliance_report.yml in headless Chromium (Debian's ``chromium``, driven by
Playwright's Python package with ``executable_path``; no browser download).

The scenario is ``livepatch`` (hosts ready for live patch, hosts that cannot be, VMs that cannot fast-suspend-
resume, a cluster without live patch: n/a) with one host made compliant and one host renamed to carry a
``<script>`` element, so the page has several statuses to filter and a name that must not execute. The
expected hosts and statuses come from ``/sim/state`` after the run, never from the page itself.

Skips only when chromium is missing (``make report-deps`` installs it; ``make integration`` runs that first).
The screenshots are saved under tests/output/report-html/ (path printed).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from .harness import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PLAYBOOK = REPO / "playbooks" / "compliance_report.yml"
SHOTS = REPO / "tests" / "output" / "report-html"
XSS_HOST = '<script>window.__vlcm_xss = 1</script><img src=x onerror="window.__vlcm_xss = 2">esxi-o4.lab.local'
COMPLIANT_HOST = "esxi-o1.lab.local"
DISCONNECTED_HOST = "esxi-o2.lab.local"
BUSY_CLUSTER = "LP-DRS"
STANDALONE = "esxi-lps.lab.local"
REST_ONLY = True
ROLE = "vsphere.lifecycle.compliance_report : "     # how role task names reach the results callback


def _scenario() -> Path:
    """livepatch.yml with esxi-o1 running LP-Off's desired image and esxi-o4 renamed to XSS_HOST."""
    import vlcmsim

    source = Path(vlcmsim.__file__).parent / "scenarios" / "livepatch.yml"
    data = yaml.safe_load(source.read_text())
    data["name"] = "livepatch-report"
    for dc in data["datacenters"]:
        for cluster in dc.get("clusters", []):
            for host in cluster.get("hosts", []):
                if host["name"] == COMPLIANT_HOST:
                    host["installed_image"] = cluster["desired_image"]
                if host["name"] == "esxi-o4.lab.local":
                    host["name"] = XSS_HOST
    path = Path(tempfile.mkdtemp(prefix="vlcm-report-scenario-")) / "livepatch-report.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


SIM_SCENARIO = _scenario()


@pytest.fixture(scope="module")
def browser() -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium is not installed ({CHROMIUM} missing): run `make report-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def expected_hosts(state: dict[str, Any], *, skip_clusters: tuple[str, ...] = ()) -> dict[str, str]:
    """Host name -> compliance status of every host of the image-managed clusters (and the standalone host),
    from /sim/state."""
    clusters = {c["id"]: c["name"] for c in state["clusters"] if c["image_managed"] and c["name"] not in skip_clusters}
    return {h["name"]: h["compliance_status"] for h in state["hosts"]
            if h["cluster"] in clusters or h["name"] == STANDALONE}


def run_report(run_playbook: Any, out: Path) -> Any:
    return run_playbook(PLAYBOOK, extra_args=["-e", json.dumps({"vlcm_report_dir": str(out),
                                                                  "vlcm_standalone_hosts": [STANDALONE]})])


def visible_rows(page: Any) -> int:
    return page.locator("#hosts tbody tr:visible").count()


def shot(page: Any, tmp_path: Path, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    shutil.copy(path, tmp_path / name)
    print(f"screenshot: {path}")
    return path


def test_every_host_filter_sort_escape(sim, run_playbook, browser, tmp_path):
    sim.add_faults({"type": "host_disconnect", "host": DISCONNECTED_HOST})
    out = tmp_path / "report"
    result = run_report(run_playbook, out)
    assert result.ok, result.output
    expected = expected_hosts(sim.state())
    assert expected[COMPLIANT_HOST] == "COMPLIANT" and expected[DISCONNECTED_HOST] == "UNAVAILABLE"
    assert expected[XSS_HOST] == "NON_COMPLIANT"
    assert sim.mutating_calls() == {}

    page = browser.new_page(viewport={"width": 2200, "height": 1200})
    page.goto((out / "compliance-report.html").as_uri())
    # every host of the scenario, once, with the status vCenter holds for it
    names = page.locator("#hosts tbody tr .host-name").all_inner_texts()
    assert sorted(names) == sorted(expected)
    rows = page.locator("#hosts tbody tr")
    seen = {rows.nth(i).locator(".host-name").inner_text(): rows.nth(i).get_attribute("data-status")
            for i in range(rows.count())}
    assert seen == expected
    # the host name with markup is text: shown literally, nothing ran
    assert page.evaluate("window.__vlcm_xss === undefined")
    assert page.locator("#hosts script, #hosts img").count() == 0
    # live patch: ready / not ready with the reason / n/a, and the VMs that cannot fast-suspend-resume
    row_m1 = page.locator("#hosts tbody tr", has_text="esxi-m1.lab.local")
    assert "ready" in row_m1.inner_text() and "sql-fci-01 (SHARED_DISK" in row_m1.inner_text()
    assert "not ready" in page.locator("#hosts tbody tr", has_text="esxi-m3.lab.local").inner_text()
    live_patch = {r.locator(".host-name").inner_text(): r.locator("td:nth-child(11)").inner_text()
                  for r in page.locator("#hosts tbody tr").all()}
    assert live_patch["esxi-r1.lab.local"].startswith("ready")
    assert live_patch["esxi-o3.lab.local"] == "n/a"          # LP-Off: live patch not in play, nothing reported
    shot(page, tmp_path, "compliance-report.png")

    # filter by status: the select, then a summary card; the count shown matches the rows shown
    for status in ("NON_COMPLIANT", "COMPLIANT", "UNAVAILABLE"):
        page.select_option("#status-filter", status)
        want = sum(1 for s in expected.values() if s == status)
        assert want > 0
        assert visible_rows(page) == want
        assert page.locator("#shown-count").inner_text() == str(want)
        statuses = page.locator("#hosts tbody tr:visible").evaluate_all("rows => rows.map(r => r.dataset.status)")
        assert set(statuses) == {status}
    page.select_option("#status-filter", "")
    assert visible_rows(page) == len(expected)
    page.click("#card-COMPLIANT")
    assert page.locator("#hosts tbody tr:visible .host-name").all_inner_texts() == [COMPLIANT_HOST]
    page.select_option("#status-filter", "")
    page.fill("#search", "esxi-r")
    assert visible_rows(page) == sum(1 for n in expected if n.startswith("esxi-r"))
    page.fill("#search", "")
    assert visible_rows(page) == len(expected)

    # sort by host name, both ways; then by status (severity order)
    header = page.locator('#hosts thead th[data-col="host"]')
    header.click()
    ascending = page.locator("#hosts tbody tr .host-name").all_inner_texts()
    assert ascending == sorted(names, key=str.lower)
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert page.locator("#hosts tbody tr .host-name").all_inner_texts() == list(reversed(ascending))
    assert header.get_attribute("aria-sort") == "descending"
    page.locator('#hosts thead th[data-col="status"]').click()
    ranks = page.locator("#hosts tbody tr td:nth-child(4)").evaluate_all(
        "cells => cells.map(c => parseFloat(c.dataset.v))")
    assert ranks == sorted(ranks) and ranks[0] < ranks[-1]
    first = page.locator("#hosts tbody tr").first
    assert first.get_attribute("data-status") == "COMPLIANT"
    shot(page, tmp_path, "compliance-report-sorted.png")
    page.close()

    report = json.loads((out / "compliance-report.json").read_text())
    assert report["format"] == "vsphere.lifecycle.compliance_report/1"
    listed = {h["name"]: h["status"] for e in report["clusters"] + report["standalone_hosts"] for h in e["hosts"]}
    assert listed == expected
    assert report["counts"]["hosts"]["total"] == len(expected)


def test_cluster_not_checked_is_reported_and_others_go_on(sim, run_playbook, browser, tmp_path):
    sim.add_faults({"type": "cluster_busy", "cluster": BUSY_CLUSTER})
    out = tmp_path / "report"
    result = run_report(run_playbook, out)
    assert not result.ok
    assert result.status(ROLE + "Every target was checked") == "failed"
    assert BUSY_CLUSTER in result.task(ROLE + "Every target was checked")["msg"]
    expected = expected_hosts(sim.state(), skip_clusters=(BUSY_CLUSTER,))
    sim.clear_faults()

    page = browser.new_page(viewport={"width": 2200, "height": 1200})
    page.goto((out / "compliance-report.html").as_uri())
    error_rows = page.locator("#hosts tbody tr.target-error")
    assert error_rows.count() == 1
    assert error_rows.first.get_attribute("data-status") == "ERROR"
    assert BUSY_CLUSTER in error_rows.first.inner_text()
    names = page.locator("#hosts tbody tr.host:not(.target-error) .host-name").all_inner_texts()
    assert sorted(names) == sorted(expected)
    page.select_option("#status-filter", "ERROR")
    assert visible_rows(page) == 1
    target_row = page.locator("#targets tbody tr", has_text=BUSY_CLUSTER)
    assert target_row.get_attribute("data-status") == "ERROR"
    page.close()
