"""Checking a second factor under the account's limit (C3, C4, C5, K2): the sign-in's
second step and the re-authentication before a factor change (B5-B7, K3).

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
from django.utils.translation import gettext_lazy

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

from . import keys, services
from .webauthn import Reply


class Factor(Enum):
    TOTP = "totp"
    RECOVERY = "recovery"
    KEY = "key"  # a security key or passkey (WebAuthn)


@dataclass(frozen=True)
class KeyAttempt:
    """A security key's reply, and the ceremony whose challenge it must answer."""

    reply: Reply
    purpose: str
    binding: str


class Verdict(Enum):
    PASSED = "passed"
    WRONG = "wrong"
    REPLAYED = "replayed"
    THROTTLED = "throttled"
    LOCKED = "locked"
    CLONED = "cloned"


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    factor: Factor | None = None
    retry_at: datetime | None = None
    refusal: keys.KeyRefusal | None = None
    # After a recovery code was accepted: how many are left (counted once, for the audit
    # row and for the message the user reads next).
    recovery_codes_left: int | None = None

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
    key: KeyAttempt | None = None,
) -> Result:
    """Check one code (and, for re-authentication, the password first). `state` is the
    account's limit as the caller already fetched it with the account, if it did.
    A sign-in records its success itself (one audit row per sign-in); a
    re-authentication's success is recorded here."""
    limit = services.throttle_key(user)
    if state is None:
        [state] = throttle_states(limit)
    method = f"password+{factor.value}"
    now = timezone.now()
    # C5 + NIST 800-63B: after the hard lock only a recovery code still works.
    if state.locked and factor is not Factor.RECOVERY:
        refusal_record(request, state, event=Event.SECOND_FACTOR_LOCKED, user=user, method=method)
        return Result(Verdict.LOCKED, factor)
    if (retry_at := state.retry_at(now)) is not None:
        refusal_record(
            request, state, event=Event.SECOND_FACTOR_THROTTLED, user=user, method=method
        )
        return Result(Verdict.THROTTLED, factor, retry_at)
    refusals_report(request, [state], event=Event.SECOND_FACTOR_THROTTLED, user=user, method=method)
    outcome = _check(user=user, factor=factor, code=code, password=password, at=at, key=key)
    check = outcome.check if isinstance(outcome, keys.KeyCheck) else outcome
    used = outcome.key if isinstance(outcome, keys.KeyCheck) else None
    if check is services.Check.ACCEPTED:
        if state.failures or state.blocked_until:
            throttle_clear(limit)
        if password is not None:
            security_event(
                event=Event.SECOND_FACTOR_PASSED, request=request, subject=user, method=method
            )
        remaining = None
        if factor is Factor.RECOVERY:
            remaining = services.recovery_codes_remaining(user=user)
            security_event(
                event=Event.RECOVERY_USED,
                request=request,
                subject=user,
                method=method,
                detail={"remaining": remaining},
            )
        if used is not None:
            security_event(
                event=Event.KEY_USED,
                request=request,
                subject=user,
                method=method,
                detail={"key": used.label, "factor": used.pk},
            )
        return Result(Verdict.PASSED, factor, recovery_codes_left=remaining)
    throttle_create(state)
    counted = check is not services.Check.CLOSED and throttle_fail(
        limit, ignore_lock=factor is Factor.RECOVERY
    )
    [state] = throttle_states(limit)
    retry_at = state.retry_at(timezone.now())
    if not counted:
        # The limit closed while this code was being checked: refused, not judged.
        return Result(Verdict.THROTTLED, factor, retry_at or timezone.now())
    replayed = check is services.Check.REPLAYED
    refusal = outcome.refusal if isinstance(outcome, keys.KeyCheck) else None
    detail: dict[str, object] = {"failures": state.failures}
    if password is not None:
        # A re-authentication checks a password too: its mail cannot say it was right.
        detail["reauth"] = True
    if isinstance(outcome, keys.KeyCheck):
        detail.update(reason=refusal.value if refusal else check.value, why=outcome.why)
        if used is not None:
            detail.update(key=used.label, factor=used.pk)
    if check is services.Check.CLONED:
        # K2: a key whose counter went backwards was copied; refused, and the holder
        # is told (outbox/notices.py).
        security_event(
            event=Event.KEY_CLONE_DETECTED,
            request=request,
            subject=user,
            method=method,
            detail=detail,
        )
        return Result(Verdict.CLONED, factor, retry_at)
    # The holder is told when delays start and when codes lock (outbox/notices.py).
    security_event(
        event=Event.SECOND_FACTOR_REPLAYED if replayed else Event.SECOND_FACTOR_FAILED,
        request=request,
        subject=user,
        method=method,
        detail=detail,
    )
    return Result(Verdict.REPLAYED if replayed else Verdict.WRONG, factor, retry_at, refusal)


def _check(
    *,
    user: User,
    factor: Factor,
    code: str,
    password: str | None,
    at: float | None,
    key: KeyAttempt | None,
) -> services.Check | keys.KeyCheck:
    if password is not None and not password_matches(user, password):
        return services.Check.WRONG
    limit = services.throttle_key(user)
    gate = ~throttle_closed(limit, ignore_lock=factor is Factor.RECOVERY)
    if factor is Factor.RECOVERY:
        return services.recovery_code_use(user=user, code=code, gate=gate)
    if factor is Factor.KEY:
        if key is None:
            return services.Check.WRONG
        return keys.key_accept(
            user=user, reply=key.reply, purpose=key.purpose, binding=key.binding, gate=gate
        )
    device = services.app_factor_of(user)  # fetched with the account by the code step
    if device is None:
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
                "Sign-in with authenticator codes and security keys is locked after too many "
                "failed attempts. Use one of your recovery codes, or ask an administrator."
            )
        ), 403
    if result.factor is Factor.KEY:
        text = key_message(result, with_password=with_password)
    elif result.verdict is Verdict.REPLAYED:
        text = _("That code was already used. Wait for the next code in your app.")
    elif with_password:
        text = _("The password or the code is not correct.")
    else:
        text = _("That code is not correct.")
    if result.retry_at:
        text += " " + retry_message(result.retry_at)
    return text, 400


KEY_REFUSALS = {
    keys.KeyRefusal.CHALLENGE: gettext_lazy(
        "the request it answered was already used, has expired, or "
        "belongs to another sign-in. Try again."
    ),
    keys.KeyRefusal.UNKNOWN_KEY: gettext_lazy(
        "it is not one of the keys registered for this account."
    ),
    keys.KeyRefusal.INVALID: gettext_lazy("its answer could not be verified for this site."),
}


def key_message(result: Result, *, with_password: bool = False) -> str:
    """K2: why a security key was refused, in words."""
    if result.verdict is Verdict.CLONED:
        return _(
            "The security key was not accepted: its use counter went backwards, which "
            "happens when a key was copied. Use another way to sign in; we have e-mailed "
            "you about it."
        )
    if with_password:
        return _("The password or the security key was not accepted.")
    reason = KEY_REFUSALS.get(result.refusal) if result.refusal else None
    return _("The security key was not accepted: %(reason)s") % {
        "reason": reason or _("try again.")
    }
