"""Apply policies: configured specs (cluster, standalone host, global defaults) and the
effective merge; validation against the binding's ConfiguredPolicySpec (8.0 U3 vs 9.1 fields)."""

from __future__ import annotations

from typing import Any

from ..core.errors import VapiError
from ..model import World
from .targets import Target

# --------------------------------------------------------------------------- policies

_BUILTIN_CLUSTER = {
    "failure_action": {"action": "RETRY", "retry_delay": 300, "retry_count": 3},
    "pre_remediation_power_action": "DO_NOT_CHANGE_VMS_POWER_STATE",
    "enable_quick_boot": False, "disable_dpm": True, "disable_hac": False, "evacuate_offline_vms": False,
    "enforce_hcl_validation": False, "parallel_remediation_action": {"enabled": False},
    "enforce_quick_patch": False,
}
_POWER_ACTIONS = {"POWER_OFF_VMS", "SUSPEND_VMS", "DO_NOT_CHANGE_VMS_POWER_STATE", "SUSPEND_VMS_TO_MEMORY"}
_CLUSTER_FIELDS = {"failure_action", "pre_remediation_power_action", "enable_quick_boot", "disable_dpm",
                   "disable_hac", "evacuate_offline_vms", "enforce_hcl_validation",
                   "parallel_remediation_action", "enforce_quick_patch", "software_policy_spec",
                   "config_manager_policy_spec"}
_HOST_FIELDS = {"failure_action", "pre_remediation_power_action", "enable_quick_boot", "software_policy_spec"}
_ONLY_91 = {"software_policy_spec"}
_LIVE_PATCH_MODES = {"DISABLE_LIVE_PATCH", "AUTO_LIVE_PATCH", "ENFORCE_LIVE_PATCH"}


def _bad(field: str, why: str) -> VapiError:
    return VapiError("INVALID_ARGUMENT", f"Invalid value for field '{field}': {why}.",
                     "com.vmware.vapi.std.errors.invalid_argument", [field])


def _bool(spec: dict[str, Any], key: str, prefix: str) -> None:
    if key in spec and spec[key] is not None and not isinstance(spec[key], bool):
        raise _bad(prefix + key, "expected a boolean")


def _int(spec: dict[str, Any], key: str, prefix: str, minimum: int) -> None:
    v = spec.get(key)
    if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < minimum):
        raise _bad(prefix + key, f"expected an integer >= {minimum}")


def validate_policy_spec(world: World, spec: Any, kind: str) -> dict[str, Any]:
    """Validate a ConfiguredPolicySpec (cluster, host or global defaults); returns the set fields."""
    if not isinstance(spec, dict):
        raise VapiError("INVALID_ARGUMENT", "The policy spec must be a JSON object.")
    allowed = _HOST_FIELDS if kind == "host" else _CLUSTER_FIELDS
    for key in spec:
        if key not in allowed:
            raise _bad(key, "unknown field of ConfiguredPolicySpec")
        if key in _ONLY_91 and spec[key] is not None and not world.is_91:
            raise VapiError("INVALID_ARGUMENT",
                            f"Field '{key}' is not supported by this vCenter Server ({world.vcenter_version}); "
                            "it requires vCenter Server 9.1 or later.",
                            "com.vmware.vapi.std.errors.invalid_argument", [key])
    out = {k: v for k, v in spec.items() if v is not None}
    fa = out.get("failure_action")
    if fa is not None:
        if not isinstance(fa, dict) or fa.get("action") not in ("FAIL", "RETRY"):
            raise _bad("failure_action.action", "expected FAIL or RETRY")
        _int(fa, "retry_delay", "failure_action.", 0)
        _int(fa, "retry_count", "failure_action.", 0)
        extra = set(fa) - {"action", "retry_delay", "retry_count"}
        if extra:
            raise _bad("failure_action." + sorted(extra)[0], "unknown field")
        for key in ("retry_delay", "retry_count"):     # the binding's union on `action`
            if fa["action"] == "RETRY" and fa.get(key) is None:
                raise _bad(f"failure_action.{key}", "required when action is RETRY")
            if fa["action"] == "FAIL" and fa.get(key) is not None:
                raise _bad(f"failure_action.{key}", "not allowed when action is FAIL")
    pa = out.get("pre_remediation_power_action")
    if pa is not None and pa not in _POWER_ACTIONS:
        raise _bad("pre_remediation_power_action", f"expected one of {sorted(_POWER_ACTIONS)}")
    for key in ("enable_quick_boot", "disable_dpm", "disable_hac", "evacuate_offline_vms",
                "enforce_hcl_validation", "enforce_quick_patch"):
        _bool(out, key, "")
    pra = out.get("parallel_remediation_action")
    if pra is not None:
        if not isinstance(pra, dict) or not isinstance(pra.get("enabled"), bool):
            raise _bad("parallel_remediation_action.enabled", "expected a boolean")
        _int(pra, "max_hosts", "parallel_remediation_action.", 1)
        if isinstance(pra.get("max_hosts"), int) and pra["max_hosts"] > 96:     # vSphere: 96 hosts per cluster
            raise _bad("parallel_remediation_action.max_hosts", "expected an integer from 1 to 96")
    sps = out.get("software_policy_spec")
    if sps is not None:
        if not isinstance(sps, dict):
            raise _bad("software_policy_spec", "expected an object")
        lpa = sps.get("live_patch_action")
        if lpa is not None and (not isinstance(lpa, dict) or lpa.get("live_patch_mode") not in _LIVE_PATCH_MODES):
            raise _bad("software_policy_spec.live_patch_action.live_patch_mode",
                       f"expected one of {sorted(_LIVE_PATCH_MODES)}")
    cmp_ = out.get("config_manager_policy_spec")
    if cmp_ is not None and not isinstance(cmp_, dict):
        raise _bad("config_manager_policy_spec", "expected an object")
    return out


