"""Checking a second factor under the account's throttle (C3, C4, C5): used by the
sign-in's code step and by re-authentication before a factor change (B5-B7).

Crypto is in totp.py/recovery.py and the single-use writes in services.py; this
module adds the throttle, the audit trail and the holder's notices, and says what
the user reads about a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from deskguard.accounts.models import User
from deskguard.accounts.passwords import password_matches
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.limits.throttle import retry_message, throttle_clear, throttle_fail, throttle_lock

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
    at: float | None = None,
) -> Result:
    """Check one code (and, for re-authentication, the password) under the account's
    throttle row lock, so concurrent guesses are serialized across processes."""
    key = services.throttle_key(user)
    method = f"password+{factor.value}"
    with transaction.atomic():
        [state] = throttle_lock(key)
        # C5 + NIST 800-63B: after the hard lock only a recovery code still works.
        if state.locked and factor is Factor.TOTP:
            security_event(
                event=Event.SECOND_FACTOR_LOCKED, request=request, subject=user, method=method
            )
            return Result(Verdict.LOCKED, factor)
        retry_at = state.blocked_until(timezone.now())
        if retry_at is not None:
            security_event(
                event=Event.SECOND_FACTOR_THROTTLED,
                request=request,
                subject=user,
                method=method,
                detail={"retry_at": retry_at.isoformat()},
            )
            return Result(Verdict.THROTTLED, factor, retry_at)
        check = _check(user=user, factor=factor, code=code, password=password, at=at)
        if check is services.Check.ACCEPTED:
            throttle_clear(key)
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
        state = throttle_fail(state)
        replayed = check is services.Check.REPLAYED
        # The holder is told when delays start and when codes lock (outbox/notices.py).
        security_event(
            event=Event.SECOND_FACTOR_REPLAYED if replayed else Event.SECOND_FACTOR_FAILED,
            request=request,
            subject=user,
            method=method,
            detail={"failures": state.failures},
        )
    retry_at = state.blocked_until(timezone.now())
    return Result(Verdict.REPLAYED if replayed else Verdict.WRONG, factor, retry_at)


def _check(
    *, user: User, factor: Factor, code: str, password: str | None, at: float | None
) -> services.Check:
    if password is not None and not password_matches(user, password):
        return services.Check.WRONG
    if factor is Factor.RECOVERY:
        return services.recovery_code_use(user=user, code=code)
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        return services.Check.WRONG
    return services.totp_accept(device=device, code=code, at=at)


def verdict_message(result: Result, *, with_password: bool = False) -> tuple[str, int]:
    """What the user reads after a refused code, and the HTTP status. A
    re-authentication (`with_password`) does not say which of the two was wrong."""
    if result.verdict is Verdict.THROTTLED and result.retry_at:
        return retry_message(result.retry_at), 429
    if result.verdict is Verdict.LOCKED:
        return (
            "Sign-in with authenticator codes is locked after too many wrong codes. "
            "Use one of your recovery codes, or ask an administrator."
        ), 403
    if result.verdict is Verdict.REPLAYED:
        text = "That code was already used. Wait for the next code in your app."
    elif with_password:
        text = "The password or the code is not correct."
    else:
        text = "That code is not correct."
    if result.retry_at:
        text += " " + retry_message(result.retry_at)
    return text, 400
