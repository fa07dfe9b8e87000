# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vLCM apply (remediation) policies: build, compare and write ``ConfiguredPolicySpec``. Knows nothing of Ansible.

Endpoints (official bindings): ``GET/PUT /api/esx/settings/clusters/{cluster}/policies/apply``,
``.../clusters/{cluster}/policies/apply/effective``, ``GET/PUT /api/esx/settings/hosts/{host}/policies/apply``,
and the global cluster defaults ``/api/esx/settings/defaults/clusters/policies/apply`` (+ ``/effective``).

A PUT replaces the whole configured spec, so the new spec is the configured one with only the
fields the user set replaced ("unset is unmanaged"). Live patch is ``enforce_quick_patch`` on
vSphere 8.0 U3 and ``software_policy_spec.live_patch_action.live_patch_mode`` (DISABLE_LIVE_PATCH,
AUTO_LIVE_PATCH, ENFORCE_LIVE_PATCH) from vSphere API 9.1.0.0; the two must not be set together.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import VsphereError
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Target

BOOL_FIELDS = ("enable_quick_boot", "disable_dpm", "disable_hac", "evacuate_offline_vms", "enforce_hcl_validation",
               "enforce_quick_patch")
# ConfiguredPolicySpec fields per scope (cluster and defaults share the cluster spec)
CLUSTER_FIELDS = frozenset({"failure_action", "pre_remediation_power_action", "enable_quick_boot", "disable_dpm",
                            "disable_hac", "evacuate_offline_vms", "enforce_hcl_validation",
                            "parallel_remediation_action", "enforce_quick_patch", "software_policy_spec"})
HOST_FIELDS = frozenset({"failure_action", "pre_remediation_power_action", "enable_quick_boot"})
# module option -> the spec field it manages
OPTION_FIELD = {
    "failure_action": "failure_action", "failure_retry_count": "failure_action",
    "failure_retry_delay": "failure_action", "pre_remediation_power_action": "pre_remediation_power_action",
    "parallel_remediation": "parallel_remediation_action", "parallel_max_hosts": "parallel_remediation_action",
    "live_patch_mode": "software_policy_spec", **{f: f for f in BOOL_FIELDS},
}
LIVE_PATCH_MODES = {"DISABLE": "DISABLE_LIVE_PATCH", "AUTO": "AUTO_LIVE_PATCH", "ENFORCE": "ENFORCE_LIVE_PATCH"}
LIVE_PATCH_MIN_API = (9, 1)
# vLCM remediates at most 96 hosts in parallel; the bindings document retry_count ("number of times to retry")
# and retry_delay ("time to wait ... in seconds") as counts, so neither can be negative
PARALLEL_MAX_HOSTS = 96
# the API sets no upper bound on retries; a huge count (a typo, an extra zero) would keep vLCM retrying one failed host
# for days (100 retries at the default 5-minute delay are already over 8 hours), so the module refuses more than 100
FAILURE_RETRY_MAX = 100
# option -> (lowest, highest or None, what the value is)
RANGES: dict[str, tuple[int, int | None, str]] = {
    "failure_retry_count": (0, FAILURE_RETRY_MAX, "the number of retries after a host fails to enter maintenance mode"),
    "failure_retry_delay": (0, None, "the seconds between those retries"),
    "parallel_max_hosts": (1, PARALLEL_MAX_HOSTS, "the most hosts vLCM remediates at the same time"),
}


class PolicyError(VsphereError):
    """The requested policy cannot be set (wrong scope, server too old, incomplete option)."""


def policy_path(target: Target) -> str:
    """``.../policies/apply`` of a cluster, a standalone host or the global cluster defaults."""
    if target.kind == "defaults":
        return "/api/esx/settings/defaults/clusters/policies/apply"
    return target.base + "/policies/apply"


def effective_path(target: Target) -> str | None:
    """``.../effective`` (API.md has it for clusters and the defaults, not for hosts)."""
    return None if target.kind == "host" else policy_path(target) + "/effective"


def scope_fields(target: Target) -> frozenset[str]:
    return HOST_FIELDS if target.kind == "host" else CLUSTER_FIELDS


def clean(value: Any) -> Any:
    """Drop None values recursively (vCenter may return unset optional fields as null)."""
    if isinstance(value, Mapping):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def parse_api_version(text: str | None) -> tuple[int, ...] | None:
    """'9.1.0.0' -> (9, 1, 0, 0); None when unreadable."""
    if not text:
        return None
    numbers = re.findall(r"\d+", str(text))
    return tuple(int(n) for n in numbers) if numbers else None


