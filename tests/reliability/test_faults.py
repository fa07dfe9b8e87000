# Copyright: (c) 2026, vsphere.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix (issue 12, item 2): one row per scenario, each a fault injected through the simulator's admin
API during a real ansible-playbook run of a module or of the rolling_remediation role; the checks every row gets
are in faultlib.py (clear failure or success, claims against /sim/state, no session left open, a re-run that
converges, no host left in maintenance mode). The simulator restarting is in test_faults_restart.py."""

from __future__ import annotations

from typing import Any

import pytest
from vlcmsim.testing import SimulatorHandle

from .faultlib import (
    CLUSTER,
    CLUSTER_HOSTS,
    OPS,
    T1,
    T2,
    TS,
    During,
    Scenario,
    false_claims,
    fingerprint,
    in_maintenance,
    no_running_task,
    running_task,
    runs_desired,
    take_out_of_maintenance,
    wait_for,
)

SIM_SCENARIO = "tiny"
SIM_TIME_SCALE = 0.0005

pytestmark = pytest.mark.faults

TASKS = "/api/cis/tasks/*"
SOFTWARE = "/api/esx/settings/clusters/*/software"
HOST_SOFTWARE = "/api/esx/settings/hosts/*/software"
COMPLIANCE = "/api/esx/settings/clusters/*/software/compliance"
POLICY = "/api/esx/settings/clusters/*/policies/apply"


def http(status: int, count: int, **match: Any) -> dict[str, Any]:
    return {"type": "http_status", "status": status, "retry_after": 0, "count": count, **match}


def reset(count: int = 1, **match: Any) -> dict[str, Any]:
    return {"type": "reset_connection", "count": count, **match}


def host_fail(host: str, phase: str, count: int = 4) -> dict[str, Any]:
    # vLCM's default failure action retries a host 3 times: 4 failures make the host fail for good
    return {"type": "host_fail", "host": host, "phase": phase, "count": count}


def reconnect(*hosts: str):
    def after(sim: SimulatorHandle, _: Any) -> None:
        sim.add_faults([{"type": "host_reconnect", "host": h} for h in hosts])
    return after


def concurrent_stage(sim: SimulatorHandle) -> Any:
    """Someone else's stage of the cluster, still running when the module starts (a stalled download)."""
    sim.add_faults({"type": "host_stall", "host": T1, "phase": "download", "seconds": 3})
    http_session = sim.session()
    cid = sim.ids().cluster[CLUSTER]
    r = http_session.post(f"{sim.url}/api/esx/settings/clusters/{cid}/software?action=stage&vmw-task=true", json={},
                          timeout=30)
    assert r.status_code == 200, r.text
    return http_session


def end_concurrent_stage(sim: SimulatorHandle, http_session: Any) -> None:
    http_session.delete(sim.url + "/api/session", timeout=30)
    http_session.close()


def disconnect_during_apply(sim: SimulatorHandle) -> None:
    """Waits for the module's apply task to run, then disconnects a host that is not yet in maintenance mode."""
    assert wait_for(sim, lambda s: running_task(s, "apply"))
    sim.add_faults({"type": "host_disconnect", "host": T2})


