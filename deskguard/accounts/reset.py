"""Password-reset limits (A3, F3): how many reset mails a request may cause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from deskguard.limits.rules import RESET_ADDRESS, RESET_EMAIL
from deskguard.limits.throttle import throttle_fail, throttle_lock
from deskguard.netutil import client_ip

from .models import normalize_email


@dataclass(frozen=True)
class ResetQuota:
    retry_at: datetime | None  # the client address is over its limit: refuse visibly
    send: bool  # False: the typed e-mail had its mails this hour; answer the same, send none


def password_reset_quota(request: HttpRequest, *, email: str) -> ResetQuota:
    """Rate-limit reset mails per typed address and per client address, so the form
    cannot flood a mailbox. Counted the same for unknown addresses (F3)."""
    email_key = RESET_EMAIL.of(normalize_email(email))
    address_key = RESET_ADDRESS.of(client_ip(request) or "unknown")
    with transaction.atomic():
        email_state, address_state = throttle_lock(email_key, address_key)
        now = timezone.now()
        retry_at = address_state.blocked_until(now)
        if retry_at is not None:
            return ResetQuota(retry_at, send=False)
        send = email_state.blocked_until(now) is None
        throttle_fail(email_state)
        throttle_fail(address_state)
    return ResetQuota(None, send=send)
