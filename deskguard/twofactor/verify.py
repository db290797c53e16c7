"""Checking a second factor under the account's limit (C3, C4, C5): the sign-in's code
step and the re-authentication before a factor change (B5-B7).

No lock is held: a code is checked in memory (an HMAC, microseconds), and the database
decides in one statement each whether a right code is accepted (single use, and only
while the account's limit is open) and whether a wrong one is counted (only while the
limit is open: after the fifth failure, racing guesses are refused, not judged).
Crypto is in totp.py/recovery.py, the single-use writes in services.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from deskguard.accounts.models import User
from deskguard.accounts.passwords import password_matches
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.limits.refusals import refusal_record, refusals_report
from deskguard.limits.throttle import (
    State,
    retry_message,
    throttle_clear,
    throttle_closed,
    throttle_create,
    throttle_fail,
    throttle_states,
)

from . import services
from .models import TOTPDevice


class Factor(Enum):
    TOTP = "totp"
    RECOVERY = "recovery"


class Verdict(Enum):
    PASSED = "passed"
    WRONG = "wrong"
    REPLAYED = "replayed"
    THROTTLED = "throttled"
    LOCKED = "locked"


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    factor: Factor | None = None
    retry_at: datetime | None = None

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASSED


def second_factor_verify(
    request: HttpRequest,
    *,
    user: User,
    factor: Factor,
    code: str,
    password: str | None = None,
    state: State | None = None,
    at: float | None = None,
) -> Result:
    """Check one code (and, for re-authentication, the password first). `state` is the
    account's limit as the caller already fetched it with the account, if it did.
    A sign-in records its success itself (one audit row per sign-in); a
    re-authentication's success is recorded here."""
    key = services.throttle_key(user)
    if state is None:
        [state] = throttle_states(key)
    method = f"password+{factor.value}"
    now = timezone.now()
    # C5 + NIST 800-63B: after the hard lock only a recovery code still works.
    if state.locked and factor is Factor.TOTP:
        refusal_record(request, state, event=Event.SECOND_FACTOR_LOCKED, user=user, method=method)
        return Result(Verdict.LOCKED, factor)
    if (retry_at := state.retry_at(now)) is not None:
        refusal_record(
            request, state, event=Event.SECOND_FACTOR_THROTTLED, user=user, method=method
        )
        return Result(Verdict.THROTTLED, factor, retry_at)
    refusals_report(request, [state], event=Event.SECOND_FACTOR_THROTTLED, user=user, method=method)
    check = _check(user=user, factor=factor, code=code, password=password, at=at)
    if check is services.Check.ACCEPTED:
        if state.failures or state.blocked_until:
            throttle_clear(key)
        if password is not None:
            security_event(
                event=Event.SECOND_FACTOR_PASSED, request=request, subject=user, method=method
            )
        if factor is Factor.RECOVERY:
            remaining = services.recovery_codes_remaining(user=user)
            security_event(
                event=Event.RECOVERY_USED,
                request=request,
                subject=user,
                method=method,
                detail={"remaining": remaining},
            )
        return Result(Verdict.PASSED, factor)
    throttle_create(state)
    counted = check is not services.Check.CLOSED and throttle_fail(
        key, ignore_lock=factor is Factor.RECOVERY
    )
    [state] = throttle_states(key)
    retry_at = state.retry_at(timezone.now())
    if not counted:
        # The limit closed while this code was being checked: refused, not judged.
        return Result(Verdict.THROTTLED, factor, retry_at or timezone.now())
    replayed = check is services.Check.REPLAYED
    # The holder is told when delays start and when codes lock (outbox/notices.py).
    security_event(
        event=Event.SECOND_FACTOR_REPLAYED if replayed else Event.SECOND_FACTOR_FAILED,
        request=request,
        subject=user,
        method=method,
        # A re-authentication checks a password too: its mail cannot say it was right.
        detail={"failures": state.failures, **({"reauth": True} if password is not None else {})},
    )
    return Result(Verdict.REPLAYED if replayed else Verdict.WRONG, factor, retry_at)


def _check(
    *, user: User, factor: Factor, code: str, password: str | None, at: float | None
) -> services.Check:
    if password is not None and not password_matches(user, password):
        return services.Check.WRONG
    key = services.throttle_key(user)
    gate = ~throttle_closed(key, ignore_lock=factor is Factor.RECOVERY)
    if factor is Factor.RECOVERY:
        return services.recovery_code_use(user=user, code=code, gate=gate)
    try:
        device = user.totp_device  # fetched with the account by the code step
    except TOTPDevice.DoesNotExist:
        return services.Check.WRONG
    return services.totp_accept(device=device, code=code, at=at, gate=gate)


def verdict_message(result: Result, *, with_password: bool = False) -> tuple[str, int]:
    """What the user reads after a refused code, and the HTTP status. A
    re-authentication (`with_password`) does not say which of the two was wrong."""
    if result.verdict is Verdict.THROTTLED and result.retry_at:
        return retry_message(result.retry_at), 429
    if result.verdict is Verdict.LOCKED:
        return (
            _(
                "Sign-in with authenticator codes is locked after too many wrong codes. "
                "Use one of your recovery codes, or ask an administrator."
            )
        ), 403
    if result.verdict is Verdict.REPLAYED:
        text = _("That code was already used. Wait for the next code in your app.")
    elif with_password:
        text = _("The password or the code is not correct.")
    else:
        text = _("That code is not correct.")
    if result.retry_at:
        text += " " + retry_message(result.retry_at)
    return text, 400
