"""Signed cookies of the sign-in: the pending marker (C6) and device cookies (I1).

Both are signed with the server secret (django.core.signing) and time-stamped, so a
client can neither forge nor extend them; they are HttpOnly, SameSite=Lax and, outside
local mode, Secure with the __Host- prefix (no subdomain can set them).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.http.response import HttpResponseBase


def cookie_name(base: str) -> str:
    return f"__Host-{base}" if settings.SECURE else base


def cookie_read(request: HttpRequest, base: str, *, salt: str, max_age: int) -> Any:
    """The signed value, or None if absent, forged or older than `max_age` seconds."""
    raw = request.COOKIES.get(cookie_name(base))
    if not raw:
        return None
    try:
        return signing.loads(raw, salt=salt, max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        return None


def cookie_write(
    response: HttpResponseBase, base: str, value: Any, *, salt: str, max_age: int
) -> None:
    response.set_cookie(
        cookie_name(base),
        signing.dumps(value, salt=salt, compress=True),
        max_age=max_age,
        path="/",
        secure=settings.SECURE,
        httponly=True,
        samesite="Lax",
    )


def cookie_delete(response: HttpResponseBase, base: str) -> None:
    response.delete_cookie(cookie_name(base), path="/", samesite="Lax")
