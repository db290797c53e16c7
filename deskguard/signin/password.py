"""The password step (A3, C5, F3, I1, I7, I8): limits, Argon2, then a signed-in session
or a pending second step.

No database lock is held while Argon2 runs: the attempt is counted first, in one
conditional UPDATE over the account's (or this browser's) counter and the client's
counter, then the password is checked, then the outcome is settled. So the counts are
exact under any concurrency, and sign-ins never queue behind each other's hashing
(on SQLite, behind the single writer's lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.http import HttpRequest
from django.utils import timezone

from deskguard.accounts.models import User, normalize_email
from deskguard.accounts.passwords import password_matches
from deskguard.accounts.portal import Portal
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.limits.clients import request_client_group
from deskguard.limits.refusals import refusal_record, refusals_report
from deskguard.limits.rules import PASSWORD_ACCOUNT, PASSWORD_ADDRESS, PASSWORD_DEVICE, Key
from deskguard.limits.throttle import (
    State,
    throttle_create,
    throttle_reserve,
    throttle_settle_failure,
    throttle_settle_success,
    throttle_states,
)
from deskguard.twofactor.policy import has_2fa

from .device import device_nonce
from .session import session_login


class Outcome(Enum):
    SIGNED_IN = "signed_in"
    SECOND_FACTOR = "second_factor"
    FAILED = "failed"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SigninResult:
    outcome: Outcome
    user: User | None = None
    retry_at: datetime | None = None


def password_keys(request: HttpRequest, email: str) -> tuple[Key, Key]:
    """The two counters an attempt is judged against: this browser's (if it signed in
    to the account before) or the account's, and the client address's."""
    nonce = device_nonce(request, email=email)
    account = PASSWORD_DEVICE.of(nonce) if nonce else PASSWORD_ACCOUNT.of(email)
    return account, PASSWORD_ADDRESS.of(request_client_group(request))


def signin_with_password(
    request: HttpRequest, *, portal: Portal, email: str, password: str
) -> SigninResult:
    email = normalize_email(email)
    keys = password_keys(request, email)
    states = throttle_states(*keys)
    now = timezone.now()
    refused = [(state, at) for state in states if (at := state.retry_at(now))]
    if refused:
        return _throttled(request, portal=portal, email=email, refused=refused)
    refusals_report(
        request,
        states,
        event=Event.SIGNIN_THROTTLED,
        method="password",
        email=email,
        detail={"portal": portal.value},
    )
    throttle_create(*states)
    if not throttle_reserve(*keys):
        # Concurrent attempts reached a limit between the read and the count.
        states = throttle_states(*keys)
        refused = [(s, at) for s in states if (at := s.retry_at(timezone.now()))]
        return _throttled(request, portal=portal, email=email, refused=refused)
    user = User.objects.filter(email=email).annotate(has_2fa=has_2fa()).first()
    matched = password_matches(user, password)  # Argon2, outside any transaction
    if user is None or not matched or not user.is_active or user.kind != portal.kind:
        throttle_settle_failure(*keys)
        security_event(
            event=Event.SIGNIN_FAILED,
            request=request,
            subject=user,
            subject_label=email[:254],
            method="password",
            detail={"portal": portal.value, "reason": _failure_reason(user, matched)},
        )
        return SigninResult(Outcome.FAILED)
    account_key, address_key = keys
    throttle_settle_success(clear=[account_key], refund=[address_key])
    # C1/C2, I11: an account with a factor is always asked for it, whatever the policy
    # says now ("allow" off gates new enrolments only; see twofactor/policy.py).
    if getattr(user, "has_2fa", False):
        return SigninResult(Outcome.SECOND_FACTOR, user=user)
    session_login(request, user=user, method="password")
    return SigninResult(Outcome.SIGNED_IN, user=user)


def _throttled(
    request: HttpRequest, *, portal: Portal, email: str, refused: list[tuple[State, datetime]]
) -> SigninResult:
    user = User.objects.filter(email=email).first()
    for state, _ in refused:
        refusal_record(
            request,
            state,
            event=Event.SIGNIN_THROTTLED,
            method="password",
            user=user,
            email=email,
            detail={"portal": portal.value},
        )
    retry_at = max((at for _, at in refused), default=timezone.now())
    return SigninResult(Outcome.THROTTLED, user=user, retry_at=retry_at)


def _failure_reason(user: User | None, matched: bool) -> str:
    """For the audit log only: the user always reads the same message (F3)."""
    if user is None:
        return "unknown account"
    if not matched:
        return "wrong password"
    if not user.is_active:
        return "inactive account"
    return "wrong portal"
