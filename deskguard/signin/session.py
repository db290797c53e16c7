"""Full sign-in and sign-out of a session, and the method it was signed in with (C8)."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest

from deskguard.accounts.models import User
from deskguard.audit.models import Event
from deskguard.events import security_event

METHOD_SESSION_KEY = "dg.method"
BACKEND = "deskguard.accounts.backends.EmailBackend"


def session_login(request: HttpRequest, *, user: User, method: str) -> None:
    """Full sign-in. Django's login() gives the session a new key (C6); the view
    drops the pending cookie."""
    login(request, user, backend=BACKEND)
    request.session[METHOD_SESSION_KEY] = method
    security_event(event=Event.SIGNIN_SUCCEEDED, request=request, subject=user, method=method)


def session_method(request: HttpRequest) -> str:
    """How this session signed in: "password", "password+totp", "sso:<slug>"..."""
    return str(request.session.get(METHOD_SESSION_KEY, ""))


def is_password_login(method: str) -> bool:
    """2FA covers form logins only; SSO and social logins bypass it (A4)."""
    return method.startswith("password")


def session_logout(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        security_event(event=Event.SIGNOUT, request=request, subject=request.user)
    logout(request)
