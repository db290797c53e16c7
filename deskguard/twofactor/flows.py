"""Request-aware second-factor steps: enrol, verify at sign-in, re-authenticate,
regenerate, disable. Crypto is in totp.py/recovery.py, writes in services.py."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from deskguard.accounts.flows import password_matches
from deskguard.accounts.models import User
from deskguard.accounts.pending import CLOCK_SKEW_SECONDS
from deskguard.audit.models import Event
from deskguard.audit.services import audit_record
from deskguard.crypto import InvalidToken, secret_decrypt, secret_encrypt

from . import notify, services, throttle, totp
from .models import TOTPDevice
from .policy import twofactor_active

ENROLL_KEY = "dg.enroll"
# An unconfirmed secret lives only in the enrolling session, encrypted, for 10
# minutes; it is never in the database and so can never pass a sign-in.
ENROLL_TTL = 600
CODES_KEY = "dg.codes"
CODES_TTL = 1800
REAUTH_KEY = "dg.reauth_at"
# Replacing the authenticator is allowed for 10 minutes after proving both factors.
REAUTH_TTL = 600


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


def _session_get(request: HttpRequest, key: str, ttl: int) -> str | None:
    data = request.session.get(key)
    if not isinstance(data, dict):
        return None
    try:
        if not -CLOCK_SKEW_SECONDS <= time.time() - float(data["at"]) <= ttl:
            return None
        return secret_decrypt(str(data["value"]))
    except (KeyError, TypeError, ValueError, InvalidToken):
        return None


def _session_put(request: HttpRequest, key: str, value: str) -> None:
    request.session[key] = {"value": secret_encrypt(value), "at": time.time()}


# Enrollment (B2, B3, B7) -------------------------------------------------------


def enrollment_secret(request: HttpRequest) -> str:
    """The secret being enrolled in this session; a new one once it expired."""
    secret = _session_get(request, ENROLL_KEY, ENROLL_TTL)
    if secret is None:
        secret = totp.secret_new()
        _session_put(request, ENROLL_KEY, secret)
    return secret


def enrollment_confirm(request: HttpRequest, *, user: User, code: str) -> bool:
    secret = _session_get(request, ENROLL_KEY, ENROLL_TTL)
    step = totp.matching_step(secret, code) if secret else None
    if secret is None or step is None:
        return False
    replacing = twofactor_active(user)
    _, codes = services.device_activate(user=user, secret=secret, step=step)
    request.session.pop(ENROLL_KEY, None)
    request.session.pop(REAUTH_KEY, None)
    fresh_codes_put(request, codes)
    audit_record(
        event=Event.AUTHENTICATOR_REPLACED if replacing else Event.ENROLLED,
        request=request,
        subject=user,
    )
    audit_record(event=Event.RECOVERY_GENERATED, request=request, subject=user)
    notify.notify_enabled(user=user, request=request, replaced=replacing)
    return True


def fresh_codes_put(request: HttpRequest, codes: list[str]) -> None:
    """Recovery codes are shown once (B3): kept encrypted in the session until the
    user confirms they saved them, never retrievable from the database."""
    _session_put(request, CODES_KEY, json.dumps(codes))


def fresh_codes(request: HttpRequest) -> list[str] | None:
    raw = _session_get(request, CODES_KEY, CODES_TTL)
    return list(json.loads(raw)) if raw else None


def fresh_codes_confirm(request: HttpRequest) -> None:
    request.session.pop(CODES_KEY, None)


# Verification (C3, C4, C5) -----------------------------------------------------


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
        state = throttle.throttle_lock({key: throttle.SECOND_FACTOR})[key]
        # C5 + NIST 800-63B: after the hard lock only a recovery code still works.
        if state.locked and factor is Factor.TOTP:
            audit_record(
                event=Event.SECOND_FACTOR_LOCKED, request=request, subject=user, method=method
            )
            return Result(Verdict.LOCKED, factor)
        retry_at = state.blocked_until(timezone.now())
        if retry_at is not None:
            audit_record(
                event=Event.SECOND_FACTOR_THROTTLED,
                request=request,
                subject=user,
                method=method,
                detail={"retry_at": retry_at.isoformat()},
            )
            return Result(Verdict.THROTTLED, factor, retry_at)
        check = _check(user=user, factor=factor, code=code, password=password, at=at)
        if check is services.Check.ACCEPTED:
            throttle.throttle_clear(key)
            audit_record(
                event=Event.SECOND_FACTOR_PASSED, request=request, subject=user, method=method
            )
            if factor is Factor.RECOVERY:
                remaining = services.recovery_codes_remaining(user=user)
                audit_record(
                    event=Event.RECOVERY_USED,
                    request=request,
                    subject=user,
                    method=method,
                    detail={"remaining": remaining},
                )
                notify.notify_recovery_used(user=user, request=request, remaining=remaining)
            return Result(Verdict.PASSED, factor)
        state = throttle.throttle_fail(state)
    replayed = check is services.Check.REPLAYED
    audit_record(
        event=Event.SECOND_FACTOR_REPLAYED if replayed else Event.SECOND_FACTOR_FAILED,
        request=request,
        subject=user,
        method=method,
        detail={"failures": state.failures},
    )
    retry_at = state.blocked_until(timezone.now())
    if state.failures == state.rule.free_failures or state.locked:
        # Tell the account holder once when throttling starts and when it locks.
        notify.notify_throttled(user=user, request=request, locked=state.locked, retry_at=retry_at)
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


# Re-authentication and account actions (B5, B6, B7) ----------------------------


def reauth_mark(request: HttpRequest) -> None:
    request.session[REAUTH_KEY] = time.time()


def reauth_recent(request: HttpRequest) -> bool:
    try:
        age = time.time() - float(request.session.get(REAUTH_KEY, 0))
        return -CLOCK_SKEW_SECONDS <= age <= REAUTH_TTL
    except (TypeError, ValueError):
        return False


def recovery_codes_regenerate(request: HttpRequest, *, user: User) -> None:
    codes = services.recovery_codes_replace(user=user)
    fresh_codes_put(request, codes)
    audit_record(event=Event.RECOVERY_REGENERATED, request=request, subject=user)
    notify.notify_codes_regenerated(user=user, request=request)


def twofactor_disable(request: HttpRequest, *, user: User) -> None:
    services.device_remove(user=user)
    audit_record(event=Event.DISABLED, request=request, subject=user)
    notify.notify_disabled(user=user, request=request, by_admin=None)