_BUILTIN_HOST = {
    "failure_action": {"action": "RETRY", "retry_delay": 300, "retry_count": 3},
    "pre_remediation_power_action": "DO_NOT_CHANGE_VMS_POWER_STATE",
    "enable_quick_boot": False,
}


def _globals(world: World, kind: str) -> dict[str, Any]:
    return world.global_host_policies if kind == "host" else world.global_policies


def get_policies(world: World, target: Target | None, defaults_kind: str = "cluster") -> dict[str, Any]:
    """The configured policy spec of a target, or of the cluster/host defaults (target None)."""
    with world.lock:
        src = _globals(world, defaults_kind) if target is None else target.obj.policies
        return dict(src)


def set_policies(world: World, target: Target | None, spec: Any, defaults_kind: str = "cluster") -> None:
    kind = defaults_kind if target is None else target.kind
    clean = validate_policy_spec(world, spec, kind)
    with world.lock:
        if target is None and defaults_kind == "host":
            world.global_host_policies = clean
        elif target is None:
            world.global_policies = clean
        else:
            target.obj.policies = clean


def effective_policies(world: World, target: Target | None, defaults_kind: str = "cluster") -> dict[str, Any]:
    """Built-in defaults <- the global defaults (clusters or hosts) <- the target's configured policies."""
    kind = defaults_kind if target is None else target.kind
    with world.lock:
        builtin = _BUILTIN_HOST if kind == "host" else _BUILTIN_CLUSTER
        eff: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in builtin.items()}
        if world.is_91 and kind == "cluster":
            eff["software_policy_spec"] = {"live_patch_action": {"live_patch_mode": "DISABLE_LIVE_PATCH"}}
        layers = [_globals(world, kind)] + ([target.obj.policies] if target is not None else [])
        mode = "DISABLE_LIVE_PATCH"
        for layer in layers:
            for k, v in layer.items():
                eff[k] = dict(v) if isinstance(v, dict) else v
            mode = _layer_live_patch_mode(layer) or mode
        if world.is_91 and kind == "cluster":
            # 9.1 keeps the two live patch fields in step (binding docstrings of ConfiguredPolicySpec
            # .enforce_quick_patch: "When this field is set to true, ...livePatchMode will be set to ENFORCE_LIVE_PATCH
            # automatically. When this field is set to false, ... DISABLE_LIVE_PATCH", and of
            # ClusterSoftwarePolicySpec.live_patch_action: ENFORCE sets enforce_quick_patch true, other values false);
            # the most specific layer that sets either decides
            sps = dict(eff.get("software_policy_spec") or {})
            sps["live_patch_action"] = {"live_patch_mode": mode}
            eff["software_policy_spec"] = sps
            eff["enforce_quick_patch"] = mode == "ENFORCE_LIVE_PATCH"
        return eff


def _layer_live_patch_mode(layer: dict[str, Any]) -> str | None:
    """The live patch mode one configured layer sets (9.1: live_patch_action wins over enforce_quick_patch)."""
    lpa = (layer.get("software_policy_spec") or {}).get("live_patch_action")
    if lpa and lpa.get("live_patch_mode"):
        return str(lpa["live_patch_mode"])
    if "enforce_quick_patch" in layer:
        return "ENFORCE_LIVE_PATCH" if layer["enforce_quick_patch"] else "DISABLE_LIVE_PATCH"
    return None
