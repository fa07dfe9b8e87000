# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live patch (ESXi 8.0 U3 "quick patch", vSphere 9.x live patch): will a host be live patched, and why not.

Two sources, compared:

- the vLCM scan (REST ``software/compliance``): per host ``impact`` (``PARTIAL_MAINTENANCE_MODE_REQUIRED`` = vLCM
  will live patch it), ``impact_details.partial_maintenance_mode_upgrade_actions``, notifications whose ids start
  with ``com.vmware.vcIntegrity.lifecycle.LivePatch.`` (``Ineligible.<CODE>`` args [host, CODE];
  ``VmIncompatible.<CODE>`` / ``VmPending.<CODE>`` args [VM name, VM id, CODE, host]), the base image versions;
  the effective apply policy (``enforce_quick_patch``; 9.1 ``software_policy_spec.live_patch_action``) and the
  depot entry of the desired base image (``quick_patch_compatible_versions``);
- one PropertyCollector pass over SOAP (:data:`HOST_PROPERTIES`, :data:`VM_PROPERTIES`, the cluster's
  ``configurationEx``) and vCenter's ``about.version``: the prerequisites of seed 004 (vCenter and ESXi 8.0 U3,
  DRS enabled and fully automated, no TPM, no DPU) and the VMs that cannot fast-suspend-resume (Fault
  Tolerance, DirectPath I/O, vSphere Pods, shared-disk clustering).

Every property name here is one pyVmomi declares (``vim.host.Capability.tpmSupported`` / ``tpmVersion``,
``vim.host.Summary.tpmAttestation``, ``vim.host.PhysicalNic.dpuId``, ``vim.host.HardwareStatusInfo.dpuStatusInfo``,
``vim.host.RuntimeInfo.partialMaintenanceMode``, ``vim.vm.RuntimeInfo.faultToleranceState``).

The shaping functions take plain rows (pyVmomi values or look-alikes) and know nothing of Ansible or I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _vlcm as vlcm
from ansible_collections.vsphere.lifecycle.plugins.module_utils._capacity import (
    drs_settings,
    unmovable_reason,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._rest import Client
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Selection, Target

DISABLE = "DISABLE_LIVE_PATCH"
AUTO = "AUTO_LIVE_PATCH"
ENFORCE = "ENFORCE_LIVE_PATCH"
PARTIAL_MM = "PARTIAL_MAINTENANCE_MODE_REQUIRED"
NOTE = "com.vmware.vcIntegrity.lifecycle.LivePatch."
IMAGE_CODES = ("IMAGE_NOT_LIVE_PATCHABLE", "INSTALLED_VERSION_NOT_COMPATIBLE", "IMAGE_NEEDS_REBOOT")
MIN_VERSION = (8, 0, 3)
TPM_LIFTED = (9, 1, 0)     # VCF 9.1 live patches hosts with a TPM (host and vCenter 9.1); see docs/live-patch.md

HOST_PROPERTIES = ("name", "parent", "config.product.version", "config.product.build", "runtime.connectionState",
                   "runtime.inMaintenanceMode", "runtime.partialMaintenanceMode", "capability.tpmSupported",
                   "capability.tpmVersion", "summary.tpmAttestation", "config.network.pnic",
                   "runtime.healthSystemRuntime.hardwareStatusInfo.dpuStatusInfo")
VM_PROPERTIES = ("name", "runtime.host", "runtime.powerState", "runtime.faultToleranceState", "config.template",
                 "config.guestId", "config.hardware.device")
CLUSTER_PROPERTIES = ("name", "configurationEx")


def version_tuple(text: Any) -> tuple[int, int, int]:
    """'8.0.3' or '8.0.3-0.35.24280767' -> (8, 0, 3); anything unreadable -> (0, 0, 0)."""
    parts = (str(text or "").split("-", maxsplit=1)[0].split(".") + ["0", "0", "0"])[:3]
    return tuple(int(p) if p.isdigit() else 0 for p in parts)  # type: ignore[return-value]


def dotted(version: tuple[int, int, int]) -> str:
    return ".".join(str(v) for v in version)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _moid(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "_moId", value))


