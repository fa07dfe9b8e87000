# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix's machinery: operations (one task of a module or the role, against the tiny scenario), a
scenario (faults injected through /sim/faults, or an action during the run), and the checks every scenario gets.

A scenario is one row of data (faults.py): a new module is one entry in OPS, a new fault one row in the table.

Every scenario, whatever it injects:

1. runs the operation once with ``-vvv`` (the output also feeds the suite-wide secrets scan); the outcome must be
   what the row expects (``ok``, ``fail`` or ``either``) and a failure must be clear: the module's ``msg`` names
   what failed (the row's words), no traceback, no "MODULE FAILURE";
2. nothing reported as done that was not done: the per-host fields of the result are compared with /sim/state
   (successful hosts run the desired image, failed ones do not, staged hosts have the image staged, the hosts the
   result says were left in maintenance mode are exactly those in maintenance mode); a run that changed hosts
   says ``changed: true``;
3. no session left open (the simulator's live sessions, REST and SOAP);
4. the faults are cleared (hosts reconnected, hung phases released, running tasks finished) and a re-run of the
   operation followed by remediation and a compliance scan converges: every host of the cluster runs the desired
   image, none is in maintenance mode, the compliance module says COMPLIANT, no session left open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vlcmsim.testing import SimulatorHandle

CLUSTER = "Tiny-01"
T1, T2, TS = "esxi-t1.lab.local", "esxi-t2.lab.local", "esxi-ts.lab.local"
CLUSTER_HOSTS = (T1, T2)


def _task(name: str, module: str, args: dict[str, Any]) -> str:
    lines = [f"- name: {name}", f"  vsphere.lifecycle.{module}:"]
    lines += [f"    {k}: {v!r}" if isinstance(v, str) else f"    {k}: {str(v).lower() if isinstance(v, bool) else v}"
              for k, v in args.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Op:
    """One operation under test: the task (named "op") and what a re-run needs to converge."""

    module: str                                  # a module name, or "role" for rolling_remediation
    args: dict[str, Any] = field(default_factory=dict)
    remediates: bool = False                     # the op itself converges the cluster (no remediate after it)

    def play(self, extra: dict[str, Any] | None = None) -> str:
        args = {**self.args, **(extra or {})}
        if self.module == "role":
            variables = "".join(f"\n    {k}: {v!r}" for k, v in {"vlcm_cluster": CLUSTER, "vlcm_accept_eula": True,
                                                                  **args}.items())
            return ("- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:" + variables
                    + "\n  tasks:\n    - name: op\n      ansible.builtin.include_role:\n"
                    "        name: vsphere.lifecycle.rolling_remediation\n")
        return _task("op", self.module, args)

    def converge(self) -> str:
        """The re-run: the operation again (when it changes something), then remediate and scan."""
        tasks = []
        if self.module == "role":
            return self.play() + ("    - name: compliance\n      vsphere.lifecycle.compliance:\n"
                                  f"        cluster: {CLUSTER}\n        include_compliant: true\n")
        if self.module not in ("compliance", "image_info", "cluster_info", "remediation_plan", "depot_info"):
            tasks.append(_task("op", self.module, self.args))
        if not self.remediates or self.args.get("host") or self.args.get("hosts"):
            tasks.append(_task("remediate", "remediate", {"cluster": CLUSTER, "accept_eula": True}))
        tasks.append(_task("compliance", "compliance", {"cluster": CLUSTER, "include_compliant": True}))
        return "".join(tasks)


OPS: dict[str, Op] = {
    "compliance": Op("compliance", {"cluster": CLUSTER}),
    "stage": Op("stage", {"cluster": CLUSTER}),
    "remediate": Op("remediate", {"cluster": CLUSTER, "accept_eula": True}, remediates=True),
    "remediate_host": Op("remediate", {"host": TS, "accept_eula": True}, remediates=True),
    "batch": Op("remediate_batch", {"cluster": CLUSTER, "hosts": [T1], "accept_eula": True}, remediates=True),
    "role": Op("role", {}, remediates=True),
    "plan": Op("remediation_plan", {"cluster": CLUSTER}),
    "image_info": Op("image_info", {"cluster": CLUSTER}),
    "policy": Op("remediation_policy", {"cluster": CLUSTER, "failure_action": "RETRY", "failure_retry_count": 2}),
}


@dataclass(frozen=True)
class Scenario:
    id: str
    op: str
    faults: tuple[dict[str, Any], ...] = ()
    expect: str = "either"                       # ok | fail | either
    words: tuple[str, ...] = ()                  # in the failure message (all of them), when it failed
    args: dict[str, Any] = field(default_factory=dict)      # extra module args (timeouts) for the faulted run
    during: Callable[[SimulatorHandle], None] | None = None    # runs in a thread while the playbook runs
    before: Callable[[SimulatorHandle], Any] | None = None     # runs before (its return value goes to after)
    after: Callable[[SimulatorHandle, Any], None] | None = None  # runs once the faulted run is over
    consumed: bool = True                        # the faults must all have fired
    keep_faults: bool = False                    # do not clear the faults before the re-run (they must be gone)


# ------------------------------------------------------------------------------------------------ state helpers
def hosts_by_name(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {h["name"]: h for h in state["hosts"]}


def desired_of(state: dict[str, Any], name: str) -> Any:
    """The desired image of a host's cluster, or of the standalone host (``desired_commit`` resolved by the
    simulator's own image of that commit, read from the cluster)."""
    host = hosts_by_name(state)[name]
    if host["cluster"]:
        return next(c for c in state["clusters"] if c["id"] == host["cluster"])["desired_image"]
    # a standalone host of tiny has the same desired image as the cluster (images: desired)
    return next(c for c in state["clusters"] if c["name"] == CLUSTER)["desired_image"]


def runs_desired(state: dict[str, Any], name: str) -> bool:
    return hosts_by_name(state)[name]["installed"] == desired_of(state, name)


def fingerprint(state: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """What a module may change on a host: installed image, staged image, maintenance mode."""
    return {h["name"]: (repr(h["installed"]), h["staged_commit"], h["in_maintenance"]) for h in state["hosts"]}


def in_maintenance(state: dict[str, Any]) -> list[str]:
    return sorted(h["name"] for h in state["hosts"] if h["in_maintenance"])


def names(value: Any) -> list[str]:
    """Host names from a result field: a list of names or of {name: ...} rows."""
    out = []
    for item in value or []:
        out.append(item.get("name") or item.get("host") if isinstance(item, dict) else item)
    return sorted(str(x) for x in out)


def false_claims(result: dict[str, Any], state: dict[str, Any]) -> list[str]:
    """What the result says was done that /sim/state contradicts (empty: every claim checked out)."""
    wrong = []
    hosts = hosts_by_name(state)
    for name in names(result.get("successful_hosts")):
        if name in hosts and not runs_desired(state, name):
            wrong.append(f"{name} reported successful but does not run the desired image")
    for name in set(names(result.get("failed_hosts"))) & set(names(result.get("successful_hosts"))):
        wrong.append(f"{name} reported both failed and successful")
    for name in names(result.get("staged_hosts")):
        if name in hosts and not (hosts[name]["staged_commit"] or runs_desired(state, name)):
            wrong.append(f"{name} reported staged but nothing is staged on it")
    if "left_in_maintenance_mode" in result:
        said = names(result.get("left_in_maintenance_mode"))
        if said != in_maintenance(state):
            wrong.append(f"left_in_maintenance_mode says {said}, the simulator has {in_maintenance(state)}")
    for name in names(result.get("exited_maintenance_mode")):
        if name in hosts and hosts[name]["in_maintenance"]:
            wrong.append(f"{name} reported out of maintenance mode but is in it")
    return wrong


# ------------------------------------------------------------------------------------------------ actions
def wait_for(sim: SimulatorHandle, predicate: Callable[[dict[str, Any]], bool], timeout: float = 60.0) -> bool:
    """Poll /sim/state until ``predicate(state)``; False when ``timeout`` real seconds passed (the caller asserts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(sim.state()):
            return True
        time.sleep(0.05)
    return False


def running_task(state: dict[str, Any], operation: str | None = None) -> bool:
    return any(t["status"] in ("PENDING", "RUNNING") and (operation is None or operation in t["operation"])
               for t in state["tasks"])


def no_running_task(state: dict[str, Any]) -> bool:
    return not running_task(state)


class During:
    """Runs ``action(sim)`` in a thread while the playbook runs; join() re-raises what it raised."""

    def __init__(self, sim: SimulatorHandle, action: Callable[[SimulatorHandle], None]) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(sim, action), daemon=True)

    def _run(self, sim: SimulatorHandle, action: Callable[[SimulatorHandle], None]) -> None:
        try:
            action(sim)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def __enter__(self) -> During:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join(120)

    def check(self) -> None:
        assert not self.thread.is_alive(), "the action during the run did not finish"
        if self.error is not None:
            raise self.error


def exit_maintenance(sim: SimulatorHandle, host_name: str) -> None:
    """What an administrator does when a module says a host is still in maintenance mode: ExitMaintenanceMode_Task
    over SOAP (pyVmomi, the simulator's CA), then log out."""
    import ssl

    from pyVim.connect import Disconnect, SmartConnect
    from pyVim.task import WaitForTask
    from pyVmomi import vim

    ctx = ssl.create_default_context(cafile=sim.ca)
    si = SmartConnect(host=sim.host, port=sim.port, user=sim.username, pwd=sim.password, sslContext=ctx)
    try:
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.HostSystem], True)
        host = next(h for h in view.view if h.name == host_name)
        view.Destroy()
        WaitForTask(host.ExitMaintenanceMode_Task(timeout=0))
    finally:
        Disconnect(si)


def take_out_of_maintenance(*hosts: str) -> Callable[[SimulatorHandle, Any], None]:
    def after(sim: SimulatorHandle, _: Any) -> None:
        for host in hosts:
            exit_maintenance(sim, host)
    return after
