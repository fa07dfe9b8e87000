# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    AmbiguousNameError,
    NotFoundError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._inventory import Inventory, format_names


class FakeVcenter:
    """Implements the list filters of /api/vcenter/{datacenter,cluster,host} over a small world."""

    def __init__(self):
        self.datacenters = {"datacenter-1": "DC1", "datacenter-2": "DC2"}
        self.clusters = {"domain-c1": ("Prod", "datacenter-1"), "domain-c2": ("Test", "datacenter-1"),
                         "domain-c3": ("Prod", "datacenter-2")}
        self.hosts = {"host-1": ("esx1", "domain-c1", "datacenter-1"), "host-2": ("esx2", "domain-c1", "datacenter-1"),
                      "host-3": ("esx3", None, "datacenter-1"), "host-4": ("esx1", "domain-c3", "datacenter-2")}
        self.calls: list[tuple[str, list]] = []

    def get(self, path, params=None, **kwargs):
        params = list(params or [])
        self.calls.append((path, params))
        values: dict[str, list[str]] = {}
        for key, value in params:
            values.setdefault(key, []).append(value)
        names = set(values.get("names", [])) or None
        dcs = set(values.get("datacenters", [])) or None
        if path == "/api/vcenter/datacenter":
            return [{"datacenter": i, "name": n} for i, n in self.datacenters.items() if not names or n in names]
        if path == "/api/vcenter/cluster":
            return [{"cluster": i, "name": n, "drs_enabled": True, "ha_enabled": True}
                    for i, (n, dc) in self.clusters.items() if (not names or n in names) and (not dcs or dc in dcs)]
        if path == "/api/vcenter/host":
            clusters = set(values.get("clusters", [])) or None
            standalone = values.get("standalone", [None])[0]
            out = []
            for i, (n, c, dc) in self.hosts.items():
                if names and n not in names or dcs and dc not in dcs or clusters and c not in clusters:
                    continue
                if standalone == "true" and c is not None or standalone == "false" and c is None:
                    continue
                out.append({"host": i, "name": n, "connection_state": "CONNECTED"})
            return out
        raise AssertionError(path)


def test_cluster_unique_in_scope():
    inv = Inventory(FakeVcenter())
    assert inv.cluster("Test").id == "domain-c2"
    assert inv.cluster("Prod", "DC2").id == "domain-c3"


def test_unknown_cluster_lists_existing():
    inv = Inventory(FakeVcenter())
    with pytest.raises(NotFoundError) as err:
        inv.cluster("Prod-1", "DC1")
    assert str(err.value) == "cluster 'Prod-1' not found in datacenter 'DC1'; clusters there: Prod, Test"
    with pytest.raises(NotFoundError, match="clusters there: Prod, Test$"):
        inv.cluster("Nope")


def test_cluster_in_two_datacenters_asks_for_datacenter():
    inv = Inventory(FakeVcenter())
    with pytest.raises(AmbiguousNameError) as err:
        inv.cluster("Prod")
    assert "set datacenter to one of: DC1, DC2" in str(err.value)


def test_unknown_datacenter_lists_existing():
    with pytest.raises(NotFoundError, match="datacenter 'DC9' not found; datacenters there: DC1, DC2"):
        Inventory(FakeVcenter()).cluster("Prod", "DC9")


def test_hosts_in_cluster_one_call_and_missing_listed():
    fake = FakeVcenter()
    inv = Inventory(fake)
    cluster = inv.cluster("Prod", "DC1")
    before = len(fake.calls)
    assert [h.id for h in inv.hosts_in_cluster(["esx2", "esx1"], cluster)] == ["host-2", "host-1"]
    assert len(fake.calls) == before + 1
    with pytest.raises(NotFoundError) as err:
        inv.hosts_in_cluster(["esx1", "esx9"], cluster)
    assert "'esx9' not found in cluster 'Prod'; hosts there: esx1, esx2" in str(err.value)


def test_standalone_host_and_ambiguous_host():
    inv = Inventory(FakeVcenter())
    assert inv.host("esx3", standalone=True).id == "host-3"
    with pytest.raises(NotFoundError, match="among standalone hosts; hosts there: esx3"):
        inv.host("esx9", standalone=True)
    with pytest.raises(NotFoundError, match="'esx1' is not a standalone host .* cluster and hosts"):
        inv.host("esx1", standalone=True)
    with pytest.raises(AmbiguousNameError, match="set datacenter to one of: DC1, DC2"):
        inv.host("esx1")


def test_results_are_cached():
    fake = FakeVcenter()
    inv = Inventory(fake)
    inv.cluster("Test")
    calls = len(fake.calls)
    inv.cluster("Test")
    assert len(fake.calls) == calls


def test_format_names_truncates():
    assert format_names([]) == "(none)"
    assert format_names([f"c{i:02}" for i in range(25)], limit=3) == "c00, c01, c02, ... (22 more)"
