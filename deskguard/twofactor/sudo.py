"""Sudo mode for administrators (I10).

An administrator action that weakens an account or the security policy (turn off
someone's 2FA, deactivate an account, switch enforcement or "allow" off, add or change
an SSO provider, create an administrator) needs the administrator's own password and
second factor, proven in this session at most 10 minutes ago: at sign-in or on the
re-authentication page. It is the same mark that lets anyone replace their own
authenticator (flows.reauth_mark), so one proof serves both and there is one window.

Two decisions, also in README.md:

- An administrator without 2FA cannot enter sudo mode: they set up 2FA first. A
  password alone is what a phished or reused password already gives an attacker,
  and these actions are the ones that reduce other accounts to a password; the page
  says so and links to the setup, which takes a minute and is mailed to the account.
- The session's sign-in method does not matter, the proof is made here. An
  administrator signed in by SSO ("sso:<slug>", no second factor asked) enters sudo
  mode with their password and code like anyone; one without a usable password
  (never set one) is told to choose one first. The identity provider cannot vouch
  for the helpdesk's second factor.
"""

from __future__ import annotations

from enum import Enum

from django.http import HttpRequest

from deskguard.accounts.models import User
from deskguard.audit.models import Event
from deskguard.events import security_event

from . import flows, key_flows
from .forms import ReauthForm
from .policy import twofactor_active
from .verify import Factor, Result

SUDO_TTL = flows.REAUTH_TTL


class SudoBlock(Enum):
    """Why an administrator cannot prove it is them on the re-authentication page."""

    NO_PASSWORD = "no_password"
    NO_SECOND_FACTOR = "no_second_factor"


def sudo_block(user: User) -> SudoBlock | None:
    if not user.has_usable_password():
        return SudoBlock.NO_PASSWORD
    if not twofactor_active(user):
        return SudoBlock.NO_SECOND_FACTOR
    return None


def sudo_active(request: HttpRequest) -> bool:
    """The signed-in administrator proved password + second factor within SUDO_TTL.
    They must still have a factor: an administrator who turned their own 2FA off
    leaves sudo mode at once."""
    user = request.user
    return (
        isinstance(user, User)
        and user.is_admin
        and flows.reauth_recent(request)
        and twofactor_active(user)
    )


def sudo_enter(request: HttpRequest, *, user: User, form: ReauthForm) -> Result:
    """Check password and code (or key, K3) under the account's second-factor throttle
    (the one the sign-in's code step counts in, C5); on success mark the session and
    record it."""
    result = key_flows.reauth_verify(request, user=user, form=form)
    factor: Factor = form.cleaned_data["factor"]
    if result.passed:
        flows.reauth_mark(request)
        security_event(
            event=Event.SUDO_ENTERED,
            request=request,
            actor=user,
            subject=user,
            method=f"password+{factor.value}",
        )
    return result
