"""Request-aware sign-in steps: password, pending second factor, full sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import lru_cache

from django.contrib.auth import login, logout
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from deskguard.audit.models import Event
from deskguard.audit.services import audit_record
from deskguard.netutil import client_ip
from deskguard.twofactor import throttle
from deskguard.twofactor.policy import challenge_needed, policy_current

from .models import User, normalize_email
from .pending import pending_clear, pending_start
from .portal import Portal

METHOD_SESSION_KEY = "dg.method"
BACKEND = "deskguard.accounts.backends.EmailBackend"


class Outcome(Enum):
    SIGNED_IN = "signed_in"
    SECOND_FACTOR = "second_factor"
    FAILED = "failed"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SigninResult:
    outcome: Outcome
    retry_at: datetime | None = None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return make_password("deskguard timing equalizer")


def password_matches(user: User | None, password: str) -> bool:
    """F3: an unknown e-mail, or an invited account without a password, costs
    the same Argon2 verification as a real one, so timing reveals nothing."""
    if user is None or not user.has_usable_password():
        check_password(password, _dummy_hash())
        return False
    return user.check_password(password)


def signin_with_password(
    request: HttpRequest, *, portal: Portal, email: str, password: str
) -> SigninResult:
    email = normalize_email(email)
    account_key = throttle.hashed_key("pw-account", email)
    address_key = throttle.hashed_key("pw-address", client_ip(request) or "unknown")
    detail = {"portal": portal.value}
    with transaction.atomic():
        # Only the account's row is locked while Argon2 runs: attempts on one account
        # are serialized (no burst slips past its delay), but one busy address (a NAT,
        # a proxy) does not serialize every sign-in behind it.
        account = throttle.throttle_lock({account_key: throttle.PASSWORD_ACCOUNT})[account_key]
        address = throttle.throttle_peek(address_key, throttle.PASSWORD_ADDRESS)
        user = User.objects.filter(email=email).first()
        now = timezone.now()
        retry_at = max((t for s in (account, address) if (t := s.blocked_until(now))), default=None)
        if retry_at is not None:
            audit_record(
                event=Event.SIGNIN_THROTTLED,
                request=request,
                subject=user,
                subject_label=email[:254],
                method="password",
                detail=detail,
            )
            return SigninResult(Outcome.THROTTLED, retry_at=retry_at)
        matched = password_matches(user, password)
        if user is None or not matched or not user.is_active or user.kind != portal.kind:
            throttle.throttle_fail(account)
            throttle.throttle_count(address)
            reason = (
                "unknown account"
                if user is None
                else "wrong password"
                if not matched
                else "inactive account"
                if not user.is_active
                else "wrong portal"
            )
            audit_record(
                event=Event.SIGNIN_FAILED,
                request=request,
                subject=user,
                subject_label=email[:254],
                method="password",
                detail={**detail, "reason": reason},
            )
            return SigninResult(Outcome.FAILED)
        throttle.throttle_clear(account_key)
    if challenge_needed(user, policy_current()):
        pending_start(request, user=user, portal=portal)
        return SigninResult(Outcome.SECOND_FACTOR)
    session_login(request, user=user, method="password")
    return SigninResult(Outcome.SIGNED_IN)


def session_login(request: HttpRequest, *, user: User, method: str) -> None:
    """Full sign-in. Django's login() gives the session a new key (C6)."""
    pending_clear(request)
    login(request, user, backend=BACKEND)
    request.session[METHOD_SESSION_KEY] = method
    audit_record(event=Event.SIGNIN_SUCCEEDED, request=request, subject=user, method=method)


def session_method(request: HttpRequest) -> str:
    return str(request.session.get(METHOD_SESSION_KEY, ""))


def session_logout(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        audit_record(event=Event.SIGNOUT, request=request, subject=request.user)
    logout(request)


@dataclass(frozen=True)
class ResetQuota:
    retry_at: datetime | None  # the client address is over its limit: refuse visibly
    send: bool  # False: the typed e-mail had its mails this hour; answer the same, send none


def password_reset_quota(request: HttpRequest, *, email: str) -> ResetQuota:
    """Rate-limit reset mails per typed address and per client address, so the form
    cannot flood a mailbox. Counted the same for unknown addresses (F3)."""
    email_key = throttle.hashed_key("reset-email", normalize_email(email))
    address_key = throttle.hashed_key("reset-address", client_ip(request) or "unknown")
    with transaction.atomic():
        states = throttle.throttle_lock(
            {email_key: throttle.RESET_EMAIL, address_key: throttle.RESET_ADDRESS}
        )
        now = timezone.now()
        retry_at = states[address_key].blocked_until(now)
        if retry_at is not None:
            return ResetQuota(retry_at, send=False)
        send = states[email_key].blocked_until(now) is None
        for state in states.values():
            throttle.throttle_fail(state)
    return ResetQuota(None, send=send)
