"""Enforcement (D1, D2) before any view runs.

While 2FA is enforced for an account's kind, a password-signed-in account without an
authenticator reaches only the enrollment pages and sign-out; every other URL of the
site redirects there. It runs in process_view, after URL resolution and before the
view, so no view code (and no side effect of a POST) executes first. The policy is
read from the database on each such request: a change holds in every process at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from deskguard.accounts.models import User
from deskguard.accounts.portal import portal_of
from deskguard.signin.session import is_password_login, session_method

from .policy import enrollment_required, policy_current

# URL names (in the account's own portal) an account being forced to enrol may open.
ENROLLMENT_URLS = frozenset({"security-enable", "security-key-add", "security-codes", "signout"})


class TwoFactorPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not isinstance(user, User) or not is_password_login(session_method(request)):
            return None  # anonymous, or SSO (A4: SSO bypasses 2FA, enforcement included)
        portal = portal_of(user)
        match = request.resolver_match
        if match and match.namespace == portal.value and match.url_name in ENROLLMENT_URLS:
            return None
        if match and match.url_name == "healthz":
            return None
        if not enrollment_required(user, policy_current(request)):
            return None
        return redirect(portal.url("security-enable"))
