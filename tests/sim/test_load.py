"""50 concurrent clients (scan + compliance + task polling) for 30 s: no error, no leaked session.

The duration can be shortened with VLCMSIM_LOAD_SECONDS (e.g. 5 for a quick local run); the test
always stops by itself (every thread has a deadline, joins are bounded).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from _simapi import Api

CLIENTS = 50
SECONDS = float(os.environ.get("VLCMSIM_LOAD_SECONDS", "30"))


def _client(api: Api, targets: list[str], deadline: float, errors: list[str], done: list[int]) -> None:
    s = requests.Session()
    s.trust_env = False
    s.verify = api.sim.verify
    base = api.base
    try:
        r = s.post(base + "/session", auth=(api.sim.username, api.sim.password), timeout=30)
        if r.status_code != 201:
            errors.append(f"login {r.status_code} {r.text}")
            return
        s.headers["vmware-api-session-id"] = r.json()
        i = 0
        while time.monotonic() < deadline:
            path = targets[i % len(targets)]
            i += 1
            r = s.post(f"{base}{path}?action=scan&vmw-task=true", timeout=30)
            if r.status_code != 200:
                errors.append(f"scan {r.status_code} {r.text[:200]}")
                continue
            tid = r.json()
            while True:
                t = s.get(f"{base}/cis/tasks/{tid}", timeout=30)
                if t.status_code != 200:
                    errors.append(f"task {t.status_code} {t.text[:200]}")
                    break
                status = t.json()["status"]
                if status == "FAILED":
                    errors.append(f"scan task failed: {t.json().get('error')}")
                if status in ("SUCCEEDED", "FAILED"):
                    break
                time.sleep(0.02)
            c = s.get(f"{base}{path}/compliance", timeout=30)
            if c.status_code != 200 or "status" not in c.json():
                errors.append(f"compliance {c.status_code} {c.text[:200]}")
            done[0] += 1
        r = s.delete(base + "/session", timeout=30)
        if r.status_code != 204:
            errors.append(f"logout {r.status_code}")
    except requests.RequestException as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        s.close()


def test_fifty_concurrent_clients(sim_factory: Callable[..., Api]) -> None:
    api = sim_factory("demo")
    st: dict[str, Any] = api.state()
    targets = [f"/esx/settings/clusters/{c['id']}/software" for c in st["clusters"]]
    targets += [f"/esx/settings/hosts/{h['id']}/software" for h in st["hosts"] if h["cluster"] is None]
    api.http.delete(api.base + "/session", timeout=10)          # the fixture's own session
    logins_before = api.counters()["logins"]["rest"]
    errors: list[str] = []
    done = [0]
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=_client, args=(api, targets, deadline, errors, done), daemon=True)
               for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 60)
    assert not any(t.is_alive() for t in threads), "clients did not stop"
    assert errors == [], errors[:5]
    assert done[0] >= CLIENTS                       # every client completed rounds
    c = api.counters()
    assert c["logins"]["rest"] - logins_before == CLIENTS
    assert c["live_sessions"]["rest"] == 0          # no leaked session