# ----------------------------------------------------------------------------- the setting
def mode_of(policies: Mapping[str, Any] | None, target: Target) -> tuple[str, str]:
    """(mode, the field that says so) from an effective apply policy; standalone hosts have no live patch policy."""
    if target.kind != "cluster":
        return DISABLE, "none (standalone host)"
    policies = policies or {}
    lpa = ((policies.get("software_policy_spec") or {}).get("live_patch_action") or {})
    if lpa.get("live_patch_mode"):
        return str(lpa["live_patch_mode"]), "software_policy_spec.live_patch_action.live_patch_mode"
    return (ENFORCE if policies.get("enforce_quick_patch") else DISABLE), "enforce_quick_patch"


def short_mode(mode: str) -> str:
    """ENFORCE_LIVE_PATCH -> ENFORCE."""
    return mode.replace("_LIVE_PATCH", "")


# ----------------------------------------------------------------------------- reads
def read_rows(soap: Any, selection: Selection) -> list[dict[str, Any]]:
    """One PropertyCollector pass: hosts, VMs and the cluster's own ``configurationEx`` (a standalone host: its
    own VMs, the host as container)."""
    target = selection.target
    props = {"HostSystem": HOST_PROPERTIES, "VirtualMachine": VM_PROPERTIES}
    if target.kind == "cluster":
        return soap.collect(soap.ref("ClusterComputeResource", target.id), props,
                            container_properties=CLUSTER_PROPERTIES)
    host = soap.ref("HostSystem", target.id)
    rows = soap.collect(host, {"VirtualMachine": VM_PROPERTIES}, container_properties=HOST_PROPERTIES)
    for row in rows:
        if row.get("moid") == target.id:
            row["type"] = "HostSystem"
    return rows


def vcenter_version(soap: Any) -> tuple[int, int, int]:
    return version_tuple(getattr(soap.content().about, "version", None))


def quick_patch_versions(client: Client, base_image: str | None) -> dict[str, str] | None:
    """``quick_patch_compatible_versions`` of the depot entry of ``base_image`` (None: not a live patch image or
    not in the depot); ``GET depot-content/base-images`` filtered by ``min_version``."""
    if not base_image:
        return None
    for item in client.get("/api/esx/settings/depot-content/base-images",
                           params={"min_version": base_image}) or []:
        if item.get("version") == base_image:
            return dict(item.get("quick_patch_compatible_versions") or {}) or None
    return None


# ----------------------------------------------------------------------------- inventory facts
@dataclass
class HostFacts:
    id: str
    name: str
    version: str | None = None
    build: str | None = None
    connection_state: str | None = None
    in_maintenance: bool = False
    partial_maintenance: str | None = None      # notInPartialMM / enteringPartialMM / inPartialMM / exitingPartialMM
    tpm: bool = False
    tpm_version: str | None = None
    dpu: bool = False
    cluster: str | None = None


def host_facts(row: Mapping[str, Any]) -> HostFacts:
    pmm = None
    for item in row.get("runtime.partialMaintenanceMode") or []:
        if _text(getattr(item, "key", None)) == "quickPatchPartialMM":
            pmm = _text(getattr(item, "hostStatus", None))
    tpm = bool(row.get("capability.tpmSupported")) or row.get("summary.tpmAttestation") is not None
    dpu = any(getattr(nic, "dpuId", None) for nic in row.get("config.network.pnic") or []) \
        or bool(row.get("runtime.healthSystemRuntime.hardwareStatusInfo.dpuStatusInfo"))
    parent = row.get("parent")
    return HostFacts(
        id=row["moid"], name=str(row.get("name") or row["moid"]),
        version=_text(row.get("config.product.version")), build=_text(row.get("config.product.build")),
        connection_state=_text(row.get("runtime.connectionState")),
        in_maintenance=bool(row.get("runtime.inMaintenanceMode")), partial_maintenance=pmm,
        tpm=tpm, tpm_version=_text(row.get("capability.tpmVersion")), dpu=dpu,
        cluster=_moid(parent) if type(parent).__name__.endswith("ClusterComputeResource") else None)


VM_BLOCKERS = {
    "FAULT_TOLERANCE": "is protected by vSphere Fault Tolerance",
    "DIRECTPATH_IO": "uses DirectPath I/O (a PCI passthrough device)",
    "VSPHERE_POD": "is a vSphere Pod",
    "SHARED_DISK": "takes part in shared-disk clustering (a SCSI controller with bus sharing or a multi-writer disk)",
}


