"""The second step (C1, C3-C7): verify the code of a pending sign-in, then complete it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse

from deskguard.accounts.portal import Portal
from deskguard.security import safe_next
from deskguard.twofactor import services
from deskguard.twofactor.flows import reauth_mark
from deskguard.twofactor.verify import Factor, second_factor_verify, verdict_message

from . import messages as texts
from .pending import Pending
from .session import session_login


@dataclass(frozen=True)
class ChallengeOutcome:
    redirect_to: str | None  # signed in: where to go next
    error: str = ""
    status: int = 200


def challenge_submit(
    request: HttpRequest, *, portal: Portal, pending: Pending, factor: Factor, code: str
) -> ChallengeOutcome:
    result = second_factor_verify(request, user=pending.user, factor=factor, code=code)
    if not result.passed:
        error, status = verdict_message(result)
        return ChallengeOutcome(None, error, status)
    return ChallengeOutcome(signin_complete(request, portal=portal, pending=pending, factor=factor))


def signin_complete(
    request: HttpRequest, *, portal: Portal, pending: Pending, factor: Factor
) -> str:
    """Sign the account in (new session key, C6) and say where to go."""
    session_login(request, user=pending.user, method=f"password+{factor.value}")
    # Both factors were just proven: replacing the authenticator needs no second proof.
    reauth_mark(request)
    if factor is Factor.RECOVERY:
        remaining = services.recovery_codes_remaining(user=pending.user)
        messages.warning(request, texts.recovery_code_used(remaining))
        return reverse(portal.url("security"))
    return safe_next(request, pending.next_url, reverse(portal.url("home")))
