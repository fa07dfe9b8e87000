"""The one state model behind both protocols (REST /api and SOAP /sdk).

Domain objects only: no wire format here. `rest.py` and `soap.py` translate this model to
the vAPI JSON and to pyVmomi types; `engine.py` holds the rules (scan, stage, check,
apply, maintenance mode, evacuation) and mutates the model under `World.lock`.

Ids are the same in both protocols: a cluster is `domain-cN`, a host `host-N`, a VM
`vm-N`, a datacenter `datacenter-N`, a folder `group-xN`; a SOAP managed object reference
uses the same string as its moid.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Image:
    """A software specification (desired, staged or installed image)."""

    base_image: str                                   # e.g. "8.0.3-0.35.24280767"
    add_on: tuple[str, str] | None = None             # (name, version)
    components: dict[str, str] = field(default_factory=dict)   # name -> version
    # hardware support (firmware): manager name -> (package name, version)
    hardware_support: dict[str, tuple[str, str]] = field(default_factory=dict)
    # components of the base image / add-on the user removed (SoftwareSpec.removed_components, 8.0 U3)
    removed_components: frozenset[str] = frozenset()

    def copy(self) -> Image:
        return Image(self.base_image, self.add_on, dict(self.components), dict(self.hardware_support),
                     self.removed_components)


@dataclass
class Commit:
    id: str                  # commit id, e.g. "3"
    image: Image
    author: str
    created: float
    description: str = ""
    applied: bool = False    # apply_status APPLIED once an apply of this commit completed


@dataclass
class Durations:
    """Realistic seconds per phase; the engine multiplies them by World.time_scale."""

    scan: float = 30.0
    check: float = 60.0
    download: float = 300.0          # staging one host (all hosts in parallel)
    install: float = 240.0
    reboot: float = 420.0
    quick_boot_reboot: float = 120.0
    evacuate_per_vm: float = 20.0    # one vMotion
    enter_maintenance: float = 10.0
    exit_maintenance: float = 5.0
    fsr_per_vm: float = 2.0          # live patch: one VM's fast-suspend-resume onto the patched vmx
    hostd_restart: float = 30.0      # live patch of hostd: the host is notResponding to vCenter meanwhile
    # how long EnterMaintenanceMode_Task waits for room when its `timeout` is 0/unset (vCenter then
    # waits indefinitely for DRS; the simulator gives up after this and fails with vim.fault.Timedout)
    enter_maintenance_timeout: float = 3600.0


@dataclass
class Datacenter:
    id: str
    name: str
    host_folder: str         # group-hN
    vm_folder: str           # group-vN


@dataclass
class Cluster:
    id: str
    name: str
    datacenter: str
    image_managed: bool = True
    drs_enabled: bool = True
    drs_behavior: str = "fullyAutomated"    # vim DrsBehavior: manual|partiallyAutomated|fullyAutomated
    ha_enabled: bool = True
    admission_control: bool = True
    commits: dict[str, Commit] = field(default_factory=dict)
    desired_commit: str | None = None
    policies: dict[str, Any] = field(default_factory=dict)   # ConfiguredPolicySpec fields set
    last_scan: float | None = None
    last_check_result: dict[str, Any] | None = None          # engine-level report
    last_apply_result: dict[str, Any] | None = None
    busy: str | None = None          # name of the operation holding the cluster, if any
    last_stage_result: dict[str, Any] | None = None
    vsan: bool = False               # vSAN enabled: one host in maintenance mode at a time, no parallel remediation


@dataclass
class Host:
    id: str
    name: str
    datacenter: str
    cluster: str | None              # None: standalone host
    version: str = "8.0.3"           # product version
    build: str = "24022510"
    connection_state: str = "connected"     # connected|disconnected|notResponding
    power_state: str = "poweredOn"
    in_maintenance: bool = False
    in_partial_maintenance: bool = False    # live patch: in partial maintenance mode (quickPatchPartialMM)
    # vim.host.PartialMaintenanceModeStatus of quickPatchPartialMM: notInPartialMM | enteringPartialMM |
    # inPartialMM | exitingPartialMM
    partial_maintenance_status: str = "notInPartialMM"
    partial_maintenance_since: float | None = None   # monotonic time of entering partial maintenance mode
    # VMs that a live patch could not fast-suspend-resume: they still run the previous vmx revision, and keep
    # the host NON_COMPLIANT until each is migrated away or powered off (core.hosts clears them)
    live_patch_pending_vms: set[str] = field(default_factory=set)
    tpm: bool = False
    dpu: bool = False
    cpu_mhz: int = 64000
    memory_mb: int = 524288
    installed: Image | None = None
    staged: Image | None = None             # software staged to the host
    staged_commit: str | None = None
    firmware_stageable: bool = True
    # per-host standalone image management (only for standalone hosts)
    commits: dict[str, Commit] = field(default_factory=dict)
    desired_commit: str | None = None
    policies: dict[str, Any] = field(default_factory=dict)
    compliance: dict[str, Any] | None = None   # last scan result for this host (engine-level)
    last_check_result: dict[str, Any] | None = None
    last_apply_result: dict[str, Any] | None = None
    last_stage_result: dict[str, Any] | None = None
    busy: str | None = None
    uuid: str = ""
    vendor: str = "Dell Inc."
    model: str = "PowerEdge R750"
    maintenance_since: float | None = None     # monotonic time of entering maintenance mode
    entering_maintenance: bool = False         # evacuating: not a target for other hosts' VMs
    maintenance_by_vlcm: bool = False          # vLCM's apply put it in maintenance mode (and left it there)


@dataclass
class VM:
    id: str
    name: str
    host: str
    power_state: str = "poweredOn"          # poweredOn|poweredOff|suspended
    cpu_mhz: int = 2000                     # demand
    memory_mb: int = 8192
    fault_tolerance: bool = False
    directpath: bool = False                # VirtualPCIPassthrough device
    shared_disk: bool = False               # shared-bus SCSI / multi-writer disk
    vsphere_pod: bool = False
    migrating_to: str | None = None         # vMotion in flight: the destination holds its resources too


@dataclass
class DepotBaseImage:
    version: str
    display_name: str
    display_version: str
    release_date: float
    components: dict[str, str] = field(default_factory=dict)
    quick_patch_compatible_versions: dict[str, str] = field(default_factory=dict)
    category: str = "ENHANCEMENT"
    summary: str = ""
    kb: str = "https://kb.vmware.com"
    # what a live patch to this base image patches (simulator-only depot metadata, no binding field):
    # "vmx" (the VM execution runtime: running VMs fast-suspend-resume onto it; the only target in 8.0 U3),
    # and from ESX 9.0 "vmkernel", "hostd" (restarts: the host is briefly notResponding) and "nsx"
    live_patch_targets: tuple[str, ...] = ("vmx",)


@dataclass
class DepotAddOn:
    name: str
    version: str
    display_name: str
    vendor: str
    components: dict[str, str] = field(default_factory=dict)
    display_version: str = ""
    release_date: float = 0.0
    category: str = "ENHANCEMENT"
    summary: str = ""
    kb: str = "https://kb.vmware.com"


@dataclass
class DepotComponent:
    name: str
    version: str
    display_name: str
    vendor: str
    display_version: str = ""
    release_date: float = 0.0
    category: str = "ENHANCEMENT"
    urgency: str = "MODERATE"
    summary: str = ""
    kb: str = "https://kb.vmware.com"


@dataclass
class Depot:
    base_images: list[DepotBaseImage] = field(default_factory=list)
    add_ons: list[DepotAddOn] = field(default_factory=list)
    components: list[DepotComponent] = field(default_factory=list)
    firmware: list[dict[str, Any]] = field(default_factory=list)   # hardware support packages


@dataclass
class Session:
    id: str
    user: str
    protocol: str           # "rest" | "soap"
    created: float
    last_used: float


@dataclass
class Task:
    """One task, visible to REST (`/api/cis/tasks/{id}`) and, for SOAP tasks, as vim.Task."""

    id: str                 # REST: "<uuid>:<service>"; SOAP: "task-N"
    operation: str          # e.g. "com.vmware.esx.settings.clusters.software.apply"
    target: str             # object id
    protocol: str           # "rest" | "soap"
    status: str = "PENDING"     # PENDING|RUNNING|BLOCKED|SUCCEEDED|FAILED
    progress_total: int = 100
    progress_completed: int = 0
    progress_message: str = ""
    result: Any = None
    error: dict[str, Any] | None = None    # vAPI error body, or {"fault": vim fault} for SOAP
    user: str = ""
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    service: str = ""           # e.g. "com.vmware.esx.settings.clusters.software"
    description: str = ""
    target_type: str = ""       # e.g. "ClusterComputeResource", "HostSystem"
    cancelable: bool = False


@dataclass
class Counters:
    logins: dict[str, int] = field(default_factory=lambda: {"rest": 0, "soap": 0})
    logouts: dict[str, int] = field(default_factory=lambda: {"rest": 0, "soap": 0})
    calls: dict[str, int] = field(default_factory=dict)      # "<METHOD> <route>" -> count
    soap_methods: dict[str, int] = field(default_factory=dict)  # SOAP method name -> count (all are POST /sdk)
    maintenance_host_seconds: float = 0.0                    # in scenario (unscaled) seconds
    evacuations: int = 0
    reboots: int = 0
    fsrs: int = 0                    # live patch: VM fast-suspend-resumes
    live_patched_hosts: int = 0      # live patch: hosts patched without a reboot
    partial_maintenance_host_seconds: float = 0.0            # in scenario (unscaled) seconds
    host_scans: int = 0          # host compliance computations by scan (explicit or automatic)
    downloads: int = 0           # host stagings (image downloads to a host)
    installs: int = 0
    export_downloads: int = 0    # exported files (JSON / ZIP / ISO) served to a client
    depot_imports: int = 0       # offline bundles imported into the depot
    max_hosts_in_maintenance: int = 0                                 # peak hosts in maintenance mode at once
    running_tasks: int = 0           # vLCM (REST) tasks running now
    max_concurrent_tasks: int = 0    # peak of running_tasks: what parallel jobs put on one vCenter at once
    max_hosts_in_maintenance_per_cluster: dict[str, int] = field(default_factory=dict)   # cluster id -> peak
    capacity_violations: int = 0     # times a running VM was left without room (see core.hosts.note_state)
    capacity_violation_log: list[str] = field(default_factory=list)  # the first few, for the reader
    open_violations: dict[str, str] = field(default_factory=dict)    # violation key -> host id, holding now


class World:
    """All state. Every read-modify-write happens under `self.lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.vcenter_version = "8.0.3"      # "8.0.3" (8.0 U3) or "9.1.0"
        self.vcenter_build = "24022515"
        self.time_scale = 0.001
        self.durations = Durations()
        self.username = "administrator@vsphere.local"
        self.session_idle_timeout = 1800.0     # real seconds a session may stay unused (vCenter: 30 min)
        self.password = "VMware1!"
        self.datacenters: dict[str, Datacenter] = {}
        self.clusters: dict[str, Cluster] = {}
        self.hosts: dict[str, Host] = {}
        self.vms: dict[str, VM] = {}
        self.depot = Depot()
        self.sessions: dict[str, Session] = {}
        self.tasks: dict[str, Task] = {}
        self.global_policies: dict[str, Any] = {}          # defaults/clusters/policies/apply
        self.global_host_policies: dict[str, Any] = {}     # defaults/hosts/policies/apply
        self.faults: list[dict[str, Any]] = []
        self.counters = Counters()
        # host phases as they end, for orderings in tests (/sim/events): bounded, oldest dropped first
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=100_000)
        self._next_id = 1000
        self.scenario_name = ""
        self.scenario_source: str | None = None    # path of the YAML file the world came from
        self.state_dir = ""
        self.issued_sessions: list[tuple[str, str]] = []   # (protocol, id) of every login, kept across resets
        self.closed = False                     # set on the old world by /sim/reset (hung phases let go)
        self.images = ImageStore()              # drafts, offline depots, exported files, uploads

    def record_phase(self, host: Host, phase: str, start: float, end: float) -> None:
        """Note that `host` spent epoch seconds start..end in `phase` (download, evacuate, maintenance,
        install, reboot; live patch: partial_maintenance, hostd_restart, fsr)."""
        with self.lock:
            self.events.append({"host": host.id, "name": host.name, "phase": phase, "start": start, "end": end})

    def new_id(self, prefix: str) -> str:
        with self.lock:
            self._next_id += 1
            return f"{prefix}{self._next_id}"

    @property
    def is_91(self) -> bool:
        return tuple(int(p) for p in self.vcenter_version.split(".")[:2]) >= (9, 1)


# --------------------------------------------------------------------------- images as code (drafts, depots, exports)


@dataclass
class Draft:
    """A working copy of a target's desired image; deleted when committed (or by the user)."""

    id: str
    target: str                  # cluster id or standalone host id
    kind: str                    # "cluster" | "host"
    owner: str
    created: float
    image: Image                 # component versions may be None ("chosen by the constraints")
    base_commit: str | None      # the desired commit the draft started from


@dataclass
class OfflineDepot:
    """An offline bundle imported into the depot (com.vmware.esx.settings.depots.offline)."""

    id: str
    description: str
    source_type: str             # PULL | PUSH
    location: str | None
    file_id: str | None
    created: float
    owner: str
    ownerdata: str | None
    sha256: str                  # of the bundle file
    file_name: str               # the bundle's metadata file name (Content.Info)
    vendor: str
    # what the bundle holds: ("base_image", version) | ("add_on", name, version) | ("component", name, version)
    content: list[tuple[str, ...]] = field(default_factory=list)


@dataclass
class ExportFile:
    """A file produced by `software?action=export`, served under /vum-filedownload."""

    name: str
    kind: str                    # SOFTWARE_SPEC | ISO_IMAGE | OFFLINE_BUNDLE
    data: bytes
    sha256: str
    target: str
    created: float


@dataclass
class ImageStore:
    drafts: dict[str, Draft] = field(default_factory=dict)
    depots: dict[str, OfflineDepot] = field(default_factory=dict)
    exports: dict[str, ExportFile] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)       # file id -> bytes (vum-fileupload)
    system_content: set[tuple[str, ...]] | None = None             # depot content before any import
    seq: int = 0
