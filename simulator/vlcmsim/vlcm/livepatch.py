"""Live patch (ESXi 8.0 U3 "quick patch", vSphere 9.x live patch): every rule in one place.

A pure module: it reads the model and says whether a host will be live patched, and why not; it changes
nothing. Compliance (impact, notifications), the pre-check, the apply (live patch or regular remediation per
host, the ENFORCE refusal), the apply impact and /sim/state all ask it.

The setting (`mode`)
    8.0 U3: ConfiguredPolicySpec.enforce_quick_patch ("Enforce quick patch on the cluster for images that
    support it", binding docstring, vSphere API 8.0.3.0) -> ENFORCE, else DISABLE; 8.0 U3 has no AUTO.
    9.1: software_policy_spec.live_patch_action.live_patch_mode: DISABLE_LIVE_PATCH; AUTO_LIVE_PATCH ("Perform
    Live Patch when possible. Use full maintenance mode for hosts that cannot perform Live Patch");
    ENFORCE_LIVE_PATCH ("Disallow remediation if there is a host that cannot perform Live Patch"), binding
    ClusterLivePatchAction.LivePatchMode (vSphere API 9.1.0.0). The two fields are kept in step by
    `policies.effective_policies` (binding: setting enforce_quick_patch true sets ENFORCE, false DISABLE).
    Live patch is a cluster policy: a standalone host's ConfiguredPolicySpec has neither field.

Which images: a desired image is live-patchable for a host when the only difference is the base image and the
depot entry of the desired base image lists the host's installed base image in quick_patch_compatible_versions
("For base images this base image can quick patch from ... If None this base image does not support quick
patch", binding BaseImageDetails). Any add-on, component, removed-component or firmware change needs a
reboot. ENFORCE applies to "images that support it": it binds a remediation when the desired image can be live
patched onto at least one of its hosts that needs it; otherwise (a regular update: a major version, an add-on
or firmware change, a base image without quick_patch_compatible_versions) remediation is the regular one even
under ENFORCE (our reading of the 8.0.3 docstring; otherwise ENFORCE would block every regular update).

The prerequisites of a host are HOST_RULES below, the VMs that cannot fast-suspend-resume VM_RULES.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.hosts import vmotion_blocker
from ..model import VM, Cluster, DepotBaseImage, Host, Image, World
from .targets import Target

DISABLE = "DISABLE_LIVE_PATCH"
AUTO = "AUTO_LIVE_PATCH"
ENFORCE = "ENFORCE_LIVE_PATCH"

# vim.host.PartialMaintenanceModeId of live patch
PARTIAL_MM_NAME = "quickPatchPartialMM"
# ImpactDetails.partial_maintenance_mode_upgrade_actions ("Upgrade actions to be performed before exiting
# partial maintenance mode"): the binding gives no values; these names are the simulator's
FSR_ACTION = "VM_FAST_SUSPEND_RESUME"
HOSTD_ACTION = "HOSTD_RESTART"

LIVE_PATCH_TARGETS = ("vmx", "vmkernel", "hostd", "nsx")
# 8.0 U3 patches the VM execution runtime only; "In vSphere with VMware Cloud Foundation (VCF) 9.0, the surface
# area of ESX that can be live patched has been dramatically expanded. This includes the vmkernel, user-space
# daemons, NSX components as well as the existing live patch capable virtual machine execution runtime (vmx)"
# (VMware blog, "Live Patch gets even better in vSphere with VCF 9.0", 2025-07-15)
TARGETS_SINCE_90 = ("vmkernel", "hostd", "nsx")

NOTE = "com.vmware.vcIntegrity.lifecycle.LivePatch."     # notification ids: NOTE + what, e.g. NOTE + "Ineligible.TPM"


def version_tuple(text: str) -> tuple[int, int, int]:
    """'8.0.3' or '8.0.3-0.35.24280767' -> (8, 0, 3)."""
    parts = (text.split("-")[0].split(".") + ["0", "0", "0"])[:3]
    return tuple(int(p) if p.isdigit() else 0 for p in parts)  # type: ignore[return-value]


def esx_version(host: Host) -> tuple[int, int, int]:
    """The ESXi version the host runs: that of its installed base image (else the scenario's version)."""
    return version_tuple(host.installed.base_image if host.installed else host.version)


# --------------------------------------------------------------------------- the rules table


@dataclass(frozen=True)
class Facts:
    """What the host rules look at, gathered once per host."""

    host: Host
    cluster: Cluster | None
    vcenter: tuple[int, int, int]
    esx: tuple[int, int, int]


@dataclass(frozen=True)
class Rule:
    """A live patch prerequisite of a host: `blocks(facts)` is True when it is not met."""

    code: str
    blocks: Callable[[Facts], bool]
    message: Callable[[Facts], str]
    resolution: str
    source: str


def _drs_off(f: Facts) -> bool:
    return f.cluster is not None and not f.cluster.drs_enabled


def _drs_partial(f: Facts) -> bool:
    return f.cluster is not None and f.cluster.drs_enabled and f.cluster.drs_behavior != "fullyAutomated"


def _tpm_blocks(f: Facts) -> bool:
    # 8.0 U3 and 9.0: "Live Patch is not compatible with systems configured with TPM devices" (seed 004; VMware's
    # 8.0 U3 live patch post of 2024-07-11). 9.1 differs: "VCF 9.1 introduces Live Patching for ESX hosts equipped
    # with a TPM" (blog-beo.pages.dev, "What's new in VCF 9.1, 4/4: security & resilience", citing the VCF 9.1
    # documentation; the only 9.1 source we found, secondary). The host's software decides, and vCenter must
    # be 9.1 to manage it: a TPM blocks unless both run 9.1 or later.
    return f.host.tpm and not (f.esx >= (9, 1, 0) and f.vcenter >= (9, 1, 0))


_SEED = "seed 004 (ESXi 8.0 U3 live patch prerequisites)"

HOST_RULES: tuple[Rule, ...] = (
    Rule("STANDALONE_HOST", lambda f: f.cluster is None,
         lambda f: f"host {f.host.name} is a standalone host: live patch is a cluster remediation policy "
                   "(enforce_quick_patch / live_patch_action) and needs DRS",
         "Move the host into a DRS cluster managed with a single image to live patch it.",
         "bindings: hosts.policies.apply.ConfiguredPolicySpec has no live patch field"),
    Rule("VCENTER_VERSION", lambda f: f.vcenter < (8, 0, 3),
         lambda f: "vCenter Server runs {}.{}.{}; live patch needs vCenter Server 8.0 Update 3 or later".format(*f.vcenter),
         "Upgrade vCenter Server to 8.0 Update 3 or later.", _SEED),
    Rule("HOST_VERSION", lambda f: f.esx < (8, 0, 3),
         lambda f: "host {} runs ESXi {}.{}.{}; live patch needs ESXi 8.0 Update 3 or later".format(f.host.name, *f.esx),
         "Upgrade the host to ESXi 8.0 Update 3 or later with a regular remediation first.", _SEED),
    Rule("DRS_DISABLED", _drs_off,
         lambda f: f"DRS is not enabled on cluster {f.cluster.name}; live patch needs DRS enabled in fully "  # type: ignore[union-attr]
                   "automated mode",
         "Enable DRS on the cluster and set it to fully automated.", _SEED),
    Rule("DRS_NOT_FULLY_AUTOMATED", _drs_partial,
         lambda f: f"DRS is {f.cluster.drs_behavior} on cluster {f.cluster.name}; live patch needs DRS in fully "  # type: ignore[union-attr]
                   "automated mode",
         "Set DRS on the cluster to fully automated.", _SEED),
    Rule("TPM", _tpm_blocks,
         lambda f: f"host {f.host.name} has a TPM; live patch is not compatible with hosts configured with a TPM "
                   "device before ESX and vCenter 9.1",
         "Remediate the host with a reboot (or run ESX and vCenter Server 9.1 or later).",
         _SEED + "; 9.1: blog-beo.pages.dev, What's new in VCF 9.1 (4/4)"),
    Rule("DPU", lambda f: f.host.dpu,
         lambda f: f"host {f.host.name} has a DPU (vSphere Distributed Services Engine); live patch is not "
                   "compatible with hosts configured with DPUs",
         "Remediate the host with a reboot.", _SEED + "; no 9.x source lifts it"),
)


@dataclass(frozen=True)
class VmRule:
    """A reason a powered-on VM cannot fast-suspend-resume (FSR) onto the patched vmx (seed 004: "VMs configured
    with vSphere Fault Tolerance, VMs using Direct Path I/O and vSphere Pods cannot use FSR and need to be
    manually remediated ... VMs participating in Shared-Disk clustering configuration ... do not support FSR")."""

    code: str
    applies: Callable[[VM], bool]
    text: str


VM_RULES: tuple[VmRule, ...] = (
    VmRule("FAULT_TOLERANCE", lambda vm: vm.fault_tolerance, "is protected by vSphere Fault Tolerance"),
    VmRule("DIRECTPATH_IO", lambda vm: vm.directpath, "uses DirectPath I/O (a PCI passthrough device)"),
    VmRule("VSPHERE_POD", lambda vm: vm.vsphere_pod, "is a vSphere Pod"),
    VmRule("SHARED_DISK", lambda vm: vm.shared_disk,
           "takes part in shared-disk clustering (a shared SCSI bus / multi-writer disk)"),
)


def fsr_blocker(vm: VM) -> VmRule | None:
    """The first VM_RULES entry that keeps this VM from fast-suspend-resuming, or None."""
    return next((r for r in VM_RULES if r.applies(vm)), None)


def vm_fix(vm: VM) -> str:
    """What brings a VM that was not fast-suspend-resumed onto the patched revision (seed 004: "Manual
    remediation can either be done by migrating the virtual machine or by power cycling the virtual machine")."""
    why = vmotion_blocker(vm)
    if why is None:
        return ("migrate it with vMotion (to an already patched host, or away and back) or power cycle it, "
                "then scan the host again")
    return f"power cycle it (it {why} and cannot be migrated with vMotion), then scan the host again"


# --------------------------------------------------------------------------- what the rules say


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    resolution: str


@dataclass(frozen=True)
class VmIssue:
    vm: VM
    code: str
    text: str

    @property
    def message(self) -> str:
        return f"VM '{self.vm.name}' ({self.vm.id}) {self.text} and cannot be fast-suspend-resumed"


@dataclass
class Assessment:
    """The live patch verdict for one host against one image under the cluster's setting."""

    mode: str                                   # DISABLE / AUTO / ENFORCE
    changes: bool                               # the host does not run the image yet
    enforced: bool = False                      # ENFORCE binds: the image live patches some host of the scope
    reasons: list[Reason] = field(default_factory=list)     # why not (empty: eligible, if it changes)
    targets: tuple[str, ...] = ()               # what the live patch patches (DepotBaseImage.live_patch_targets)
    incompatible_vms: list[VmIssue] = field(default_factory=list)  # powered-on VMs that will not FSR

    @property
    def eligible(self) -> bool:
        """The host will be live patched by a remediation now."""
        return self.mode != DISABLE and self.changes and not self.reasons

    @property
    def in_play(self) -> bool:
        """The setting is on and concerns this host: its remediation is a live patch or a refused/fallen-back one
        (ENFORCE only binds images that support live patch; AUTO says why it falls back for any image)."""
        return self.changes and (self.mode == AUTO or (self.mode == ENFORCE and self.enforced))

    @property
    def refused(self) -> bool:
        """ENFORCE refuses the remediation because of this host."""
        return self.mode == ENFORCE and self.enforced and self.changes and bool(self.reasons)

    @property
    def needs_fsr(self) -> bool:
        return "vmx" in self.targets

    @property
    def restarts_hostd(self) -> bool:
        return "hostd" in self.targets

    def upgrade_actions(self) -> list[str]:
        return ([FSR_ACTION] if self.needs_fsr else []) + ([HOSTD_ACTION] if self.restarts_hostd else [])

    def reason_text(self) -> str:
        return "; ".join(r.message for r in self.reasons)


def mode(world: World, target: Target, policies: dict[str, Any]) -> str:
    """The effective live patch mode of a target (standalone hosts: always DISABLE)."""
    if target.kind != "cluster":
        return DISABLE
    if world.is_91:
        lpa = (policies.get("software_policy_spec") or {}).get("live_patch_action") or {}
        return lpa.get("live_patch_mode") or (ENFORCE if policies.get("enforce_quick_patch") else DISABLE)
    return ENFORCE if policies.get("enforce_quick_patch") else DISABLE


def depot_base_image(world: World, version: str) -> DepotBaseImage | None:
    return next((b for b in world.depot.base_images if b.version == version), None)


def _image_reasons(world: World, host: Host, desired: Image, bi: DepotBaseImage | None) -> list[Reason]:
    inst = host.installed
    out: list[Reason] = []
    if bi is None or not bi.quick_patch_compatible_versions:
        out.append(Reason("IMAGE_NOT_LIVE_PATCHABLE",
                          f"the desired base image {desired.base_image} is not a live patch image (its depot entry "
                          "lists no quick_patch_compatible_versions)",
                          "Remediate with a reboot, or choose a live patch capable base image."))
    elif inst is None or inst.base_image == desired.base_image:
        pass
    elif inst.base_image not in bi.quick_patch_compatible_versions:
        listed = ", ".join(sorted(bi.quick_patch_compatible_versions)) or "none"
        out.append(Reason("INSTALLED_VERSION_NOT_COMPATIBLE",
                          f"the desired base image {desired.base_image} cannot be live patched onto the installed "
                          f"base image {inst.base_image} of host {host.name} (it live patches from: {listed})",
                          "Remediate the host with a reboot to a version the live patch applies to."))
    if inst is not None:
        other = [what for what, differs in (
            ("the vendor add-on", inst.add_on != desired.add_on),
            ("components", inst.components != desired.components),
            ("removed components", inst.removed_components != desired.removed_components),
            ("firmware (hardware support)", inst.hardware_support != desired.hardware_support)) if differs]
        if other:
            out.append(Reason("IMAGE_NEEDS_REBOOT",
                              f"the desired image also changes {', '.join(other)} on host {host.name}; only a base "
                              "image change can be live patched",
                              "Remediate with a reboot, or keep the add-on, components and firmware unchanged."))
    return out


def facts(world: World, host: Host) -> Facts:
    cl = world.clusters.get(host.cluster) if host.cluster else None
    return Facts(host=host, cluster=cl, vcenter=version_tuple(world.vcenter_version), esx=esx_version(host))


def host_reasons(world: World, host: Host) -> list[Reason]:
    """The HOST_RULES a host does not meet."""
    f = facts(world, host)
    return [Reason(r.code, r.message(f), r.resolution) for r in HOST_RULES if r.blocks(f)]


def incompatible_vms(world: World, host: Host, vms: Iterable[VM] | None = None) -> list[VmIssue]:
    """The powered-on VMs of a host that cannot fast-suspend-resume, by name."""
    out = []
    for vm in (world.vms.values() if vms is None else vms):
        if vm.host == host.id and vm.power_state == "poweredOn":
            rule = fsr_blocker(vm)
            if rule is not None:
                out.append(VmIssue(vm, rule.code, rule.text))
    return sorted(out, key=lambda i: i.vm.name)


def assess(world: World, target: Target, host: Host, desired: Image, policies: dict[str, Any],
           with_vms: bool = True, scope: list[Host] | None = None) -> Assessment:
    """The live patch verdict of `host` for `desired` under the target's effective `policies`; `scope` is the set of
    hosts of the remediation (default: the target's hosts), which decides whether ENFORCE binds. Caller holds
    the lock."""
    m = mode(world, target, policies)
    bi = depot_base_image(world, desired.base_image)
    changes = host.installed != desired
    a = Assessment(mode=m, changes=changes, targets=tuple(bi.live_patch_targets) if bi else ())
    if m == ENFORCE:
        a.enforced = any(h.installed != desired and not _image_reasons(world, h, desired, bi)
                         for h in (scope if scope is not None else target.hosts(world)))
    if m == DISABLE:
        why = ("live patch is a cluster policy; standalone hosts are remediated with a reboot"
               if target.kind != "cluster" else
               "live patch is disabled on cluster " + target.name
               + (" (live_patch_mode DISABLE_LIVE_PATCH)" if world.is_91 else " (enforce_quick_patch is false)"))
        a.reasons.append(Reason("LIVE_PATCH_DISABLED", why,
                                "Set live_patch_mode AUTO or ENFORCE (vCenter 9.1) or enforce_quick_patch (8.0 U3) "
                                "in the cluster's remediation policy."))
    a.reasons += host_reasons(world, host) + (_image_reasons(world, host, desired, bi) if changes else [])
    if with_vms and changes and a.needs_fsr and m != DISABLE:
        a.incompatible_vms = incompatible_vms(world, host)
    return a


def enforce_refusal(world: World, target: Target, hosts: list[Host], desired: Image,
                    policies: dict[str, Any]) -> list[tuple[Host, Assessment]]:
    """Under ENFORCE with a live patch image: the hosts to remediate that cannot be live patched (empty: go on).
    Caller holds the lock."""
    if mode(world, target, policies) != ENFORCE:
        return []
    found = [(h, assess(world, target, h, desired, policies, with_vms=False, scope=hosts)) for h in hosts]
    return [(h, a) for h, a in found if a.refused]


def refusal_text(target: Target, refused: list[tuple[Host, Assessment]]) -> str:
    return (f"Live patch is enforced on cluster {target.name} and {len(refused)} host(s) cannot be live patched: "
            + " | ".join(f"{h.name}: {a.reason_text()}" for h, a in refused)
            + ". Nothing was changed; fix the prerequisites, remediate those hosts separately, or set the live "
              "patch mode to AUTO.")


def pending_vms(world: World, host: Host) -> list[VM]:
    """The VMs still on the previous vmx revision after a live patch (they keep the host NON_COMPLIANT)."""
    return sorted((world.vms[v] for v in host.live_patch_pending_vms if v in world.vms), key=lambda v: v.name)


def summary(world: World, target: Target | None, host: Host, desired: Image | None,
            policies: dict[str, Any] | None) -> dict[str, Any]:
    """The verdict as plain data, for /sim/state (the oracle of the collection's live_patch_info tests)."""
    pending = [v.id for v in pending_vms(world, host)]
    if target is None or desired is None or policies is None:
        return {"mode": DISABLE, "eligible": False, "reasons": [], "pending_vms": pending}
    a = assess(world, target, host, desired, policies)
    return {"mode": a.mode, "eligible": a.eligible, "needs_change": a.changes,
            "reasons": [r.code for r in a.reasons], "targets": list(a.targets),
            "incompatible_vms": [{"vm": i.vm.id, "name": i.vm.name, "reason": i.code} for i in a.incompatible_vms],
            "pending_vms": pending}
