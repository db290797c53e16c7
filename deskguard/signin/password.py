"""The password step (A3, C5, F3): throttle, check, then sign in or ask for the
second factor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from deskguard.accounts.models import User, normalize_email
from deskguard.accounts.passwords import password_matches
from deskguard.accounts.portal import Portal
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.limits.rules import PASSWORD_ACCOUNT, PASSWORD_ADDRESS
from deskguard.limits.throttle import (
    throttle_clear,
    throttle_count,
    throttle_fail,
    throttle_lock,
    throttle_peek,
)
from deskguard.netutil import client_ip
from deskguard.twofactor.policy import challenge_needed

from .pending import pending_start
from .session import session_login


class Outcome(Enum):
    SIGNED_IN = "signed_in"
    SECOND_FACTOR = "second_factor"
    FAILED = "failed"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SigninResult:
    outcome: Outcome
    retry_at: datetime | None = None


def signin_with_password(
    request: HttpRequest, *, portal: Portal, email: str, password: str, next_url: str
) -> SigninResult:
    email = normalize_email(email)
    account_key = PASSWORD_ACCOUNT.of(email)
    address_key = PASSWORD_ADDRESS.of(client_ip(request) or "unknown")
    detail = {"portal": portal.value}
    with transaction.atomic():
        # Only the account's row is locked while Argon2 runs: attempts on one account
        # are serialized (no burst slips past its delay), but one busy address (a NAT,
        # a proxy) does not serialize every sign-in behind it.
        [account] = throttle_lock(account_key)
        address = throttle_peek(address_key)
        user = User.objects.filter(email=email).first()
        now = timezone.now()
        retry_at = max((t for s in (account, address) if (t := s.blocked_until(now))), default=None)
        if retry_at is not None:
            security_event(
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
            throttle_fail(account)
            throttle_count(address)
            security_event(
                event=Event.SIGNIN_FAILED,
                request=request,
                subject=user,
                subject_label=email[:254],
                method="password",
                detail={**detail, "reason": _failure_reason(user, matched, portal)},
            )
            return SigninResult(Outcome.FAILED)
        throttle_clear(account_key)
    if challenge_needed(user):
        pending_start(request, user=user, portal=portal, next_url=next_url)
        return SigninResult(Outcome.SECOND_FACTOR)
    session_login(request, user=user, method="password")
    return SigninResult(Outcome.SIGNED_IN)


def _failure_reason(user: User | None, matched: bool, portal: Portal) -> str:
    """For the audit log only: the user always reads the same message (F3)."""
    if user is None:
        return "unknown account"
    if not matched:
        return "wrong password"
    if not user.is_active:
        return "inactive account"
    return "wrong portal"