def fsr_blocker(row: Mapping[str, Any]) -> str | None:
    """The code of why a VM cannot fast-suspend-resume (seed 004: FT, DirectPath I/O, vSphere Pods, shared-disk
    clustering), or None."""
    if _text(row.get("runtime.faultToleranceState")) not in (None, "notConfigured"):
        return "FAULT_TOLERANCE"
    if str(row.get("config.guestId") or "").startswith("crxPod"):
        return "VSPHERE_POD"
    for device in row.get("config.hardware.device") or []:
        if type(device).__name__.endswith("VirtualPCIPassthrough"):
            return "DIRECTPATH_IO"
    for device in row.get("config.hardware.device") or []:
        if _text(getattr(device, "sharedBus", None)) in ("physicalSharing", "virtualSharing"):
            return "SHARED_DISK"
        if _text(getattr(getattr(device, "backing", None), "sharing", None)) == "sharingMultiWriter":
            return "SHARED_DISK"
    return None


@dataclass
class VmFacts:
    id: str
    name: str
    host: str | None
    powered_on: bool
    blocker: str | None
    cannot_move: str | None      # why vMotion cannot move it (None: it can)


def vm_facts(row: Mapping[str, Any]) -> VmFacts:
    return VmFacts(id=row["moid"], name=str(row.get("name") or row["moid"]), host=_moid(row.get("runtime.host")),
                   powered_on=_text(row.get("runtime.powerState")) == "poweredOn", blocker=fsr_blocker(row),
                   cannot_move=unmovable_reason(row))


def inventory(rows: Sequence[Mapping[str, Any]], cluster_id: str | None) -> tuple[dict[str, HostFacts], list[VmFacts],
                                                                                  dict[str, Any] | None]:
    """(hosts by id, VMs (templates left out), the cluster's DRS ``{"enabled", "behavior"}`` or None)."""
    hosts = {r["moid"]: host_facts(r) for r in rows if r.get("type") == "HostSystem"}
    vms = [vm_facts(r) for r in rows if r.get("type") == "VirtualMachine" and not r.get("config.template")]
    drs = None
    for row in rows:
        if cluster_id and row.get("moid") == cluster_id and row.get("type") == "ClusterComputeResource":
            drs = drs_settings(row.get("configurationEx"))
    return hosts, vms, drs


# ----------------------------------------------------------------------------- scan facts
@dataclass
class ScanFacts:
    status: str | None = None
    impact: str | None = None
    installed: str | None = None          # base image version the host runs
    desired: str | None = None            # base image version of the desired image
    other_changes: list[str] = field(default_factory=list)   # what else than the base image differs
    upgrade_actions: list[str] | None = None
    ineligible: dict[str, str] = field(default_factory=dict)  # code -> vLCM's message
    incompatible: dict[str, str] = field(default_factory=dict)  # VM name -> code (VmIncompatible)
    pending: dict[str, str] = field(default_factory=dict)       # VM name -> code (VmPending)
    pending_ids: dict[str, str] = field(default_factory=dict)   # VM name -> VM id
    in_report: bool = False

    @property
    def live_patch(self) -> bool:
        return self.impact == PARTIAL_MM

    @property
    def patched_with_pending(self) -> bool:
        """Live patched; only VMs on the previous revision keep the host non-compliant."""
        return bool(self.pending) and not self.other_changes and self.installed == self.desired


def _from_base_image(component: Mapping[str, Any]) -> bool:
    """A component that changes because the base image does (both sides come from the base image)."""
    sources = {component.get("current_source"), component.get("target_source")} - {None}
    return bool(sources) and sources <= {"BASE_IMAGE"}