SCENARIOS = [
    # ---------------------------------------------------------------------------- 503 bursts
    Scenario("503-burst-on-task-polls", "compliance", (http(503, 3, method="GET", path=TASKS),), "ok"),
    Scenario("503-burst-on-login", "stage", (http(503, 3, method="POST", path="/api/session"),), "ok"),
    Scenario("503-burst-on-apply-post", "remediate", (http(503, 2, method="POST", path=SOFTWARE, action="apply"),),
             "ok"),
    Scenario("503-past-the-retries-on-stage-post", "stage",
             (http(503, 6, method="POST", path=SOFTWARE, action="stage"),), "fail",
             ("503", "SERVICE_UNAVAILABLE")),
    Scenario("503-burst-on-policy-put", "policy", (http(503, 2, method="PUT", path=POLICY),), "ok"),
    Scenario("503-on-soap", "plan", (http(503, 1, path="/sdk"),), "either", ("SOAP", "503")),
    Scenario("502-and-504-on-compliance-read", "remediate",
             (http(502, 1, method="GET", path=COMPLIANCE), http(504, 1, method="GET", path=COMPLIANCE)), "ok"),
    # ---------------------------------------------------------------------------- expired sessions
    Scenario("session-expired-while-following-apply", "remediate",
             ({"type": "expire_session", "method": "GET", "path": TASKS},), "ok"),
    Scenario("session-expired-on-stage-post", "stage",
             ({"type": "expire_session", "method": "POST", "path": SOFTWARE, "action": "stage"},), "ok"),
    Scenario("session-expired-in-the-role", "role", ({"type": "expire_session", "method": "GET", "path": TASKS},),
             "ok"),
    Scenario("soap-session-expired-in-batch", "batch", ({"type": "expire_session", "path": "/sdk", "count": 1},),
             "either", ("session",)),
    # ---------------------------------------------------------------------------- connection resets, each phase
    Scenario("reset-on-login", "compliance", (reset(method="POST", path="/api/session"),), "ok"),
    Scenario("reset-on-name-lookup", "remediate", (reset(method="GET", path="/api/vcenter/cluster"),), "ok"),
    Scenario("reset-on-scan-post", "compliance", (reset(method="POST", path=SOFTWARE, action="scan"),), "either",
             ("scan",)),
    Scenario("reset-on-stage-post", "stage", (reset(method="POST", path=SOFTWARE, action="stage"),), "fail",
             ("started no task", "changed nothing")),
    Scenario("reset-after-stage-started", "stage",
             (reset(method="POST", path=SOFTWARE, action="stage", after_response=True),), "ok"),
    Scenario("reset-on-apply-post", "remediate", (reset(method="POST", path=SOFTWARE, action="apply"),), "fail",
             ("started no task", "changed nothing")),
    Scenario("reset-after-apply-started", "remediate",
             (reset(method="POST", path=SOFTWARE, action="apply", after_response=True),), "ok"),
    Scenario("resets-on-task-polls", "remediate", (reset(2, method="GET", path=TASKS),), "ok"),
    Scenario("reset-on-logout", "compliance", (reset(method="DELETE", path="/api/session"),), "ok"),
    Scenario("reset-on-soap-call", "batch", (reset(path="/sdk"),), "either", ("SOAP",)),
    Scenario("reset-on-standalone-apply-post", "remediate_host",
             (reset(method="POST", path=HOST_SOFTWARE, action="apply"),), "fail", ("started no task",)),
    Scenario("reset-on-policy-put", "policy", (reset(method="PUT", path=POLICY),), "ok"),
    # ---------------------------------------------------------------------------- slow calls past the timeout
    Scenario("slow-compliance-read-past-timeout", "compliance",
             ({"type": "slow", "seconds": 3, "method": "GET", "path": COMPLIANCE},), "ok", args={"timeout": 2}),
    Scenario("slow-task-polls-past-timeout-every-retry", "stage",
             ({"type": "slow", "seconds": 3, "method": "GET", "path": TASKS, "count": 6},), "fail",
             ("timed out", "timeout"), args={"timeout": 2}),
    Scenario("slow-soap-call-past-timeout", "plan", ({"type": "slow", "seconds": 3, "path": "/sdk"},), "either",
             ("timed out",), args={"timeout": 2}),
    # ---------------------------------------------------------------------------- a host failing at each phase
    Scenario("host-fails-at-download", "stage", (host_fail(T2, "download", 1),), "fail", (T2,)),
    Scenario("host-fails-at-enter-maintenance", "remediate", (host_fail(T2, "enter_maintenance"),), "fail", (T2,)),
    Scenario("host-fails-at-install", "remediate", (host_fail(T2, "install"),), "fail", (T2, "maintenance mode")),
    Scenario("host-fails-at-reboot", "remediate", (host_fail(T1, "reboot"),), "fail", (T1,)),
    Scenario("host-fails-at-exit-maintenance", "remediate", (host_fail(T1, "exit_maintenance"),), "fail",
             (T1, "exit it in the vSphere Client"), after=take_out_of_maintenance(T1)),
    Scenario("standalone-host-fails-at-install", "remediate_host", (host_fail(TS, "install"),), "fail", (TS,)),
    Scenario("batch-host-fails-at-enter-maintenance", "batch", (host_fail(T1, "enter_maintenance", 1),), "fail",
             (T1,)),
    Scenario("batch-host-fails-at-install", "batch", (host_fail(T1, "install"),), "fail", (T1, "maintenance mode")),
    Scenario("batch-host-fails-at-exit-maintenance", "batch", (host_fail(T1, "exit_maintenance", 1),), "fail",
             (T1, "could not be taken out of maintenance mode", "Exit Maintenance Mode"),
             after=take_out_of_maintenance(T1)),
    Scenario("role-host-fails-at-install", "role", (host_fail(T2, "install"),), "fail", (T2,)),
    # ---------------------------------------------------------------------------- a host disconnecting
    Scenario("host-disconnects-at-install", "remediate", ({"type": "host_disconnect", "host": T2, "phase": "install"},),
             "fail", (T2,), after=reconnect(T2)),
    Scenario("host-disconnected-before-stage", "stage", ({"type": "host_disconnect", "host": T1},), "either", (T1,),
             after=reconnect(T1), consumed=False),
    Scenario("host-disconnects-during-apply", "remediate", (), "either", (T2,), during=disconnect_during_apply,
             after=reconnect(T2)),
    # ---------------------------------------------------------------------------- a concurrent operation
    Scenario("cluster-busy-with-another-operation", "remediate", ({"type": "cluster_busy", "cluster": CLUSTER},),
             "fail", (CLUSTER,), consumed=False),
    Scenario("someone-elses-stage-running", "remediate", (), "either", (CLUSTER,), before=concurrent_stage,
             after=end_concurrent_stage),
    # ---------------------------------------------------------------------------- a task that never ends
    Scenario("apply-task-never-ends", "remediate", ({"type": "host_hang", "host": T1, "phase": "install"},), "fail",
             ("still running", "wait_timeout"), args={"wait_timeout": 3}, consumed=False),
    Scenario("stage-task-never-ends", "stage", ({"type": "host_hang", "host": T1, "phase": "download"},), "fail",
             ("still running", "wait_timeout"), args={"wait_timeout": 2}, consumed=False),
]


