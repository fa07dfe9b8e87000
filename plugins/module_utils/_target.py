# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module acts on, written once: the :class:`Target` type, the target options and their
checks, and the one resolver from those options to vCenter ids. Knows nothing of Ansible.

A target is an image-managed cluster (``cluster``, optionally narrowed by ``datacenter``) and
possibly some of its hosts (``hosts``), a standalone host (``host``), or, for the apply policy,
the global cluster defaults. A name is only what the user named: an empty or null name, or an
empty ``hosts`` list, is an :class:`OptionError` raised before any call to vCenter, never "all".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import OptionError

KINDS = ("datacenter", "cluster", "host", "defaults")


@dataclass(frozen=True)
class Target:
    """A resolved vCenter object: ``kind`` (datacenter | cluster | host | defaults), its id and its name."""

    kind: str
    id: str
    name: str

    @property
    def base(self) -> str:
        """The vLCM REST base of an image-managed cluster or standalone host."""
        if self.kind not in ("cluster", "host"):
            raise ValueError(f"a {self.kind} has no vLCM software base")
        return f"/api/esx/settings/{'clusters' if self.kind == 'cluster' else 'hosts'}/{self.id}"

    @property
    def label(self) -> str:
        if self.kind == "defaults":
            return "the global cluster defaults"
        return f"{self.kind} '{self.name}'"

    def as_result(self) -> dict[str, Any]:
        """The ``target`` value modules return: ``{"type", "id", "name"}`` (no id or name for the defaults)."""
        if self.kind == "defaults":
            return {"type": "defaults", "id": None, "name": None}
        return {"type": self.kind, "id": self.id, "name": self.name}


DEFAULTS = Target("defaults", "", "")


@dataclass(frozen=True)
class Selection:
    """A resolved target with the hosts it selects (sorted by name; a standalone host selects itself)."""

    target: Target
    hosts: tuple[Target, ...]
    whole: bool  # every host of the cluster (no ``hosts`` option), or a standalone host

    @property
    def names(self) -> dict[str, str]:
        """Host id -> name of the selected hosts."""
        return {h.id: h.name for h in self.hosts}

    @property
    def host_ids(self) -> list[str]:
        return [h.id for h in self.hosts]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [(h.id, h.name) for h in self.hosts]


# ----------------------------------------------------------------------------- option checks (pure)
def _given(value: Any) -> bool:
    return value is not None


def require_name(option: str, value: Any, what: str) -> str:
    """A non-empty name, or an OptionError naming the option and what to put there."""
    if not isinstance(value, str) or not value.strip():
        shown = "null" if value is None else repr(value)
        raise OptionError(f"{option} is {'empty' if isinstance(value, str) else shown}: give the name of {what}; "
                          "an empty or null name never means all", option=option)
    return value


def check_options(params: Mapping[str, Any], *, hosts_option: bool, defaults_option: bool = False) -> None:
    """Reject an empty or missing target before any call, naming the option and the fix.

    ``params`` are the module parameters after argument parsing (an unset option is None).
    """
    choices = ["cluster", "host"] + (["defaults"] if defaults_option else [])
    chosen = [c for c in ("cluster", "host") if _given(params.get(c))]
    if defaults_option and params.get("defaults"):
        chosen.append("defaults")
    if not chosen:
        nulls = [c for c in ("cluster", "host", "datacenter") if c in params and params.get(c) is None]
        hint = ("set cluster to the name of an image-managed cluster, or host to the name of a standalone host"
                + (", or defaults: true for the global cluster defaults" if defaults_option else ""))
        given_false = " (defaults: false selects nothing)" if defaults_option and params.get("defaults") is False else ""
        raise OptionError(f"no target{given_false}: {hint}. An empty or null name never means all.",
                          option=" / ".join(choices), unset=nulls or None)
    if len(chosen) > 1:
        raise OptionError(f"options {' and '.join(chosen)} are mutually exclusive: set only one of them",
                          option=" / ".join(chosen))
    if "cluster" in chosen:
        require_name("cluster", params["cluster"], "an image-managed cluster")
    if "host" in chosen:
        require_name("host", params["host"], "a standalone host")
    if _given(params.get("datacenter")):
        require_name("datacenter", params["datacenter"],
                     "the datacenter that holds the cluster or host (or leave datacenter out)")
    if hosts_option and _given(params.get("hosts")):
        if "cluster" not in chosen:
            raise OptionError("hosts selects hosts of a cluster: set cluster too (a standalone host is host)",
                              option="hosts")
        check_host_list(params["hosts"])


def check_name_list(option: str, names: Any, what: str, unset_means: str) -> list[str]:
    """A non-empty list of non-empty names, or an OptionError naming the option (``what``: one item)."""
    if not isinstance(names, Sequence) or isinstance(names, str):
        raise OptionError(f"{option} must be a list of names of {what}s", option=option)
    if not names:
        raise OptionError(f"{option} is an empty list: list the names of the {what}s to act on, or leave {option} out "
                          f"for {unset_means}; an empty list never means all", option=option)
    for pos, name in enumerate(names):
        require_name(f"{option}[{pos}]", name, f"a {what}")
    return list(names)


def check_host_list(names: Any) -> list[str]:
    return check_name_list("hosts", names, "host of the cluster", "every host of the cluster")


# ----------------------------------------------------------------------------- resolution
def resolve(inventory: Any, params: Mapping[str, Any], *, defaults_option: bool = False) -> Selection:
    """The one resolver: target options -> :class:`Selection`, through ``inventory`` (``_inventory.Inventory``).

    Calls :func:`check_options` first, so nothing reaches vCenter with an empty or null name.
    """
    hosts_option = "hosts" in params
    check_options(params, hosts_option=hosts_option, defaults_option=defaults_option)
    if defaults_option and params.get("defaults"):
        return Selection(DEFAULTS, (), True)
    datacenter = params.get("datacenter")
    if params.get("host") is not None:
        host = inventory.host(params["host"], datacenter=datacenter, standalone=True)
        return Selection(host, (host,), True)
    cluster = inventory.cluster(params["cluster"], datacenter)
    names = params.get("hosts") if hosts_option else None
    if names is not None:
        members = inventory.hosts_in_cluster(list(names), cluster)
    else:
        members = inventory.list_hosts(cluster_id=cluster.id)
    unique = {h.id: h for h in members}
    return Selection(cluster, tuple(sorted(unique.values(), key=lambda h: (h.name, h.id))), names is None)
