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
    user: User | None = None


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
    rules = {
        account_key: throttle.PASSWORD_ACCOUNT,
        throttle.hashed_key(
            "pw-address", client_ip(request) or "unknown"
        ): throttle.PASSWORD_ADDRESS,
    }
    detail = {"portal": portal.value}
    with transaction.atomic():
        states = throttle.throttle_lock(rules)
        user = User.objects.filter(email=email).first()
        now = timezone.now()
        retry_at = max((t for s in states.values() if (t := s.blocked_until(now))), default=None)
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
            for state in states.values():
                throttle.throttle_fail(state)
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
        return SigninResult(Outcome.SECOND_FACTOR, user=user)
    session_login(request, user=user, method="password")
    return SigninResult(Outcome.SIGNED_IN, user=user)


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
