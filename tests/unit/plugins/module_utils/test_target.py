# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The target options: nothing empty or null reaches vCenter; the one resolver; the Target type."""

from __future__ import annotations

import pytest
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import OptionError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._inventory import Inventory
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import (
    DEFAULTS,
    Target,
    check_options,
    resolve,
)


def params(**kw):
    base = {"cluster": None, "datacenter": None, "host": None, "hosts": None}
    base.update(kw)
    return base


@pytest.mark.parametrize(("given", "option", "text"), [
    (params(), "cluster / host", "no target"),
    (params(host=None, cluster=None), "cluster / host", "never means all"),
    (params(host=""), "host", "host is empty"),
    (params(host="   "), "host", "host is empty"),
    (params(cluster=""), "cluster", "cluster is empty"),
    (params(cluster="C", datacenter=""), "datacenter", "datacenter is empty"),
    (params(cluster="C", hosts=[]), "hosts", "hosts is an empty list"),
    (params(cluster="C", hosts=["esx-1", ""]), "hosts[1]", "hosts[1] is empty"),
    (params(cluster="C", hosts=["esx-1", None]), "hosts[1]", "hosts[1] is null"),
    (params(hosts=["esx-1"], host="h"), "hosts", "set cluster too"),
    (params(cluster="C", host="h"), "cluster / host", "mutually exclusive"),
])
def test_empty_null_and_conflicting_targets_are_refused(given, option, text):
    with pytest.raises(OptionError) as err:
        check_options(given, hosts_option=True)
    assert err.value.details["option"] == option
    assert text in err.value.message


def test_defaults_is_a_target_only_when_true():
    check_options({**params(), "defaults": True}, hosts_option=False, defaults_option=True)
    with pytest.raises(OptionError, match=r"no target \(defaults: false selects nothing\)"):
        check_options({**params(), "defaults": False}, hosts_option=False, defaults_option=True)
    with pytest.raises(OptionError, match="mutually exclusive"):
        check_options({**params(cluster="C"), "defaults": True}, hosts_option=False, defaults_option=True)


def test_valid_targets_pass():
    check_options(params(cluster="Prod-01"), hosts_option=True)
    check_options(params(cluster="Prod-01", datacenter="DC", hosts=["a", "b"]), hosts_option=True)
    check_options(params(host="esx-edge"), hosts_option=True)


class Client:
    """Answers the inventory lists; records every call (a null name must never reach it)."""

    def __init__(self):
        self.calls = []

    def get(self, path, params=None, **_):
        self.calls.append((path, list(params or [])))
        names = {v for k, v in params or [] if k == "names"}
        if path == "/api/vcenter/cluster":
            items = [{"cluster": "domain-c1", "name": "Prod"}, {"cluster": "domain-c2", "name": "Test"}]
            return [i for i in items if not names or i["name"] in names]
        if path == "/api/vcenter/host":
            clusters = {v for k, v in params or [] if k == "clusters"}
            items = [{"host": "host-2", "name": "esx-b", "c": "domain-c1"}, {"host": "host-1", "name": "esx-a", "c": "domain-c1"},
                     {"host": "host-9", "name": "edge", "c": None}]
            standalone = dict(params or []).get("standalone")
            return [i for i in items if (not names or i["name"] in names) and (not clusters or i["c"] in clusters)
                    and (standalone is None or (i["c"] is None) == (standalone == "true"))]
        raise AssertionError(path)


def test_resolve_a_cluster_its_hosts_and_a_standalone_host():
    client = Client()
    whole = resolve(Inventory(client), params(cluster="Prod"))
    assert whole.target == Target("cluster", "domain-c1", "Prod") and whole.whole
    assert [h.name for h in whole.hosts] == ["esx-a", "esx-b"]
    some = resolve(Inventory(client), params(cluster="Prod", hosts=["esx-b", "esx-b"]))
    assert some.names == {"host-2": "esx-b"} and not some.whole
    edge = resolve(Inventory(client), params(host="edge"))
    assert edge.target.as_result() == {"type": "host", "id": "host-9", "name": "edge"} and edge.hosts == (edge.target,)


def test_resolve_never_sends_an_empty_name():
    client = Client()
    for bad in (params(host=None), params(host=""), params(cluster=""), params(cluster="Prod", hosts=[])):
        with pytest.raises(OptionError):
            resolve(Inventory(client), bad)
    with pytest.raises(OptionError):
        Inventory(client).cluster(None)
    with pytest.raises(OptionError):
        Inventory(client).host("")
    assert client.calls == []


def test_an_inexact_server_match_is_not_taken():
    """A server that ignored the names filter (returning everything) must not make the first item the target."""

    class Sloppy(Client):
        def get(self, path, params=None, **_):
            return super().get(path, [p for p in params or [] if p[0] != "names"])

    with pytest.raises(Exception, match="cluster 'Nope' not found"):
        Inventory(Sloppy()).cluster("Nope")


def test_the_defaults_target():
    assert DEFAULTS.label == "the global cluster defaults"
    assert DEFAULTS.as_result() == {"type": "defaults", "id": None, "name": None}
    with pytest.raises(ValueError):
        assert DEFAULTS.base


def test_every_name_lookup_goes_through_the_guarded_inventory():
    """How we know no module looks a name up unguarded: only _inventory.py queries the inventory endpoints, and
    each of its by-name lookups starts by refusing an empty or null name."""
    import ast
    from pathlib import Path

    plugins = Path(__file__).resolve().parents[4] / "plugins"
    endpoints = ("/api/vcenter/datacenter", "/api/vcenter/cluster", "/api/vcenter/host")
    users = sorted(str(p.relative_to(plugins)) for p in plugins.rglob("*.py")
                   if any(e in p.read_text() for e in endpoints))
    assert users == ["module_utils/_inventory.py"]
    tree = ast.parse((plugins / "module_utils" / "_inventory.py").read_text())
    lookups = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
               and n.name in ("datacenter", "cluster", "host", "hosts_in_cluster")}
    assert len(lookups) == 4
    for name, fn in lookups.items():
        first = fn.body[1] if isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) else fn.body[0]
        call = first.value if isinstance(first, ast.Expr) else None
        assert isinstance(call, ast.Call) and getattr(call.func, "id", None) in ("require_name", "check_host_list"), name
