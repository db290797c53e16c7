"""Request-aware SSO steps (A4, C8): start, finish, link the account, sign in.

SSO sign-ins bypass the second factor by product rule (A4: 2FA covers form logins
only). `session_login(..., method="sso:<slug>")` records that method in the
session, and the 2FA middleware skips enforcement for methods that do not start
with "password".
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from deskguard.accounts.models import Kind, User, normalize_email
from deskguard.accounts.portal import Portal
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.limits.clients import request_client_group
from deskguard.limits.refusals import limit_use
from deskguard.limits.rules import SSO_START_ADDRESS
from deskguard.sessionvalues import is_fresh
from deskguard.signin.session import session_login
from deskguard.twofactor.policy import policy_current

from . import claims, client
from .client import Identity
from .errors import Reason, SSOError
from .models import SSOProvider

logger = logging.getLogger(__name__)

FLOWS_SESSION_KEY = "dg.sso"
# Long enough to sign in at the provider (maybe with its own MFA), short enough
# that a forgotten tab cannot be completed hours later.
FLOW_TTL_SECONDS = 600
MAX_FLOWS = 5


@dataclass(frozen=True)
class Finished:
    user: User
    portal: Portal
    next_url: str


@dataclass(frozen=True)
class Refused:
    portal: Portal
    error: SSOError


def callback_url(provider: SSOProvider) -> str:
    """The redirect URI to register at the provider. Built from BASE_URL, not the
    request's Host header, so it is exactly the registered one behind proxies."""
    return settings.BASE_URL + reverse("sso:callback", args=[provider.slug])


def _flows(request: HttpRequest) -> dict[str, dict[str, Any]]:
    value = request.session.get(FLOWS_SESSION_KEY)
    return dict(value) if isinstance(value, dict) else {}


def sso_start_quota(request: HttpRequest, *, provider: SSOProvider) -> datetime | None:
    """I3: count this start against the client's address (an IPv6 /64 counts as one);
    returns when to retry when the address is over its limit (the start is then not
    counted, and refusals are summed up in the audit log, not one row each)."""
    key = SSO_START_ADDRESS.of(request_client_group(request))
    return limit_use(request, key, event=Event.SSO_FAILED, method=provider.method)


def sso_start(request: HttpRequest, *, provider: SSOProvider, portal: Portal, next_url: str) -> str:
    """Returns the provider's authorization URL; raises SSOError."""
    url = client.authorization_url(request, provider=provider, redirect_uri=callback_url(provider))
    state = dict(_query(url)).get("state", "")
    flows = _flows(request)
    flows[state] = {
        "provider": provider.slug,
        "portal": portal.value,
        "next": next_url,
        "at": time.time(),
    }
    # Several tabs may be mid-flow; keep only the newest few.
    newest = sorted(flows.items(), key=lambda item: float(item[1].get("at", 0)))[-MAX_FLOWS:]
    request.session[FLOWS_SESSION_KEY] = dict(newest)
    return url


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def fallback_portal(request: HttpRequest, *, provider: SSOProvider) -> Portal:
    """Where to send a callback whose state is unknown: the portal of this
    browser's latest flow with the provider, else the one the provider serves."""
    mine = [f for f in _flows(request).values() if f.get("provider") == provider.slug]
    if mine:
        latest = max(mine, key=lambda f: float(f.get("at", 0)))
        if latest.get("portal") in {p.value for p in Portal}:
            return Portal(latest["portal"])
    return Portal.AGENT if provider.portals == Portal.AGENT.value else Portal.CUSTOMER


def sso_finish(request: HttpRequest, *, provider: SSOProvider) -> Finished | Refused:
    """Verify the provider's answer and sign the linked account in."""
    state = request.GET.get("state", "")
    flows = _flows(request)
    flow = flows.pop(state, None) if state else None
    valid = (
        flow is not None
        and flow.get("provider") == provider.slug
        and flow.get("portal") in {p.value for p in Portal}
        and is_fresh(flow.get("at"), FLOW_TTL_SECONDS)
    )
    if flow is None or not valid:
        portal = fallback_portal(request, provider=provider)
    else:
        # The state is single-use: forget it before anything can fail.
        request.session[FLOWS_SESSION_KEY] = flows
        portal = Portal(flow["portal"])
    if request.GET.get("error"):
        # The provider refused (the user pressed "Deny", consent missing...). Some
        # providers omit the state on errors; nothing is signed in either way.
        if valid:
            client.state_forget(request, provider=provider, state=state)
        error = SSOError(Reason.PROVIDER_ERROR, error=client.safe_code(request.GET["error"]))
        return Refused(portal, error)
    if flow is None or not valid:
        return Refused(portal, SSOError(Reason.STATE_MISMATCH))
    try:
        identity = client.identity_fetch(request, provider=provider)
        user = account_for_identity(identity=identity, portal=portal, provider=provider)
    except SSOError as exc:
        return Refused(portal, exc)
    session_login(request, user=user, method=provider.method)
    return Finished(user=user, portal=portal, next_url=str(flow.get("next", "")))


