"""The second step (C1, C3-C7): verify the code of a pending sign-in, then complete it.

One SELECT fetches the pending account with its authenticator and its second-factor
limit; a right code is then one UPDATE (single use, decided by the database), the
sign-in one audit row, and Django's login(), in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from deskguard.accounts.models import User
from deskguard.accounts.portal import Portal
from deskguard.limits.rules import SECOND_FACTOR
from deskguard.limits.throttle import State, throttle_annotations, throttle_state_from
from deskguard.security import safe_next
from deskguard.twofactor import services
from deskguard.twofactor.flows import reauth_mark
from deskguard.twofactor.verify import Factor, second_factor_verify, verdict_message

from . import messages as texts
from .pending import Pending, pending_get, pending_marker
from .session import session_login

_LIMIT = "limit_"


@dataclass(frozen=True)
class CodeStep:
    pending: Pending
    limit: State


def code_step_get(request: HttpRequest, *, portal: Portal) -> CodeStep | None:
    """The pending sign-in with what the code step needs, in one query."""
    marker = pending_marker(request, portal=portal)
    if marker is None:
        return None
    key = SECOND_FACTOR.of(str(marker["uid"]))
    users = User.objects.select_related("totp_device").annotate(
        **throttle_annotations(key, prefix=_LIMIT)
    )
    pending = pending_get(request, portal=portal, users=users)
    if pending is None:
        return None
    return CodeStep(pending, throttle_state_from(pending.user, key, prefix=_LIMIT))


@dataclass(frozen=True)
class ChallengeOutcome:
    redirect_to: str | None  # signed in: where to go next
    error: str = ""
    status: int = 200


@transaction.atomic
def challenge_submit(
    request: HttpRequest, *, portal: Portal, step: CodeStep, factor: Factor, code: str
) -> ChallengeOutcome:
    """One short transaction (one commit): the code's single use, the limit, the audit
    row and the new session. Nothing slow runs inside it: a code check is an HMAC."""
    result = second_factor_verify(
        request, user=step.pending.user, factor=factor, code=code, state=step.limit
    )
    if not result.passed:
        error, status = verdict_message(result)
        return ChallengeOutcome(None, error, status)
    return ChallengeOutcome(
        signin_complete(request, portal=portal, pending=step.pending, factor=factor)
    )


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
