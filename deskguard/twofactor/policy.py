"""Who must pass or enrol a second factor (B6, C1, D1, D2). One module, read by the
sign-in flow and by the middleware before any view runs."""

from __future__ import annotations

from django.http import HttpRequest

from deskguard.accounts.models import Kind, User

from .models import SecurityPolicy, TOTPDevice


def policy_current() -> SecurityPolicy:
    return SecurityPolicy.current()


def request_policy(request: HttpRequest) -> SecurityPolicy:
    """The policy, read from the database once per request (the middleware and the
    view share it). Never kept across requests: a change holds at the next one."""
    policy = getattr(request, "_deskguard_policy", None)
    if policy is None:
        policy = policy_current()
        request._deskguard_policy = policy  # type: ignore[attr-defined]
    return policy


def twofactor_allowed(user: User, policy: SecurityPolicy) -> bool:
    """Agents may always use 2FA; contacts only while the administrator allows it."""
    return user.kind == Kind.AGENT or policy.contacts_allow_2fa or policy.contacts_enforce_2fa


def twofactor_enforced(user: User, policy: SecurityPolicy) -> bool:
    if user.kind == Kind.AGENT:
        return policy.agents_enforce_2fa
    return policy.contacts_enforce_2fa


def twofactor_active(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user).exists()


def challenge_needed(user: User, policy: SecurityPolicy) -> bool:
    """C1/C2: a form login of an account with an active authenticator asks for it."""
    return twofactor_allowed(user, policy) and twofactor_active(user)


def is_password_login(method: str) -> bool:
    """2FA covers form logins only; SSO and social logins bypass it (A4)."""
    return method.startswith("password")
