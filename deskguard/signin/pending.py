"""The half-signed-in state (C6), after the password and before the second factor.

One session value holds the account id, the portal, the e-mail, where to go after
sign-in and the time; the user is NOT logged in, so every protected view sees an
anonymous visitor. The marker dies after five minutes, when the e-mail or activity of
the account changed, or when it is used on the other portal.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import logout
from django.http import HttpRequest

from deskguard.accounts.models import User
from deskguard.accounts.portal import Portal
from deskguard.sessionvalues import timed_get, timed_put

SESSION_KEY = "dg.pending"
TTL_SECONDS = 300


@dataclass(frozen=True)
class Pending:
    user: User
    next_url: str  # checked by safe_next when it is followed


def pending_start(request: HttpRequest, *, user: User, portal: Portal, next_url: str) -> None:
    # A new sign-in ends whatever account this browser was signed in to, and the
    # session key changes at each step (C6).
    if request.user.is_authenticated:
        logout(request)
    request.session.cycle_key()
    marker = {"uid": user.pk, "portal": portal.value, "email": user.email, "next": next_url}
    timed_put(request.session, SESSION_KEY, marker)


def pending_get(request: HttpRequest, *, portal: Portal) -> Pending | None:
    marker = timed_get(request.session, SESSION_KEY, ttl=TTL_SECONDS)
    if not isinstance(marker, dict) or marker.get("portal") != portal.value:
        return None
    uid = marker.get("uid")
    if not isinstance(uid, int):
        return None
    user = User.objects.filter(pk=uid, is_active=True).first()
    if user is None or user.email != marker.get("email") or user.kind != portal.kind:
        return None
    return Pending(user=user, next_url=str(marker.get("next") or ""))


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
