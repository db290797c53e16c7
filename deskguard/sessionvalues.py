"""Time-limited values in the session: the pending sign-in (C6), the secret being
enrolled (B2), fresh recovery codes (B3), the recent-second-factor mark (B5-B7, and
administrators' sudo mode, I10), changes waiting for an administrator's confirmation
(I10) and SSO flows (A4). One place decides whether a stored time is still fresh."""

from __future__ import annotations

import json
import time
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from deskguard.crypto import InvalidToken, secret_decrypt, secret_encrypt

# Servers behind one load balancer may disagree by a few seconds about the time;
# a value stamped "in the future" by up to this much is still accepted.
CLOCK_SKEW_SECONDS = 60


def is_fresh(at: object, ttl: float) -> bool:
    """True if the timestamp `at` (seconds since the epoch) is at most `ttl` old."""
    if not isinstance(at, int | float | str) or isinstance(at, bool):
        return False
    try:
        age = time.time() - float(at)
    except ValueError:
        return False
    return -CLOCK_SKEW_SECONDS <= age <= ttl


def timed_put(session: SessionBase, key: str, value: Any, *, encrypt: bool = False) -> None:
    """Store a JSON-serialisable `value` with the current time. Secrets (a TOTP secret,
    recovery codes) are encrypted, so a session table dump does not reveal them."""
    stored = secret_encrypt(json.dumps(value)) if encrypt else value
    session[key] = {"value": stored, "at": time.time()}


def timed_get(session: SessionBase, key: str, *, ttl: float, encrypted: bool = False) -> Any:
    """The value stored by `timed_put`, or None if absent, malformed or older than `ttl`."""
    data = session.get(key)
    if not isinstance(data, dict) or "value" not in data or not is_fresh(data.get("at"), ttl):
        return None
    if not encrypted:
        return data["value"]
    try:
        return json.loads(secret_decrypt(str(data["value"])))
    except (InvalidToken, ValueError):
        return None
