"""The half-signed-in state (C6), after the password and before the second factor.

A signed, time-stamped cookie holds the account id, the portal, the e-mail and where to
go after sign-in; the user is NOT logged in, so every protected view sees an anonymous
visitor, and the password step writes nothing to the session table. The marker dies
after five minutes (the signature's time stamp), when the e-mail or activity of the
account changed, when it is used on the other portal, and at full sign-in, where the
session key changes (Django's login()).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from deskguard.accounts.models import User
from deskguard.accounts.portal import Portal

from .cookies import cookie_delete, cookie_read, cookie_write

COOKIE = "dgpending"
SALT = "deskguard.signin.pending"
TTL_SECONDS = 300


@dataclass(frozen=True)
class Pending:
    user: User
    next_url: str  # checked by safe_next when it is followed
    # This sign-in's own random value: a security key's challenge is bound to it, so
    # an answer made for another pending sign-in (another tab, another browser) of the
    # same account is refused (K2).
    nonce: str = ""


def pending_start(
    request: HttpRequest, response: HttpResponseBase, *, user: User, portal: Portal, next_url: str
) -> None:
    # A new sign-in ends whatever account this browser was signed in to.
    if request.user.is_authenticated:
        logout(request)
    marker = {
        "uid": user.pk,
        "portal": portal.value,
        "email": user.email,
        "next": next_url,
        "nonce": secrets.token_urlsafe(16),
    }
    cookie_write(response, COOKIE, marker, salt=SALT, max_age=TTL_SECONDS)


def pending_marker(request: HttpRequest, *, portal: Portal) -> dict[str, Any] | None:
    marker = cookie_read(request, COOKIE, salt=SALT, max_age=TTL_SECONDS)
    if not isinstance(marker, dict) or marker.get("portal") != portal.value:
        return None
    return marker if isinstance(marker.get("uid"), int) else None


def pending_clear(response: HttpResponseBase) -> None:
    cookie_delete(response, COOKIE)