def outcome(result: Any) -> tuple[str, dict[str, Any]]:
    """("ok" | "fail", the op's result)."""
    op = result.task("op")
    return ("fail" if result.status("op") == "failed" or not result.ok else "ok"), op


def role_failure(result: Any) -> dict[str, Any]:
    """The result of the role's failed task (the role's op is an include_role: its tasks carry their own names)."""
    failed = [r for r in result.records if r["status"] == "failed"]
    return failed[-1]["result"] if failed else {}


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_fault(sc: Scenario, sim: SimulatorHandle, run_playbook, record_property) -> None:
    op = OPS[sc.op]
    record_property("kind", "fault")
    record_property("scenario", sc.id)
    record_property("converged", 0)
    before_state = sim.state()
    token = sc.before(sim) if sc.before else None
    if sc.faults:
        sim.add_faults(list(sc.faults))
    with During(sim, sc.during or (lambda _s: None)) as during:
        first = run_playbook(op.play(sc.args) if op.module != "role" else op.play(), extra_args=["-vvv"])
    during.check()

    # 1. a clear failure or a success
    if op.module == "role":
        status = "ok" if first.ok else "fail"
        res = role_failure(first) if not first.ok else {}
        msg = str(res.get("msg", "")) + "\n" + first.stdout
    else:
        status, res = outcome(first)
        msg = str(res.get("msg", ""))
    if sc.expect != "either":
        assert status == sc.expect, f"expected {sc.expect}, got {status}: {msg[-2000:]}\n{first.output[-3000:]}"
    assert "Traceback" not in first.output and "MODULE FAILURE" not in first.output, first.output[-3000:]
    if status == "fail":
        assert msg.strip(), first.output[-3000:]
        for word in sc.words:
            assert word.lower() in msg.lower(), f"{word!r} not in the failure message: {msg[-2000:]}"
    if sc.faults and sc.consumed:
        assert sim.faults() == [], f"faults not used up: {sim.faults()}"

    # 2. nothing reported as done that was not done; a run that changed hosts says so
    state = sim.state()
    task_still_running = running_task(state)
    claims = dict(res)
    if task_still_running:            # vCenter is still at it: maintenance mode may change under the result
        claims.pop("left_in_maintenance_mode", None)
    wrong = false_claims(claims, state)
    assert wrong == [], (wrong, res)
    if op.module != "role" and status == "fail" and fingerprint(state) != fingerprint(before_state) \
            and sc.during is None and sc.before is None:
        assert res.get("changed") is True, ("hosts changed but the result says changed: false", res)
    unreported = [] if task_still_running else \
        sorted(set(in_maintenance(state)) - set(res.get("left_in_maintenance_mode") or [])
               - ({n for n in in_maintenance(state) if n in msg} if op.module == "role" else set()))
    # 3. no session left open by the faulted run
    live = sim.wait_sessions_closed()
    if sc.before is None:
        leaked_first = live.get("rest", 0) + live.get("soap", 0)
    else:
        leaked_first = max(0, live.get("rest", 0) - 1) + live.get("soap", 0)   # the concurrent client's own

    # 4. clear the faults, let vCenter finish, re-run: converges
    if sc.after:
        sc.after(sim, token)
    if not sc.keep_faults:
        sim.clear_faults()
    assert wait_for(sim, no_running_task, timeout=120), "a task kept running after the faults were cleared"
    second = run_playbook(op.converge())
    final = sim.state()
    assert second.ok, (in_maintenance(final), second.output[-4000:])
    live_after = sim.wait_sessions_closed()
    leaked = leaked_first + live_after.get("rest", 0) + live_after.get("soap", 0)
    left = len(unreported) + len(in_maintenance(final))
    converged = second.ok and all(runs_desired(final, h) for h in CLUSTER_HOSTS) and not in_maintenance(final) \
        and (op.args.get("host") is None or runs_desired(final, op.args["host"]))
    record_property("sessions_leaked", leaked)
    record_property("hosts_left_in_maintenance", left)
    record_property("converged", int(converged))
    assert second.ok, second.output[-4000:]
    assert second.task("compliance")["status"] == "COMPLIANT", second.task("compliance")
    assert converged, [(h["name"], h["in_maintenance"]) for h in final["hosts"]]
    assert unreported == [], f"hosts in maintenance mode nobody reported: {unreported}"
    assert leaked == 0, f"sessions left open: first run {live}, re-run {live_after}"
