"""Request-aware factor management: enrol (B2, B3, B7), re-authenticate, regenerate
(B5) and disable (B6). Crypto is in totp.py/recovery.py, writes in services.py,
code checks in verify.py."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.http import HttpRequest

from deskguard.accounts.models import User
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.sessionvalues import timed_get, timed_put

from . import services, totp
from .policy import twofactor_active

ENROLL_KEY = "dg.enroll"
# An unconfirmed secret lives only in the enrolling session, encrypted, for 10
# minutes; it is never in the database and so can never pass a sign-in.
ENROLL_TTL = 600
CODES_KEY = "dg.codes"
CODES_TTL = 1800
REAUTH_KEY = "dg.reauth"
# The one "recent second factor" mark of a session: set when its account proved
# password + second factor (at sign-in, or on a re-authentication page). For 10
# minutes it lets the holder replace their authenticator without asking again (B7),
# and for an administrator it is sudo mode (I10, twofactor/sudo.py). Short, like
# GitHub's sudo mode: a borrowed or stolen session gets a few minutes at most.
REAUTH_TTL = 600


# Enrollment (B2, B3, B7) -------------------------------------------------------


def enrollment_secret(request: HttpRequest) -> str:
    """The secret being enrolled in this session; a new one once it expired."""
    secret = timed_get(request.session, ENROLL_KEY, ttl=ENROLL_TTL, encrypted=True)
    if not isinstance(secret, str):
        secret = totp.secret_new()
        timed_put(request.session, ENROLL_KEY, secret, encrypt=True)
    return secret


def enrollment_confirm(request: HttpRequest, *, user: User, code: str) -> bool:
    secret = timed_get(request.session, ENROLL_KEY, ttl=ENROLL_TTL, encrypted=True)
    step = totp.matching_step(secret, code) if isinstance(secret, str) else None
    if not isinstance(secret, str) or step is None:
        return False
    replacing = services.app_factor_of(user) is not None
    # K2: an app added next to security keys keeps the account's recovery codes.
    adding = not replacing and twofactor_active(user)
    with transaction.atomic():
        _, codes = services.device_activate(
            user=user, secret=secret, step=step, fresh_codes=not adding
        )
        if adding:
            event = Event.APP_ADDED
        else:
            event = Event.AUTHENTICATOR_REPLACED if replacing else Event.ENROLLED
        security_event(event=event, request=request, subject=user)
        if codes:
            security_event(event=Event.RECOVERY_GENERATED, request=request, subject=user)
    # The codes are in the session before anything is mailed: the page that shows them
    # never depends on the mail server (H2).
    request.session.pop(ENROLL_KEY, None)
    # The proof was made with the factor just replaced: the next change (and, for an
    # administrator, sudo mode) asks for the new one.
    if replacing:
        request.session.pop(REAUTH_KEY, None)
    if codes:
        # An app added next to security keys makes no new codes: the account has them.
        fresh_codes_put(request, codes, after=Fresh.REPLACED if replacing else Fresh.ENROLLED)
    return True


class Fresh(StrEnum):
    """What a new set of recovery codes came with: the codes page says so (B3)."""

    ENROLLED = "enrolled"
    REPLACED = "replaced"
    REGENERATED = "regenerated"


@dataclass(frozen=True)
class FreshCodes:
    codes: list[str]
    after: Fresh


def fresh_codes_put(request: HttpRequest, codes: list[str], *, after: Fresh) -> None:
    """Recovery codes are shown once (B3): kept encrypted in the session until the
    user confirms they saved them, never retrievable from the database."""
    timed_put(request.session, CODES_KEY, {"codes": codes, "after": after.value}, encrypt=True)


def fresh_codes(request: HttpRequest) -> FreshCodes | None:
    stored = timed_get(request.session, CODES_KEY, ttl=CODES_TTL, encrypted=True)
    if not isinstance(stored, dict) or not isinstance(stored.get("codes"), list):
        return None
    after = stored.get("after")
    return FreshCodes(
        [str(code) for code in stored["codes"]],
        Fresh(after) if after in {f.value for f in Fresh} else Fresh.REGENERATED,
    )


def fresh_codes_confirm(request: HttpRequest) -> None:
    request.session.pop(CODES_KEY, None)


# Re-authentication and account actions (B5, B6, B7) ----------------------------


def reauth_mark(request: HttpRequest) -> None:
    """`request.user` just proved password + second factor in this session. Sign-out
    flushes the session and with it the mark."""
    timed_put(request.session, REAUTH_KEY, request.user.pk)


def reauth_recent(request: HttpRequest) -> bool:
    # The mark names its account: it never vouches for another one in this session.
    marked = timed_get(request.session, REAUTH_KEY, ttl=REAUTH_TTL)
    return marked is not None and marked == request.user.pk


def recovery_codes_regenerate(request: HttpRequest, *, user: User) -> None:
    with transaction.atomic():
        codes = services.recovery_codes_replace(user=user)
        security_event(event=Event.RECOVERY_REGENERATED, request=request, subject=user)
    fresh_codes_put(request, codes, after=Fresh.REGENERATED)


@transaction.atomic
def twofactor_disable(request: HttpRequest, *, user: User) -> None:
    services.factors_remove(user=user)
    security_event(event=Event.DISABLED, request=request, subject=user)