class AccountRefused(SSOError):
    def __init__(self, reason: Reason, *, email: str, user: User | None = None) -> None:
        super().__init__(reason)
        self.email = email
        self.user = user


def account_for_identity(*, identity: Identity, portal: Portal, provider: SSOProvider) -> User:
    """Link by e-mail only when the provider vouches for it (email_verified), only
    into the account's own portal (A2), never a deactivated account. A contact may
    be created on first sign-in if the policy allows; agents never are."""
    if not identity.email:
        raise AccountRefused(Reason.EMAIL_MISSING, email="")
    # I4: checked before anything uses it (PostgreSQL refuses a NUL even in a query);
    # the refusal does not repeat the bad value, not even in the audit log.
    email = claims.email_clean(normalize_email(identity.email))
    if email is None:
        raise AccountRefused(Reason.EMAIL_INVALID, email="")
    if not identity.email_verified:
        # Anyone can type any address into a provider's sign-up form.
        raise AccountRefused(Reason.EMAIL_UNVERIFIED, email=email)
    user = User.objects.filter(email=email).first()
    if user is None:
        if portal is Portal.CUSTOMER and policy_current().sso_create_contacts:
            # The name is only used here: an existing account keeps its own.
            name = claims.name_clean(identity.name)
            if name is None:
                raise AccountRefused(Reason.NAME_INVALID, email=email)
            return contact_create_from_sso(email=email, name=name, provider=provider)
        raise AccountRefused(Reason.UNKNOWN_ACCOUNT, email=email)
    if user.kind != portal.kind:
        raise AccountRefused(Reason.WRONG_PORTAL, email=email, user=user)
    if not user.is_active:
        raise AccountRefused(Reason.ACCOUNT_DEACTIVATED, email=email, user=user)
    return user


def contact_create_from_sso(*, email: str, name: str, provider: SSOProvider) -> User:
    """No password and no invitation mail: the contact signs in through SSO and
    can set a password later with "Forgot your password?"."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, None, kind=Kind.CONTACT, name=name)
            security_event(
                event=Event.ACCOUNT_CREATED,
                subject=user,
                actor_label=provider.method,
                method=provider.method,
                detail={"kind": Kind.CONTACT, "is_admin": False, "via": provider.method},
            )
    except IntegrityError:
        # Two callbacks raced for the same new address; the other one created it.
        return User.objects.get(email=email)
    return user


MESSAGES: dict[Reason, StrPromise] = {
    Reason.STATE_MISMATCH: (
        _("This sign-in attempt expired or was started in another browser. Please try again.")
    ),
    Reason.NONCE_MISMATCH: _("The answer from {provider} did not belong to this sign-in attempt."),
    Reason.TOKEN_EXPIRED: _("The answer from {provider} had expired. Please try again."),
    Reason.TOKEN_INVALID: _("The answer from {provider} could not be verified."),
    Reason.EMAIL_MISSING: _("{provider} did not tell us your email address."),
    Reason.EMAIL_UNVERIFIED: (
        _("{provider} has not verified your email address, so it cannot be used to sign in.")
    ),
    Reason.EMAIL_INVALID: (
        _("{provider} sent an email address that is not valid, so it cannot be used to sign in.")
    ),
    Reason.NAME_INVALID: (
        _(
            "{provider} sent a name that is not valid (longer than 150 characters, or with "
            "control characters), so no account could be created. Correct your name at "
            "{provider}, or ask the helpdesk for an account."
        )
    ),
    Reason.UNKNOWN_ACCOUNT: _("There is no {portal} account for {email}."),
    Reason.ACCOUNT_DEACTIVATED: _("The account for {email} is deactivated."),
    Reason.WRONG_PORTAL: _("The account for {email} does not sign in to the {portal}."),
    Reason.PROVIDER_UNREACHABLE: (
        _("{provider} is not reachable right now. Try again later, or sign in with your password.")
    ),
    Reason.PROVIDER_ERROR: _("{provider} did not sign you in."),
    Reason.MISCONFIGURED: (
        _("Sign-in with {provider} is not set up correctly. Please tell an administrator.")
    ),
}


def sso_fail(
    request: HttpRequest, *, provider: SSOProvider, portal: Portal, error: SSOError
) -> None:
    """Record the refusal (C8) and tell the user why, on the sign-in page."""
    refused_account = error if isinstance(error, AccountRefused) else None
    email = refused_account.email if refused_account else ""
    detail = {"reason": error.reason.value, "portal": portal.value, "provider": provider.slug}
    if error.error:
        detail["error"] = error.error
    security_event(
        event=Event.SSO_FAILED,
        request=request,
        subject=refused_account.user if refused_account else None,
        subject_label=email[:254],
        method=provider.method,
        detail=detail,
    )
    logger.warning("SSO sign-in refused: %s via %s", error.reason.value, provider.method)
    text = str(MESSAGES[error.reason]).format(
        provider=provider.name, portal=portal.label, email=email
    )
    messages.error(request, text)