def managed_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The policy options the user set (None = unset = unmanaged), range-checked (see :func:`check_ranges`).

    Modules call this first, so an out-of-range value fails before any call to vCenter.
    """
    options = {k: params[k] for k in OPTION_FIELD if params.get(k) is not None}
    check_ranges(options)
    return options


def check_ranges(options: Mapping[str, Any]) -> None:
    """Numbers vLCM would refuse (a negative retry count or delay, a parallel host limit outside 1-96), as one
    error naming each module option, its range and the fix."""
    problems = []
    for option, (low, high, meaning) in RANGES.items():
        value = options.get(option)
        if value is None:
            continue
        if value < low or (high is not None and value > high):
            allowed = f"{low}-{high}" if high is not None else f"{low} or more"
            problems.append(f"{option} is {value}: it is {meaning}; give {allowed}")
    if problems:
        raise PolicyError("invalid option value(s), nothing was changed: " + "; ".join(problems))


def validate(scope: Target, options: Mapping[str, Any], api_version: tuple[int, ...] | None,
             api_version_text: str | None = None) -> None:
    """Clear errors before any PUT: value out of range, option not in this scope's spec, 9.1-only option on an
    older server."""
    check_ranges(options)
    unsupported = sorted(o for o in options if OPTION_FIELD[o] not in scope_fields(scope))
    if unsupported:
        raise PolicyError(
            f"option(s) {', '.join(unsupported)} cannot be set for {scope.label}: the apply policy of a "
            f"{'standalone host' if scope.kind == 'host' else scope.kind} has only "
            + ", ".join(sorted(o for o, f in OPTION_FIELD.items() if f in scope_fields(scope))))
    if "live_patch_mode" in options and "enforce_quick_patch" in options:
        raise PolicyError("live_patch_mode and enforce_quick_patch are mutually exclusive: live_patch_mode (vSphere "
                          "9.1) replaces enforce_quick_patch (vSphere 8.0 U3); ENFORCE sets enforce_quick_patch itself")
    if "live_patch_mode" in options and (api_version is None or api_version[:2] < LIVE_PATCH_MIN_API):
        raise PolicyError(
            f"live_patch_mode needs vCenter Server 9.1 or later (vSphere API 9.1.0.0); this vCenter reports API "
            f"version {api_version_text or 'unknown'}. On vCenter 8.0 U3 set enforce_quick_patch instead.",
            api_version=api_version_text)


def desired_spec(configured: Mapping[str, Any], effective: Mapping[str, Any] | None,
                 options: Mapping[str, Any]) -> dict[str, Any]:
    """The configured spec with the user's options applied (fields the user did not set are kept as they are)."""
    current = clean(dict(configured))
    eff = clean(dict(effective or {}))
    new = copy.deepcopy(current)
    if any(k in options for k in ("failure_action", "failure_retry_count", "failure_retry_delay")):
        base = dict(current.get("failure_action") or eff.get("failure_action") or {})
        if "failure_action" in options:
            base["action"] = options["failure_action"]
        if not base.get("action"):
            raise PolicyError("set failure_action (FAIL or RETRY) together with failure_retry_count / "
                              "failure_retry_delay: no failure action is configured yet")
        for option, key in (("failure_retry_count", "retry_count"), ("failure_retry_delay", "retry_delay")):
            if option in options:
                base[key] = options[option]
        if base["action"] == "FAIL":
            if "failure_retry_count" in options or "failure_retry_delay" in options:
                raise PolicyError("failure_retry_count and failure_retry_delay apply only with failure_action: RETRY")
            base.pop("retry_count", None)
            base.pop("retry_delay", None)
        new["failure_action"] = base
    if "pre_remediation_power_action" in options:
        new["pre_remediation_power_action"] = options["pre_remediation_power_action"]
    for key in BOOL_FIELDS:
        if key in options:
            new[key] = bool(options[key])
    if "parallel_remediation" in options or "parallel_max_hosts" in options:
        base = dict(current.get("parallel_remediation_action") or eff.get("parallel_remediation_action") or {})
        if "parallel_remediation" in options:
            base["enabled"] = bool(options["parallel_remediation"])
        if "parallel_max_hosts" in options:
            if options.get("parallel_remediation") is False:
                raise PolicyError("parallel_max_hosts applies only with parallel_remediation: true")
            base["enabled"] = True   # a host limit is asked for: parallel remediation is on
            base["max_hosts"] = options["parallel_max_hosts"]
        base.setdefault("enabled", False)
        if not base["enabled"]:
            base.pop("max_hosts", None)
        new["parallel_remediation_action"] = base
    if "live_patch_mode" in options:
        software = dict(current.get("software_policy_spec") or {})
        software["live_patch_action"] = {"live_patch_mode": LIVE_PATCH_MODES[options["live_patch_mode"]]}
        new["software_policy_spec"] = software
        new.pop("enforce_quick_patch", None)   # must not be set together; vCenter derives it from the mode
    return new


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Top-level fields whose value differs."""
    keys = set(before) | set(after)
    return sorted(k for k in keys if clean(before.get(k)) != clean(after.get(k)))


# ----------------------------------------------------------------------------- REST
def read(client: Client, scope: Target) -> dict[str, Any]:
    return clean(client.get(policy_path(scope)) or {})


def read_effective(client: Client, scope: Target) -> dict[str, Any] | None:
    path = effective_path(scope)
    return clean(client.get(path) or {}) if path else None


def write(client: Client, scope: Target, spec: Mapping[str, Any]) -> None:
    client.put(policy_path(scope), json=dict(spec))
