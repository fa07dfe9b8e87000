# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parallel remediation of one batch of hosts of a cluster (the ``remediate_batch`` module). Knows nothing of Ansible.

vLCM's parallel remediation only takes hosts that are already in maintenance mode, and is refused on vSAN
clusters; so a batch is:

1. options and the batch checked (compliant hosts dropped, a batch too large for the cap, vLCM's limit or vSAN
   refused) before any change; the remediation pre-check of the batch's hosts (``check``), also before any change;
2. the batch's hosts into maintenance mode together over SOAP (DRS evacuates them; ``_maintenance.enter``);
3. the cluster's apply policy ``parallel_remediation_action`` set to ``{enabled: true, max_hosts: N}`` when it is
   not already at least that (``_policy``: only that field of the configured spec changes);
4. ``apply`` with ``hosts`` = the batch (``_remediation.apply``);
5. the batch's hosts out of maintenance mode, except the hosts whose remediation failed (vLCM leaves a failed host
   in maintenance mode for the administrator to inspect): they are named in ``left_in_maintenance_mode``;
6. the configured policy written back as it was (in ``finally``: also after a failure).

With ``plan_next`` (the hosts of the waves still to come), the next waves are planned while the apply runs (the
cluster is read during the first wait between two polls of the apply task, from where DRS put the batch's VMs, the
batch's hosts counted as out of maintenance mode again) and returned as ``next_plan``: the caller's next wave needs
no planning run of its own between two batches. A plan that cannot be made is a warning and ``next_plan`` None.

The result keys are filled as the work goes (the module base reports them on failure too).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.vsphere.lifecycle.plugins.module_utils import _capacity as capacity
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _maintenance as mm
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _outcomes as out
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _policy as pol
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _remediation as rem
from ansible_collections.vsphere.lifecycle.plugins.module_utils import _waves as waves
from ansible_collections.vsphere.lifecycle.plugins.module_utils._errors import (
    ApiError,
    OptionError,
    TaskFailedError,
    TaskTimeoutError,
    VsphereError,
)
from ansible_collections.vsphere.lifecycle.plugins.module_utils._target import Selection

VLCM_PARALLEL_LIMIT = pol.PARALLEL_MAX_HOSTS
EXIT_WAIT_SECONDS = 1800.0       # how long to follow ExitMaintenanceMode_Task (vCenter takes seconds)


class BatchError(rem.RemediationError):
    """The batch could not be remediated; the message names the hosts and what was left behind."""


def check_options(params: Mapping[str, Any]) -> None:
    """The batch's own options, before any call to vCenter (the base class checked connection and target)."""
    if params.get("host") is not None:
        raise OptionError("host (a standalone host) cannot be remediated as a batch: set cluster and hosts (the "
                          "hosts of the batch); use vsphere.lifecycle.remediate for a standalone host", option="host")
    if not params.get("hosts"):
        raise OptionError("hosts is required: name the hosts of the cluster to remediate together (a batch, e.g. "
                          "one wave of vsphere.lifecycle.remediation_plan)", option="hosts")
    if params.get("accept_eula") is not True:
        raise OptionError("accept_eula must be true: vLCM remediates only when the end user license agreements of "
                          "the desired image are accepted", option="accept_eula")
    count = len(set(params["hosts"]))
    if count > VLCM_PARALLEL_LIMIT:
        raise OptionError(f"hosts names {count} hosts: vLCM remediates at most {VLCM_PARALLEL_LIMIT} hosts in "
                          "parallel; split the batch", option="hosts")
    if params.get("plan_next") is not None and not [h for h in params["plan_next"] if h]:
        raise OptionError("plan_next is empty: name the hosts of the waves still to come (to plan them while this "
                          "batch is remediated), or leave plan_next out", option="plan_next")
    cap = params.get("max_hosts_in_maintenance")
    if cap is not None:
        if cap < 1:
            raise OptionError(f"max_hosts_in_maintenance is {cap}: give the most hosts of the cluster that may be in "
                              "maintenance mode at once (1 or more), or leave it out", option="max_hosts_in_maintenance")
        if count > cap:
            raise OptionError(f"hosts names {count} hosts but max_hosts_in_maintenance is {cap}: nothing was changed; "
                              "remediate fewer hosts at once or raise the cap", option="max_hosts_in_maintenance")


def parallel_policy_change(effective: Mapping[str, Any] | None, count: int) -> dict[str, Any] | None:
    """The policy options (``_policy`` option names) that let vLCM remediate ``count`` hosts in maintenance mode at
    once, or None when the effective policy already does (or one host needs no parallel remediation)."""
    if count <= 1:
        return None
    action = (effective or {}).get("parallel_remediation_action") or {}
    limit = action.get("max_hosts")
    if action.get("enabled") and (limit is None or limit >= count):
        return None
    return {"parallel_remediation": True, "parallel_max_hosts": count}


class BatchRun:
    """One batch: ``run()`` fills ``result`` (the module's ``m.result``) as it goes."""

    def __init__(self, rest: Any, soap: Any, sel: Selection, params: Mapping[str, Any], result: dict[str, Any], *,
                 check_mode: bool, warn: Callable[[str], None]) -> None:
        self.rest, self.soap, self.sel, self.p, self.res = rest, soap, sel, params, result
        self.check_mode, self.warn = check_mode, warn
        self.target, self.names = sel.target, sel.names
        self.apply_running = False                 # the apply task outlived wait_timeout: it is still running
        self.failed_ids: list[str] = []            # hosts whose remediation failed (vLCM leaves them in maintenance)
        self.failure: tuple[list[dict[str, Any]], list[str]] | None = None   # (apply rows, task messages)
        self.stuck: dict[str, str] = {}            # remediated hosts that could not exit maintenance mode -> why
        self.maintenance: dict[str, bool] = {}     # maintenance state of the batch's hosts after the apply
        self.vm_hosts: dict[str, str] = {}         # vm id -> host id of the VMs stopped for maintenance mode
        self.next_ids: list[str] = []              # plan_next as host ids
        self.planned = False                       # next_plan made (or tried)

    def named(self, ids: Any) -> list[str]:
        return out.by_name(self.names, ids)

    # ------------------------------------------------------------------ before any change
    def run(self) -> dict[str, Any]:
        res, p = self.res, self.p
        if p.get("plan_next") is not None:
            res["next_plan"] = None
        res.update(hosts=sorted(self.names.values()), skipped_hosts=[], entered_maintenance_mode=[],
                   already_in_maintenance_mode=[], exited_maintenance_mode=[], successful_hosts=[], failed_hosts=[],
                   left_in_maintenance_mode=[], vms_not_restored=[], policy_changed=False, policy_restored=None)
        compliance, states, res["scanned_hosts"] = rem.current_states(self.rest, self.sel, refresh=p["refresh"],
                                                                      timeout=p["wait_timeout"])
        todo, compliant, blocked = rem.plan_remediation(states)
        res["skipped_hosts"] = out.skipped_rows(compliant, self.names)
        if blocked:
            reasons = "; ".join(f"host '{r['name']}': {r['reason']}" for r in out.skipped_rows(blocked, self.names))
            raise BatchError(f"the batch of {self.target.label} cannot be remediated, nothing was changed: {reasons}. "
                             "Fix these hosts or leave them out of hosts.", blocked_hosts=self.named(blocked))
        if not todo:
            return res
        hosts, config_ex = mm.cluster_hosts(self.soap, self.target.id)
        self._check_batch(todo, hosts, config_ex)
        self.next_ids = self._next_ids(hosts, todo)
        configured = pol.read(self.rest, self.target)
        effective = pol.read_effective(self.rest, self.target)
        power_action = (effective or {}).get("pre_remediation_power_action")
        stop_vms = self._vms_to_stop(todo, power_action, config_ex)
        in_mm = [h for h in todo if hosts[h]["in_maintenance"]]
        to_enter = [h for h in todo if not hosts[h]["in_maintenance"]]
        res["already_in_maintenance_mode"] = self.named(in_mm)
        change = parallel_policy_change(effective, len(todo))
        res["parallel_remediation"] = {"before": (effective or {}).get("parallel_remediation_action"),
                                       "during": {"enabled": True, "max_hosts": len(todo)} if change else
                                       (effective or {}).get("parallel_remediation_action")}
        commit = (compliance or {}).get("commit")
        if self.check_mode:
            res.update(would_remediate=self.named(todo), would_enter_maintenance_mode=self.named(to_enter),
                       would_change_policy=bool(change), would_stop_vms=sorted(stop_vms.values()), changed=True)
            return res
        if p["precheck"]:
            self._precheck(todo, commit)
        running_vms = rem.powered_on_vms(self.rest, todo)
        # ------------------------------------------------------------------ changes
        self._stop_vms(stop_vms, power_action)
        try:
            self._enter(to_enter)
        except BatchError:
            self._start_vms(stop_vms)
            res["vms_not_restored"] = rem.vms_not_running(self.rest, running_vms)
            raise
        try:
            if change:
                pol.write(self.rest, self.target, pol.desired_spec(configured, effective, change))
                res.update(policy_changed=True, changed=True)
            self._apply(todo, states, commit)
        finally:
            # the SOAP connection sat idle through the apply (many minutes): a proxy or vCenter may have closed it;
            # the next SOAP call logs in again on a fresh connection
            self.soap.close()
            try:
                self._leave(todo)
                self._start_vms({vm: name for vm, name in stop_vms.items()
                                 if self.vm_hosts.get(vm) not in set(self.failed_ids)} if not self.apply_running else {})
            finally:
                if res["policy_changed"]:
                    self._restore(configured)
                res["vms_not_restored"] = rem.vms_not_running(self.rest, running_vms)
        if self.failure is None and self.stuck:
            # remediated, but still in maintenance mode: the batch is not done (its capacity is not back)
            raise BatchError("host(s) " + "; ".join(f"'{self.names[h]}' ({why})" for h, why in self.stuck.items())
                             + " were remediated but could not be taken out of maintenance mode and are still in it: "
                             "find the cause in vCenter's tasks of the host, take the host out of maintenance mode "
                             "(vSphere Client: Exit Maintenance Mode), then re-run", task_id=res.get("apply_task"))
        if self.failure is None and self.next_ids and not self.planned:
            self._plan_next(during_apply=False)      # the apply ended before its first wait
        if self.failure is not None:
            rows, messages = self.failure
            staged = {r["id"]: bool(r.get("staged_after")) for r in rows}
            raise BatchError(out.failure_message(self.target, rows, messages, self.maintenance, staged,
                                                 vms_not_restored=res["vms_not_restored"]),
                             task_id=res.get("apply_task"))
        return res

    def _check_batch(self, todo: list[str], hosts: Mapping[str, Mapping[str, Any]], config_ex: Any) -> None:
        """vSAN, the cap and hosts in maintenance mode outside the batch: refused before any change."""
        if capacity.vsan_enabled(config_ex) and len(todo) > 1:
            raise BatchError(f"{self.target.label} is a vSAN cluster: vLCM does not remediate vSAN hosts in parallel "
                             f"and vSAN takes one host in maintenance mode at a time; give one host per batch "
                             f"(hosts needing remediation here: {', '.join(self.named(todo))}); nothing was changed",
                             option="hosts")
        others = sorted(v["name"] for h, v in hosts.items() if v["in_maintenance"] and h not in todo)
        cap = self.p.get("max_hosts_in_maintenance")
        if cap is not None and len(others) + len(todo) > cap:
            raise BatchError(f"{len(todo)} host(s) of the batch and {len(others)} other host(s) of "
                             f"{self.target.label} already in maintenance mode ({', '.join(others)}) would be more than "
                             f"max_hosts_in_maintenance {cap}; nothing was changed", option="max_hosts_in_maintenance")
        down = [v["name"] for h, v in hosts.items() if h in todo and v["connection_state"] != "connected"]
        if down:
            raise BatchError(f"host(s) {', '.join(sorted(down))} of the batch are not connected; nothing was changed")

    def _next_ids(self, hosts: Mapping[str, Mapping[str, Any]], todo: list[str]) -> list[str]:
        """plan_next as host ids of the cluster (names checked before any change), without the batch's own."""
        wanted = self.p.get("plan_next")
        if wanted is None:
            return []
        by_name = {v["name"]: h for h, v in hosts.items()}
        unknown = sorted({n for n in wanted if n not in by_name})
        if unknown:
            raise BatchError(f"plan_next names host(s) that are not in {self.target.label}: {', '.join(unknown)} "
                             f"(its hosts: {', '.join(sorted(by_name))}); nothing was changed", option="plan_next")
        return [h for h in dict.fromkeys(by_name[n] for n in wanted) if h not in set(todo)]

    def _plan_next(self, *, during_apply: bool) -> None:
        """next_plan: the waves of plan_next, from where the VMs are now; during the apply the batch's hosts are
        planned as out of maintenance mode again and the VMs this run stopped as running on them."""
        self.planned = True
        try:
            cap = self.p.get("max_hosts_in_maintenance")
            plan = capacity.plan_cluster(
                self.rest, self.soap, self.target, self.next_ids, cap=waves.Cap(count=cap) if cap else waves.Cap(),
                back_from_maintenance=list(self.names) if during_apply else (),
                restarted_vms=list(self.vm_hosts) if during_apply else ())
        except Exception as exc:  # noqa: BLE001 - the plan is optional; the apply must be followed whatever happens
            why = exc.message if isinstance(exc, VsphereError) else f"{type(exc).__name__}: {exc}"
            self.warn(f"the waves after this batch could not be planned ({why}); plan them with "
                      "vsphere.lifecycle.remediation_plan")
            return
        plan["planned_during_apply"] = during_apply
        self.res["next_plan"] = plan

    def _vms_to_stop(self, todo: list[str], power_action: str | None, config_ex: Any) -> dict[str, str]:
        """{vm id: name} of the running VMs on the batch's hosts that maintenance mode cannot evacuate (no vMotion, or
        DRS not fully automated): powered off or suspended first when the cluster's pre_remediation_power_action says
        so (as vLCM does when it enters maintenance mode itself), else the batch is refused before any change. Reads
        the batch's hosts and their VMs only."""
        rows = capacity.read_hosts(self.soap, todo)
        drs = capacity.drs_settings(config_ex)
        _hosts, vms, _cores = capacity.planner_inputs(rows, drs_automatic=drs["enabled"] and
                                                      drs["behavior"] == "fullyAutomated")
        stuck = [vm for vm in vms if vm.running and vm.unmovable and vm.host in set(todo)]
        self.vm_hosts = {vm.id: vm.host for vm in stuck}
        if stuck and power_action not in capacity.POWER_ACTIONS_THAT_STOP_VMS:
            raise BatchError("the batch cannot enter maintenance mode, nothing was changed: " + "; ".join(
                f"VM '{vm.name}' on host '{self.names.get(vm.host, vm.host)}' {vm.unmovable}" for vm in stuck)
                + "; set the cluster's pre_remediation_power_action to POWER_OFF_VMS or SUSPEND_VMS "
                "(vsphere.lifecycle.remediation_policy), or move or power off these VMs")
        return {vm.id: vm.name for vm in stuck}

    def _stop_vms(self, vms: Mapping[str, str], action: str | None) -> None:
        if not vms or action is None:
            return
        ends = mm.power(self.soap, vms, action, wait=EXIT_WAIT_SECONDS,
                        on_started=lambda _vm: self.res.update(changed=True))
        self.res["stopped_vms"] = sorted(vms[v] for v, e in ends.items() if e.ok)
        bad = {v: e for v, e in ends.items() if not e.ok}
        if bad:
            self._start_vms({v: vms[v] for v, e in ends.items() if e.ok})
            raise BatchError("the VMs that cannot move could not be stopped before maintenance mode, nothing was "
                             "remediated: " + "; ".join(f"VM '{vms[v]}': {e.error}" for v, e in sorted(bad.items())))

    def _start_vms(self, vms: Mapping[str, str]) -> None:
        """Power on again the VMs this run stopped (their hosts are out of maintenance mode)."""
        if not vms:
            return
        ends = mm.power(self.soap, vms, "POWER_ON", wait=EXIT_WAIT_SECONDS)
        for vm_id, end in ends.items():
            if not end.ok:
                self.warn(f"VM '{vms[vm_id]}' could not be powered on again: {end.error}")

    def _precheck(self, todo: list[str], commit: str | None) -> None:
        result = rem.check(self.rest, self.target, todo, commit=commit, timeout=self.p["wait_timeout"]).get("result") or {}
        summary = out.check_summary(self.target, result, {**self.names, **out.names_of(result, self.target)})
        self.res["precheck"] = summary
        if summary["status"] == "ERROR" or summary["errors"]:
            raise BatchError(f"the remediation pre-check of the batch ({', '.join(self.named(todo))}) failed, nothing "
                             "was changed: " + "; ".join(summary["errors"]))
        for warning in summary["warnings"]:
            self.warn(f"pre-check: {warning}")

    # ------------------------------------------------------------------ maintenance mode
    def _enter(self, to_enter: list[str]) -> None:
        if not to_enter:
            return

        def started(host_id: str) -> None:
            self.res["changed"] = True

        ends = mm.enter(self.soap, to_enter, timeout=self.p["maintenance_timeout"],
                        wait=float(self.p["maintenance_timeout"]) + 60.0, on_started=started)
        entered = [h for h, end in ends.items() if end.ok]
        self.res["entered_maintenance_mode"] = self.named(entered)
        bad = {h: end for h, end in ends.items() if not end.ok}
        if not bad:
            return
        leave = mm.leave(self.soap, entered, wait=EXIT_WAIT_SECONDS) if entered else {}
        self.res["exited_maintenance_mode"] = self.named(h for h, e in leave.items() if e.ok)
        stuck = [h for h, e in leave.items() if not e.ok] + [h for h, e in bad.items() if e.state == "running"]
        self.res["left_in_maintenance_mode"] = self.named(stuck)
        pending = "still entering maintenance mode when the wait ended"
        reasons = "; ".join(f"host '{self.names[h]}': " + (e.error or pending) for h, e in sorted(bad.items()))
        back = f" The hosts that had entered were taken out again ({', '.join(self.res['exited_maintenance_mode'])})." \
            if self.res["exited_maintenance_mode"] else ""
        left = f" Still in or entering maintenance mode: {', '.join(self.res['left_in_maintenance_mode'])}." \
            if stuck else ""
        raise BatchError(f"the batch could not enter maintenance mode together; nothing was remediated: {reasons}."
                         f"{back}{left} Plan smaller batches (vsphere.lifecycle.remediation_plan) or wait for room.")

    def _leave(self, todo: list[str]) -> None:
        """Out of maintenance mode: every host of the batch in it, except the ones whose remediation failed and, while
        the apply task may still be running, none at all."""
        res = self.res
        if self.apply_running:
            res["left_in_maintenance_mode"] = self.named(todo)
            self.warn("the remediation task is still running in vCenter: the batch's hosts stay in maintenance mode; "
                      "take them out once it has ended")
            return
        failed_ids = set(self.failed_ids)
        state = rem.hosts_in_maintenance(self.soap, todo)
        to_leave = [h for h in todo if state.get(h) and h not in failed_ids]
        ends = mm.leave(self.soap, to_leave, wait=EXIT_WAIT_SECONDS) if to_leave else {}
        res["exited_maintenance_mode"] = self.named(h for h, e in ends.items() if e.ok)
        kept = [h for h in todo if state.get(h) and (h in failed_ids or not ends.get(h, mm.TaskEnd("error")).ok)]
        res["left_in_maintenance_mode"] = self.named(kept)
        self.maintenance = {h: bool(state.get(h)) and h in kept for h in todo}
        for host_id, end in ends.items():
            if not end.ok:
                self.warn(f"host '{self.names[host_id]}' could not be taken out of maintenance mode: {end.error}")
                self.stuck[host_id] = str(end.error)
        if ends:
            res["changed"] = True

    def _restore(self, configured: Mapping[str, Any]) -> None:
        try:
            pol.write(self.rest, self.target, configured)
            self.res["policy_restored"] = pol.changed_fields(pol.read(self.rest, self.target), configured) == []
        except VsphereError as exc:
            self.res["policy_restored"] = False
            self.warn(f"the apply policy of {self.target.label} could not be restored ({exc.message}); set "
                      f"parallel_remediation_action back with vsphere.lifecycle.remediation_policy")

    # ------------------------------------------------------------------ apply
    def _apply(self, todo: list[str], states: Mapping[str, rem.HostState], commit: str | None) -> None:
        res = self.res

        def started(task_id: str) -> None:
            res.update(changed=True, apply_task=task_id)

        def wait(seconds: float) -> None:
            """Between two polls of the apply task; the first wait plans the next waves (plan_next)."""
            if self.next_ids and not self.planned:
                began = time.monotonic()
                self._plan_next(during_apply=True)
                seconds -= time.monotonic() - began
            if seconds > 0:
                time.sleep(seconds)

        try:
            applied = rem.apply(self.rest, self.target, todo, commit=commit, timeout=self.p["wait_timeout"],
                                on_started=started, sleep=wait)
        except ApiError as exc:
            if exc.error_type == "ALREADY_IN_DESIRED_STATE":
                return
            raise
        except TaskTimeoutError:
            self.apply_running = True
            raise
        except TaskFailedError as exc:
            rows = self._record(todo, states, rem.last_apply_result(self.rest, self.target) or {})
            self.failed_ids = [r["id"] for r in rows if r["status"] == "ERROR"]
            self.failure = (rows, list(exc.messages))
            return
        self._record(todo, states, applied.get("result") or rem.last_apply_result(self.rest, self.target) or {})

    def _record(self, todo: list[str], states: Mapping[str, rem.HostState],
                apply_result: Mapping[str, Any]) -> list[dict[str, Any]]:
        after = rem.host_states(self.target, rem.read_compliance(self.rest, self.target),
                                [(h, self.names[h]) for h in todo])
        rows = out.apply_rows(self.target, apply_result, self.names, states, after)
        fields = out.apply_fields(rows)
        self.res["skipped_hosts"] += fields.pop("skipped_by_vlcm")
        self.res.update(fields)
        self.res["compliance_after"] = {self.names[h]: s.status for h, s in sorted(after.items(),
                                                                                   key=lambda kv: self.names[kv[0]])}
        return rows
