"""REST and SOAP sessions: login, logout, idle expiry; every session id issued is recorded (GET /sim/sessions and
STATE_DIR/sessions-issued.txt, one id a line, kept across /sim/reset) so that tests can look for leaked ids."""

from __future__ import annotations

import os
import time
import uuid

from ..model import Session, World


def login(world: World, user: str, password: str, protocol: str) -> Session | None:
    if user != world.username or password != world.password:
        # vCenter accepts the user name case-insensitively; the password must match exactly
        if not (user.lower() == world.username.lower() and password == world.password):
            return None
    now = time.time()
    sess = Session(id=uuid.uuid4().hex, user=world.username, protocol=protocol, created=now, last_used=now)
    with world.lock:
        world.sessions[sess.id] = sess
        world.counters.logins[protocol] = world.counters.logins.get(protocol, 0) + 1
        world.issued_sessions.append((protocol, sess.id))
        if world.state_dir:
            _record(os.path.join(world.state_dir, ISSUED_FILE), sess.id)
    return sess


ISSUED_FILE = "sessions-issued.txt"


def _record(path: str, sid: str) -> None:
    try:
        with open(path, "a", encoding="ascii") as fh:
            fh.write(sid + "\n")
    except OSError:
        pass                    # a read-only state dir must not break logins


def logout(world: World, sid: str) -> bool:
    with world.lock:
        sess = world.sessions.pop(sid, None)
        if sess is not None:
            world.counters.logouts[sess.protocol] = world.counters.logouts.get(sess.protocol, 0) + 1
        return sess is not None


def get_session(world: World, sid: str | None) -> Session | None:
    if not sid:
        return None
    with world.lock:
        sess = world.sessions.get(sid)
        if sess is None:
            return None
        now = time.time()
        if world.session_idle_timeout > 0 and now - sess.last_used > world.session_idle_timeout:
            del world.sessions[sid]          # expired by idle timeout
            return None
        sess.last_used = now
        return sess


def expire_session(world: World, sid: str | None) -> bool:
    """Drop a session without counting a logout (the admin `expire_session` fault)."""
    if not sid:
        return False
    with world.lock:
        return world.sessions.pop(sid, None) is not None
