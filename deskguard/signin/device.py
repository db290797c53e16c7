"""Device cookies (I1, OWASP "Slow down online guessing attacks with device cookies").

A browser that completed a form sign-in to an account gets a signed cookie naming the
account (as a keyed hash of its e-mail) and a random nonce. At the next password step
for that e-mail, such a browser is counted on its own limit (PASSWORD_DEVICE) instead of
the account's limit that every other client shares. Strangers who know only the
e-mail can delay the account for unknown clients, never for the owner's browsers,
while together they still cannot guess faster than the account's limit allows.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.crypto import salted_hmac

from deskguard.accounts.models import User, normalize_email

from .cookies import cookie_read, cookie_write

COOKIE = "dgdevice"
SALT = "deskguard.signin.device"
MAX_AGE = 180 * 24 * 3600  # a browser unused for half a year is a stranger again
MAX_ACCOUNTS = 5  # a shared browser remembers its last few accounts


def _account_tag(email: str) -> str:
    return salted_hmac(SALT, normalize_email(email), algorithm="sha256").hexdigest()[:32]


def _entries(request: HttpRequest) -> list[list[str]]:
    value = cookie_read(request, COOKIE, salt=SALT, max_age=MAX_AGE)
    if not isinstance(value, list):
        return []
    return [
        e
        for e in value
        if isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)
    ]


def device_nonce(request: HttpRequest, *, email: str) -> str | None:
    """This browser's nonce for the account of `email`, if it signed in to it before.
    Computed from the typed e-mail alone: no account lookup (F3)."""
    tag = _account_tag(email)
    return next((nonce for entry_tag, nonce in _entries(request) if entry_tag == tag), None)


def device_remember(request: HttpRequest, response: HttpResponseBase, *, user: User) -> None:
    """After a completed form sign-in: this browser now knows the account."""
    tag = _account_tag(user.email)
    entries = [e for e in _entries(request) if e[0] != tag]
    nonce = device_nonce(request, email=user.email) or secrets.token_urlsafe(16)
    entries = [[tag, nonce], *entries][:MAX_ACCOUNTS]
    cookie_write(response, COOKIE, entries, salt=SALT, max_age=MAX_AGE)
