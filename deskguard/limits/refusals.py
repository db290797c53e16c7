"""I7: attempts refused while a limit holds are counted on the limit's row. The audit
log gets one row when a window of refusals starts and one, with the count, when an
attempt is judged again: an attacker hammering a delayed account adds two rows per
window, not one per request (it was 38 a second from one client)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from deskguard.accounts.models import User
from deskguard.audit.models import Event
from deskguard.events import security_event

from .rules import Key
from .throttle import (
    State,
    throttle_create,
    throttle_fail,
    throttle_refusals_reported,
    throttle_refused,
    throttle_states,
)


def _refusal_event(
    request: HttpRequest,
    *,
    event: Event,
    method: str,
    user: User | None,
    email: str,
    detail: dict[str, Any],
) -> None:
    """One audit row about refused attempts: the account if known, else the address typed."""
    security_event(
        event=event,
        request=request,
        subject=user,
        subject_label=(email or (user.email if user else ""))[:254],
        method=method,
        detail=detail,
    )


def refusal_record(
    request: HttpRequest,
    state: State,
    *,
    event: Event,
    method: str,
    user: User | None = None,
    email: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    if state.refused == 0:
        started = {**(detail or {}), "limit": state.key.label, "window": "started"}
        if state.blocked_until is not None:
            started["retry_at"] = state.blocked_until.isoformat()
        _refusal_event(request, event=event, method=method, user=user, email=email, detail=started)
    throttle_refused(state)


def refusals_report(
    request: HttpRequest,
    states: Iterable[State],
    *,
    event: Event,
    method: str,
    user: User | None = None,
    email: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """The window is over for these keys: record how many attempts it refused."""
    for state in states:
        if not state.refused:
            continue
        summary: dict[str, Any] = {
            **(detail or {}),
            "limit": state.key.label,
            "refused": state.refused,
        }
        if state.refused_since:
            summary["since"] = state.refused_since.isoformat()
        _refusal_event(request, event=event, method=method, user=user, email=email, detail=summary)
        throttle_refusals_reported(state)


def limit_use(
    request: HttpRequest, key: Key, *, event: Event, method: str = "", email: str = ""
) -> datetime | None:
    """Count one use of a plain rate limit (reset requests, SSO starts). None: allowed
    and counted; else when to retry (the refusal is counted as I7 says, not recorded
    one row each)."""
    [state] = throttle_states(key)
    now = timezone.now()
    if (retry_at := state.retry_at(now)) is None:
        throttle_create(state)
        if throttle_fail(key):
            return None
        [state] = throttle_states(key)  # concurrent uses closed it meanwhile
        retry_at = state.retry_at(timezone.now()) or now
    refusal_record(request, state, event=event, method=method, email=email)
    return retry_at
