"""Who has, may use, must pass or must enrol a second factor (B6, C1, D1, D2).

One module: the sign-in step, the enforcement middleware, the Security pages and the
admin pages all ask here, and nowhere else.
"""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.http import HttpRequest

from deskguard.accounts.models import Kind, User

from . import webauthn
from .models import SecondFactor, SecurityKey, SecurityPolicy

_REQUEST_ATTRIBUTE = "_deskguard_policy"


def policy_current(request: HttpRequest | None = None) -> SecurityPolicy:
    """The policy, a pure read. With a request it is read once for that request (the
    middleware, the view and the templates share it) and never kept across requests:
    a change holds everywhere at the next one. The row is created by a migration; if a
    test flushed it, the defaults apply until an administrator saves."""
    if request is not None:
        cached = getattr(request, _REQUEST_ATTRIBUTE, None)
        if isinstance(cached, SecurityPolicy):
            return cached
    policy = SecurityPolicy.objects.filter(pk=1).first() or SecurityPolicy(pk=1)
    if request is not None:
        setattr(request, _REQUEST_ATTRIBUTE, policy)
    return policy


def active_factors() -> QuerySet[SecondFactor]:
    """The factors that make 2FA active for their account (K3): a confirmed
    authenticator app or any security key (a secret being enrolled lives only in the
    session, a key is stored only once its registration verified)."""
    return SecondFactor.objects.all()


def twofactor_active(user: User) -> bool:
    return active_factors().filter(user=user).exists()


def has_2fa() -> Exists:
    """`twofactor_active` as an SQL expression over users, for lists and counts:
    `User.objects.annotate(has_2fa=has_2fa())`."""
    return Exists(active_factors().filter(user=OuterRef("pk")))


def with_2fa_flag(users: QuerySet[User]) -> QuerySet[User]:
    """`users`, each annotated `has_2fa` as `has_2fa()` says, through a scalar subquery
    (the first factor's id, LIMIT 1): a list page then probes the factor index once per
    account shown (J1), where PostgreSQL answered an EXISTS in the select list by
    hashing every factor. (A join would repeat an account per key.)"""
    first = Subquery(active_factors().filter(user=OuterRef("pk")).values("pk")[:1])
    return users.annotate(first_factor=first).annotate(
        has_2fa=ExpressionWrapper(Q(first_factor__isnull=False), output_field=BooleanField())
    )


def enrolment_allowed(user: User, policy: SecurityPolicy) -> bool:
    """Whether the account may set up a second factor it does not have yet: agents
    always; contacts while the administrator allows (or enforces) it (D2)."""
    return user.kind == Kind.AGENT or policy.contacts_allow_2fa or policy.contacts_enforce_2fa


def twofactor_allowed(user: User, policy: SecurityPolicy) -> bool:
    """Whether the account has the 2FA pages (Security tab, replace, regenerate, turn
    off): it may enrol, or it already has a factor.

    I11: switching "allow 2FA for contacts" off gates new enrolments only. A contact
    who enrolled keeps the factor, is still challenged, and still reaches Security to
    regenerate codes, replace the app or turn 2FA off themselves. A setting switched
    off must never silently weaken accounts: dropping their factor would make their
    next sign-in password-only, with no mail and no audit row of their own."""
    return enrolment_allowed(user, policy) or twofactor_active(user)


def twofactor_enforced(user: User, policy: SecurityPolicy) -> bool:
    if user.kind == Kind.AGENT:
        return policy.agents_enforce_2fa
    return policy.contacts_enforce_2fa


def enrollment_required(user: User, policy: SecurityPolicy) -> bool:
    """D1/D2: enforced for the account's kind and not yet enrolled."""
    return twofactor_enforced(user, policy) and not twofactor_active(user)


def keys_allowed(user: User, policy: SecurityPolicy) -> bool:
    """K4: whether the account's portal offers security keys (to add one)."""
    if user.kind == Kind.AGENT:
        return policy.agents_allow_keys
    return policy.contacts_allow_keys


def keys_offered(user: User, policy: SecurityPolicy) -> bool:
    """Whether the account may add a security key now: its portal allows keys, it may
    have 2FA at all, and the site's address is one browsers allow WebAuthn on."""
    return (
        keys_allowed(user, policy)
        and twofactor_allowed(user, policy)
        and webauthn.site_supports_keys()
    )


def keys_usable(user: User, *, has_keys: bool | None = None) -> bool:
    """Whether the account can sign in with a key: it has one and the site's address
    allows WebAuthn. Keys already added keep working when the policy stops offering
    new ones (like I11: a setting switched off never silently weakens an account).
    `has_keys`: whether it has one, when the caller read that with the account already
    (the sign-in's code step does, in its one query)."""
    if not webauthn.site_supports_keys():
        return False
    if has_keys is None:
        has_keys = SecurityKey.objects.filter(user=user).exists()
    return has_keys
