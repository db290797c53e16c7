"""The half-signed-in state (C6), after the password and before the second factor.

The session holds only [user id, portal, e-mail, time]; the user is NOT logged in,
so every protected view sees an anonymous visitor. The marker dies after five
minutes, when the e-mail or activity of the account changed, or when it is used
on the other portal.
"""

from __future__ import annotations

import time

from django.contrib.auth import logout
from django.http import HttpRequest

from .models import User
from .portal import Portal

SESSION_KEY = "dg.pending"
# Where to go after the second factor; set with the marker, read at full sign-in.
NEXT_SESSION_KEY = "dg.next"
TTL_SECONDS = 300
# Servers behind one load balancer may disagree by a few seconds about the time.
CLOCK_SKEW_SECONDS = 60


def pending_start(request: HttpRequest, *, user: User, portal: Portal) -> None:
    # A new sign-in ends whatever account this browser was signed in to, and the
    # session key changes at each step (C6).
    if request.user.is_authenticated:
        logout(request)
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "uid": user.pk,
        "portal": portal.value,
        "email": user.email,
        "at": time.time(),
    }


def pending_user(request: HttpRequest, *, portal: Portal) -> User | None:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        age = time.time() - float(data["at"])
        uid = int(data["uid"])
    except (KeyError, TypeError, ValueError):
        return None
    if data.get("portal") != portal.value or not -CLOCK_SKEW_SECONDS <= age <= TTL_SECONDS:
        return None
    user = User.objects.filter(pk=uid, is_active=True).first()
    if user is None or user.email != data.get("email") or user.kind != portal.kind:
        return None
    return user


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