def _notes(notifications: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for severity in ("errors", "warnings", "info"):
        for item in (notifications or {}).get(severity) or []:
            if isinstance(item, Mapping) and str(item.get("id") or "").startswith(NOTE):
                out.append((severity, dict(item)))
    return out


def _message(item: Mapping[str, Any]) -> str:
    text = ((item.get("message") or {}).get("default_message")) or str(item.get("id"))
    fix = (item.get("resolution") or {}).get("default_message")
    return f"{text} ({fix})" if fix else text


def scan_facts(compliance: Mapping[str, Any] | None) -> ScanFacts:
    """One ``host_compliance`` -> :class:`ScanFacts` (empty when the host is not in the report)."""
    if not compliance:
        return ScanFacts()
    base = compliance.get("base_image") or {}
    out = ScanFacts(status=compliance.get("status"), impact=compliance.get("impact"), in_report=True,
                    installed=((base.get("current") or {}).get("version")),
                    desired=((base.get("target") or {}).get("version")))
    details = compliance.get("impact_details") or {}
    if details.get("partial_maintenance_mode_upgrade_actions") is not None:
        out.upgrade_actions = [str(a) for a in details["partial_maintenance_mode_upgrade_actions"]]
    add_on = compliance.get("add_on") or {}
    if add_on.get("status") not in (None, "COMPLIANT"):
        out.other_changes.append("the vendor add-on")
    if any((c or {}).get("status") not in (None, "COMPLIANT") and not _from_base_image(c or {})
           for c in (compliance.get("components") or {}).values()):
        out.other_changes.append("components")
    if any((c or {}).get("status") not in (None, "COMPLIANT")
           for c in (compliance.get("removed_components") or {}).values()):
        out.other_changes.append("removed components")
    if any((c or {}).get("status") not in (None, "COMPLIANT")
           for c in (compliance.get("hardware_support") or {}).values()):
        out.other_changes.append("firmware (hardware support)")
    notes = _notes(compliance.get("notifications"))
    for part in [base, add_on, *(compliance.get("components") or {}).values()]:
        notes += _notes((part or {}).get("notifications"))
    for _severity, item in notes:
        what = str(item["id"])[len(NOTE):]
        args = list((item.get("message") or {}).get("args") or [])
        kind, _sep, code = what.partition(".")
        if kind == "Ineligible" and code:
            out.ineligible[code] = _message(item)
        elif kind == "VmIncompatible" and code and args:
            out.incompatible[str(args[0])] = code
        elif kind == "VmPending" and code and args:
            out.pending[str(args[0])] = code
            if len(args) > 1:
                out.pending_ids[str(args[0])] = str(args[1])
    return out


# ----------------------------------------------------------------------------- the rules, in words a user acts on
POLICY_FIX = ("set it with vsphere.lifecycle.remediation_policy: enforce_quick_patch: true (vCenter 8.0 U3) or "
              "live_patch_mode: AUTO or ENFORCE (vCenter 9.1)")


def host_reasons(*, mode: str, setting: str, target: Target, vcenter: tuple[int, int, int], host: HostFacts,
                 drs: Mapping[str, Any] | None, scan: ScanFacts, quick_patch_from: Mapping[str, str] | None,
                 cluster_name: str | None) -> list[tuple[str, str]]:
    """[(code, message)] of what keeps ``host`` from being live patched (empty: it will be, if it needs a change).

    The codes are those of vLCM's scan notifications (``LivePatch.Ineligible.<CODE>``); each message says what to
    do. Image reasons are given only when the host needs a change."""
    out: list[tuple[str, str]] = []
    if target.kind != "cluster":
        out.append(("LIVE_PATCH_DISABLED", f"host {host.name} has no live patch setting: a standalone host's remediation "
                                           "policy has none, so it is remediated with a reboot"))
        out.append(("STANDALONE_HOST", f"host {host.name} is a standalone host: live patch is a cluster remediation "
                                       "policy that needs DRS; move the host into a DRS cluster managed with a single "
                                       "image to live patch it"))
    elif mode == DISABLE:
        out.append(("LIVE_PATCH_DISABLED", f"live patch is off on cluster {cluster_name} ({setting} says "
                                           f"{'DISABLE_LIVE_PATCH' if 'mode' in setting else 'false'}); " + POLICY_FIX))
    if vcenter < MIN_VERSION:
        out.append(("VCENTER_VERSION", f"vCenter Server runs {dotted(vcenter)}; live patch needs vCenter Server 8.0 "
                                       "Update 3 or later: upgrade vCenter Server first"))
    esx = version_tuple(scan.installed or host.version)
    if esx < MIN_VERSION:
        out.append(("HOST_VERSION", f"host {host.name} runs ESXi {dotted(esx)}; live patch needs ESXi 8.0 Update 3 or "
                                    "later: remediate it once with a reboot (maintenance mode) first"))
    if drs is not None and not drs.get("enabled"):
        out.append(("DRS_DISABLED", f"DRS is disabled on cluster {cluster_name}; enable DRS and set it to fully "
                                    "automated"))
    elif drs is not None and drs.get("behavior") != "fullyAutomated":
        words = {"partiallyAutomated": "partially automated", "manual": "manual"}.get(str(drs.get("behavior")),
                                                                                      str(drs.get("behavior")))
        out.append(("DRS_NOT_FULLY_AUTOMATED", f"DRS is {words} on cluster {cluster_name}; set it to fully automated"))
    if host.tpm and not (esx >= TPM_LIFTED and vcenter >= TPM_LIFTED):
        version = f" {host.tpm_version}" if host.tpm_version else ""
        out.append(("TPM", f"host {host.name} has a TPM{version}; live patch does not support hosts with a TPM before "
                           "ESX and vCenter Server 9.1: remediate it with a reboot, or run ESX and vCenter Server 9.1"))
    if host.dpu:
        out.append(("DPU", f"host {host.name} has a DPU (vSphere Distributed Services Engine); live patch does not "
                           "support hosts with DPUs: remediate it with a reboot"))
    if needs_change(scan):
        out += image_reasons(host.name, scan, quick_patch_from)
    return out


def needs_change(scan: ScanFacts) -> bool:
    """The image still has to be applied (not compliant, and not a host already live patched whose only
    leftovers are VMs on the previous revision)."""
    return scan.status in ("NON_COMPLIANT", "INCOMPATIBLE") and not scan.patched_with_pending


def image_reasons(host_name: str, scan: ScanFacts, quick_patch_from: Mapping[str, str] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not quick_patch_from:
        out.append(("IMAGE_NOT_LIVE_PATCHABLE", f"the desired base image {scan.desired} is not a live patch (its depot "
                                                "entry lists no quick_patch_compatible_versions): it is applied with "
                                                "maintenance mode and a reboot"))
    elif scan.installed and scan.installed != scan.desired and scan.installed not in quick_patch_from:
        listed = ", ".join(sorted(quick_patch_from))
        out.append(("INSTALLED_VERSION_NOT_COMPATIBLE",
                    f"the desired base image {scan.desired} live patches only from {listed}; host {host_name} runs "
                    f"{scan.installed}: remediate it with a reboot"))
    if scan.other_changes:
        out.append(("IMAGE_NEEDS_REBOOT", f"the desired image also changes {', '.join(scan.other_changes)} on host "
                                          f"{host_name}; only a base image change can be live patched: remediate "
                                          "with a reboot, or keep the add-on, components and firmware unchanged"))
    return out


def vm_fix(vm: VmFacts | None) -> str:
    if vm is not None and vm.cannot_move:
        return (f"power cycle it (it {vm.cannot_move} and cannot be migrated with vMotion): name it in "
                "live_patch_vms power_cycle")
    return "migrate it with vMotion (live_patch_vms does: away and back, or to a patched host) or power cycle it"


# ----------------------------------------------------------------------------- one host, one cluster
def host_verdict(*, mode: str, setting: str, target: Target, vcenter: tuple[int, int, int], host: HostFacts,
                 vms: Iterable[VmFacts], drs: Mapping[str, Any] | None, scan: ScanFacts,
                 quick_patch_from: Mapping[str, str] | None, cluster_name: str | None) -> dict[str, Any]:
    """The per-host result of live_patch_info: ours (inventory + image) merged with vLCM's scan, and where the two
    disagree."""
    mine = host_reasons(mode=mode, setting=setting, target=target, vcenter=vcenter, host=host, drs=drs, scan=scan,
                        quick_patch_from=quick_patch_from, cluster_name=cluster_name)
    codes = [c for c, _msg in mine]
    reasons = [m for _code, m in mine]
    for code, text in sorted(scan.ineligible.items()):        # vLCM knows something we did not derive
        if code not in codes:
            codes.append(code)
            reasons.append(f"vLCM: {text}")
    change = needs_change(scan)
    eligible = not codes
    host_vms = [v for v in vms if v.host == host.id]
    fsr = None if scan.upgrade_actions is None else any("SUSPEND" in a for a in scan.upgrade_actions)
    incompatible = [] if fsr is False else [
        {"name": v.name, "reason": v.blocker,
         "why": f"VM '{v.name}' {VM_BLOCKERS[v.blocker]} and cannot be fast-suspend-resumed", "fix": vm_fix(v)}
        for v in sorted(host_vms, key=lambda v: v.name) if v.powered_on and v.blocker]
    by_name = {v.name: v for v in host_vms}
    pending = [{"name": n, "reason": c, "fix": vm_fix(by_name.get(n))} for n, c in sorted(scan.pending.items())]
    disagreements: list[str] = []
    if change and mode != DISABLE and scan.in_report:
        if scan.live_patch and not eligible:
            disagreements.append(f"vLCM's scan says host {host.name} will be live patched (impact {PARTIAL_MM}); the "
                                 "inventory read says it cannot: " + "; ".join(reasons))
        if not scan.live_patch and eligible:
            disagreements.append(f"the inventory read finds no reason against live patching host {host.name}, but "
                                 f"vLCM's scan says impact {scan.impact}")
    if scan.ineligible:
        missing = sorted(set(codes) - set(scan.ineligible) - {"LIVE_PATCH_DISABLED", "STANDALONE_HOST"})
        if missing:
            disagreements.append(f"the inventory read finds {', '.join(missing)} on host {host.name}; vLCM's scan "
                                 "does not report it")
    if scan.live_patch and fsr is not False:
        ours = {v["name"] for v in incompatible}
        theirs = set(scan.incompatible)
        if ours != theirs:
            disagreements.append(
                f"VMs that cannot fast-suspend-resume on host {host.name}: the inventory read finds "
                f"{', '.join(sorted(ours)) or 'none'}, vLCM's scan {', '.join(sorted(theirs)) or 'none'}")
    return {
        "name": host.name, "id": host.id, "live_patch": eligible, "needs_change": change,
        "will_live_patch": eligible and change and mode != DISABLE,
        "reasons": reasons, "reason_codes": codes, "incompatible_vms": incompatible, "pending_vms": pending,
        "fsr_needed": fsr, "compliance_status": scan.status, "impact": scan.impact,
        "installed_base_image": scan.installed or None, "esxi_version": host.version, "build": host.build,
        "connection_state": host.connection_state, "partial_maintenance_mode": host.partial_maintenance,
        "tpm": host.tpm, "dpu": host.dpu,
        "scan": {"live_patch": scan.live_patch, "reasons": sorted(scan.ineligible), "incompatible_vms":
                 sorted(scan.incompatible), "pending_vms": sorted(scan.pending)},
        "disagreements": disagreements,
        "note": (f"host {host.name} does not respond to vCenter right now; while a live patch restarts hostd this "
                 "lasts a moment and ends by itself (expected, not a failure): read again to refresh"
                 if host.connection_state == "notResponding" else None),
    }


def cluster_verdict(target: Target, mode: str, setting: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What a remediation of these hosts would do now, in one word (``status``) and one sentence (``summary``).

    ENFORCE binds when the desired image can be live patched onto at least one host that needs it (no image
    reason); then any other host that needs a change and cannot be live patched makes vLCM refuse."""
    todo = [r for r in rows if r["needs_change"]]
    live = [r["name"] for r in todo if r["will_live_patch"]]
    regular = [r for r in todo if not r["will_live_patch"]]
    pending = [r["name"] for r in rows if r["pending_vms"]]
    binds = mode == ENFORCE and any(not set(r["reason_codes"]) & set(IMAGE_CODES) for r in todo)
    refused = [{"name": r["name"], "reasons": r["reasons"]} for r in regular] if binds else []
    if not todo:
        status = "VMS_PENDING" if pending else "NOTHING_TO_DO"
    elif refused:
        status = "REFUSED"
    elif live and regular:
        status = "MIXED"
    elif live:
        status = "LIVE_PATCH"
    else:
        status = "REGULAR"
    words = {
        "NOTHING_TO_DO": "every host runs the desired image",
        "VMS_PENDING": "every host is patched; VMs that could not fast-suspend-resume keep "
                       f"{', '.join(pending)} non-compliant: run vsphere.lifecycle.live_patch_vms",
        "REFUSED": f"live patch is enforced on {target.label} and vLCM refuses the remediation: "
                   + " | ".join(f"{r['name']}: {'; '.join(r['reasons'])}" for r in refused)
                   + ". Fix these, leave the hosts out with the hosts option, or set the live patch mode to AUTO",
        "MIXED": f"live patch: {', '.join(live)}; maintenance mode and reboot: "
                 + ", ".join(f"{r['name']} ({', '.join(r['reason_codes'])})" for r in regular),
        "LIVE_PATCH": f"every host that needs the image is live patched: {', '.join(live)}",
        "REGULAR": "no host is live patched; maintenance mode and reboot for "
                   + ", ".join(f"{r['name']} ({', '.join(r['reason_codes'])})" for r in regular),
    }
    vms = sum(len(r["incompatible_vms"]) for r in todo if r["will_live_patch"])
    return {"status": status, "summary": words[status], "mode": short_mode(mode), "setting": setting,
            "live_patch_hosts": live, "maintenance_mode_hosts": [r["name"] for r in regular],
            "refused_hosts": refused, "hosts_with_pending_vms": pending,
            "incompatible_vms": vms, "enforced": binds,
            "disagreements": sum(len(r["disagreements"]) for r in rows)}


# ----------------------------------------------------------------------------- the whole read
def assess(client: Client, soap: Any, selection: Selection, compliance: Mapping[str, Any] | None,
           policies: Mapping[str, Any] | None, desired_base: str | None) -> dict[str, Any]:
    """The live_patch_info result: per selected host and the verdict."""
    target = selection.target
    mode, setting = mode_of(policies, target)
    rows = read_rows(soap, selection)
    hosts, vms, drs = inventory(rows, target.id if target.kind == "cluster" else None)
    vc = vcenter_version(soap)
    by_host = (compliance or {}).get("hosts") or {} if target.kind == "cluster" else {target.id: compliance}
    scans = {h: scan_facts(by_host.get(h)) for h in selection.names}
    desired = desired_base or next((s.desired for s in scans.values() if s.desired), None)
    qp = quick_patch_versions(client, desired)
    out = []
    for host_id, name in selection.pairs:
        facts = hosts.get(host_id) or HostFacts(id=host_id, name=name)
        out.append(host_verdict(mode=mode, setting=setting, target=target, vcenter=vc, host=facts, vms=vms, drs=drs,
                                scan=scans[host_id], quick_patch_from=qp,
                                cluster_name=target.name if target.kind == "cluster" else None))
    out.sort(key=lambda r: r["name"])
    return {"hosts": out, "verdict": cluster_verdict(target, mode, setting, out), "vcenter_version": dotted(vc),
            "desired_base_image": desired, "quick_patch_compatible_versions": sorted(qp or {})}


def desired_base_image(client: Client, target: Target) -> str | None:
    software = vlcm.get_software(client, target) or {}
    return ((software.get("base_image") or {}).get("version"))


# ----------------------------------------------------------------------------- remediate: before and after the apply
def enforce_refusal(mode: str, compliance: Mapping[str, Any] | None, target: Target, todo: Iterable[str],
                    names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Under ENFORCE, the hosts to remediate that vLCM's scan says cannot be live patched (``[{"name", "reasons",
    "reason_codes"}]``; empty: go on). ENFORCE binds only when the desired image live patches at least one of
    them (a host the scan gives impact PARTIAL_MAINTENANCE_MODE_REQUIRED, or whose reasons are no image reason):
    a regular update (an add-on change, a base image that is no live patch) stays a regular remediation."""
    if mode != ENFORCE or target.kind != "cluster":
        return []
    by_host = (compliance or {}).get("hosts") or {}
    scans = {h: scan_facts(by_host.get(h)) for h in todo}
    binds = any(s.live_patch or (s.ineligible and not set(s.ineligible) & set(IMAGE_CODES)) for s in scans.values())
    if not binds:
        return []
    return [{"name": names.get(h, h), "reason_codes": sorted(s.ineligible),
             "reasons": [s.ineligible[c] for c in sorted(s.ineligible)]}
            for h, s in sorted(scans.items(), key=lambda kv: names.get(kv[0], kv[0])) if s.ineligible]


def scan_mentions_live_patch(compliance: Mapping[str, Any] | None, todo: Iterable[str]) -> bool:
    """Whether the scan says anything about live patch for these hosts (impact PARTIAL_MAINTENANCE_MODE_REQUIRED or
    a LivePatch.Ineligible note): only then does remediate read the policy (one GET less otherwise)."""
    by_host = (compliance or {}).get("hosts") or {}
    return any(s.live_patch or s.ineligible for s in (scan_facts(by_host.get(h)) for h in todo))


def refusal_message(target: Target, setting: str, refused: Sequence[Mapping[str, Any]]) -> str:
    return (f"live patch is enforced on {target.label} ({setting}) and {len(refused)} host(s) cannot be live patched, "
            "so vLCM would refuse the remediation; nothing was changed: "
            + " | ".join(f"host '{r['name']}': {'; '.join(r['reasons'])}" for r in refused)
            + ". Fix these prerequisites, leave these hosts out with the hosts option (remediate them with a reboot "
              "in a run of their own), or set live_patch_mode AUTO (vCenter 9.1) so they fall back to maintenance mode.")


def apply_methods(target: Target, apply_result: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Per host of an apply result: ``{"method": live_patch|maintenance_mode, "fsr_count", "vms_to_fix":
    [{"name", "reason"}], "fallback_reasons": [codes]}`` from the live patch notifications of its status
    (``LivePatch.HostLivePatched`` args [host, FSR count], ``LivePatch.VmPending.<CODE>`` args [VM, id, CODE,
    host], ``LivePatch.Fallback`` args [host, codes...])."""
    if not apply_result:
        return {}
    if target.kind == "cluster":
        statuses = dict(apply_result.get("host_status") or {})
    else:
        statuses = {target.id: apply_result.get("status") or {}}
    out: dict[str, dict[str, Any]] = {}
    for host_id, status in statuses.items():
        row: dict[str, Any] = {"method": "maintenance_mode", "fsr_count": 0, "vms_to_fix": [], "fallback_reasons": []}
        for _severity, item in _notes((status or {}).get("notifications")):
            what = str(item["id"])[len(NOTE):]
            args = list((item.get("message") or {}).get("args") or [])
            kind, _sep, code = what.partition(".")
            if kind == "HostLivePatched":
                row["method"] = "live_patch"
                row["fsr_count"] = int(args[1]) if len(args) > 1 and str(args[1]).isdigit() else 0
            elif kind == "VmPending" and args:
                row["vms_to_fix"].append({"name": str(args[0]), "reason": code})
            elif kind == "Fallback":
                row["fallback_reasons"] = [str(a) for a in args[1:]]
        row["vms_to_fix"].sort(key=lambda v: v["name"])
        out[host_id] = row
    return out


def annotate_apply_rows(rows: list[dict[str, Any]], methods: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Add ``method``, ``fsr_count``, ``vms_to_fix``, ``fallback_reasons`` and ``partial_maintenance_seconds`` to the
    apply rows of :func:`._outcomes.apply_rows` (a live-patched host's window is partial maintenance mode, so its
    ``maintenance_seconds`` becomes 0), and return the result keys that sum them up."""
    for row in rows:
        info = methods.get(row["id"]) or {}
        ok = row["status"] in ("OK", "ERROR")
        row["method"] = info.get("method", "maintenance_mode") if ok else None
        row["fsr_count"] = info.get("fsr_count", 0)
        row["vms_to_fix"] = list(info.get("vms_to_fix") or [])
        row["fallback_reasons"] = list(info.get("fallback_reasons") or [])
        row["partial_maintenance_seconds"] = 0.0
        if row["method"] == "live_patch":
            row["partial_maintenance_seconds"] = row.get("maintenance_seconds") or 0.0
            row["maintenance_seconds"] = 0.0
    done = [r for r in rows if r["status"] == "OK"]
    return {
        "live_patched_hosts": [r["name"] for r in done if r["method"] == "live_patch"],
        "maintenance_mode_hosts": [r["name"] for r in done if r["method"] == "maintenance_mode"],
        "fallback_hosts": [{"name": r["name"], "reasons": r["fallback_reasons"]} for r in rows if r["fallback_reasons"]],
        "fsr_count": sum(r["fsr_count"] for r in rows),
        "vms_to_fix": [{**v, "host": r["name"]} for r in rows for v in r["vms_to_fix"]],
        "maintenance_host_seconds": round(sum(r.get("maintenance_seconds") or 0 for r in rows), 3),
        "partial_maintenance_host_seconds": round(sum(r["partial_maintenance_seconds"] or 0 for r in rows), 3),
    }
