"""The second step (C1, C3-C7, K2): verify the code or security key of a pending
sign-in, then complete it.

One SELECT (written as SQL) fetches the pending account with its authenticator app,
whether it has security keys, and its second-factor limit; a right code is then one
UPDATE (single use, decided by the database), the sign-in one audit row, and Django's
login(), in one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from deskguard.accounts.models import User
from deskguard.accounts.portal import Portal
from deskguard.limits.models import Throttle
from deskguard.limits.rules import SECOND_FACTOR, Key
from deskguard.limits.throttle import State
from deskguard.security import safe_next
from deskguard.twofactor import keys, services
from deskguard.twofactor.flows import reauth_mark
from deskguard.twofactor.models import FactorKind, SecondFactor, TOTPDevice
from deskguard.twofactor.policy import keys_usable
from deskguard.twofactor.verify import (
    Factor,
    KeyAttempt,
    second_factor_verify,
    verdict_message,
)
from deskguard.twofactor.webauthn import Reply

from . import messages as texts
from .pending import Pending, pending_marker
from .session import session_login

# The code step's one read, written out: the ORM spends about 5 ms of CPU composing
# this query (three tables, the limit's columns as subqueries) against 0.7 ms to run
# it as SQL (measured on PostgreSQL), on the hottest request of a sign-in.
_CODE_STEP_SQL = f"""
SELECT u.*, d.id AS device_id, d.secret_encrypted AS device_secret,
       d.last_step AS device_last_step, d.created_at AS device_created_at,
       EXISTS (SELECT 1 FROM {SecondFactor._meta.db_table} k
               WHERE k.user_id = u.id AND k.kind = '{FactorKind.KEY.value}') AS has_keys,
       t.id AS limit_id, t.failures AS limit_failures, t.blocked_until AS limit_blocked_until,
       t.last_failure_at AS limit_last_failure_at, t.refused AS limit_refused,
       t.refused_since AS limit_refused_since
FROM {User._meta.db_table} u
LEFT JOIN {SecondFactor._meta.db_table} d ON d.user_id = u.id AND d.kind = '{FactorKind.APP.value}'
LEFT JOIN {Throttle._meta.db_table} t ON t.key = %s
WHERE u.id = %s AND u.is_active
"""  # noqa: S608 (table names from the models; values are parameters)


@dataclass(frozen=True)
class CodeStep:
    pending: Pending
    limit: State
    has_app: bool
    has_keys: bool

    @property
    def keys_usable(self) -> bool:
        """K2: offer the account's keys (browsers allow WebAuthn on this address)."""
        return bool(self.pending.nonce) and keys_usable(self.pending.user, has_keys=self.has_keys)

    @property
    def binding(self) -> str:
        return keys.binding_of(self.pending.nonce)


def code_step_get(request: HttpRequest, *, portal: Portal) -> CodeStep | None:
    """The pending sign-in with what the code step needs (the account, its
    authenticator, its second-factor limit), in one query."""
    marker = pending_marker(request, portal=portal)
    if marker is None:
        return None
    key = SECOND_FACTOR.of(str(marker["uid"]))
    user = next(iter(User.objects.raw(_CODE_STEP_SQL, [key.key, marker["uid"]])), None)
    if user is None or user.email != marker.get("email") or user.kind != portal.kind:
        return None
    _attach_device(user)
    nonce = marker.get("nonce")
    pending = Pending(user, str(marker.get("next") or ""), nonce if isinstance(nonce, str) else "")
    has_app = vars(user).get("device_id") is not None
    return CodeStep(pending, _limit_state(user, key), has_app, bool(vars(user)["has_keys"]))


def _when(value: object) -> datetime | None:
    """A time column read by raw SQL: aware datetimes from PostgreSQL, naive ones (UTC)
    or text from SQLite."""
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime):
        return None
    return timezone.make_aware(parsed, dt.UTC) if timezone.is_naive(parsed) else parsed


def _attach_device(user: User) -> None:
    """Put the authenticator read with the account where the check finds it
    (services.app_factor_of; None: the account has none)."""
    row = vars(user)  # the extra columns of _CODE_STEP_SQL
    device = None
    if row.get("device_id") is not None:
        device = TOTPDevice(
            id=row["device_id"],
            user_id=user.pk,
            secret_encrypted=row["device_secret"],
            last_step=row["device_last_step"],
            created_at=_when(row["device_created_at"]) or timezone.now(),
        )
        device._state.adding = False
    services.app_factor_attach(user, device)


def _limit_state(user: User, key: Key) -> State:
    row = vars(user)
    if row.get("limit_id") is None:
        return State(key)
    return State(
        key,
        row["limit_failures"],
        _when(row["limit_blocked_until"]),
        _when(row["limit_last_failure_at"]),
        row["limit_refused"],
        _when(row["limit_refused_since"]),
        exists=True,
    )


@dataclass(frozen=True)
class ChallengeOutcome:
    redirect_to: str | None  # signed in: where to go next
    error: str = ""
    status: int = 200
    retry_at: datetime | None = None  # throttled: when the next code is judged

    @property
    def retry_in(self) -> int:
        """Whole seconds until `retry_at`, rounded up so a countdown that reaches 0
        never lets Verify be pressed before the server judges codes again."""
        if self.retry_at is None:
            return 0
        return max(0, math.ceil((self.retry_at - timezone.now()).total_seconds()))


@transaction.atomic
def challenge_submit(
    request: HttpRequest,
    *,
    portal: Portal,
    step: CodeStep,
    factor: Factor,
    code: str = "",
    reply: Reply | None = None,
) -> ChallengeOutcome:
    """One short transaction (one commit): the code's (or key challenge's) single use,
    the limit, the audit row and the new session. Nothing slow runs inside it: a code
    check is an HMAC, a key's an ECDSA or RSA signature check (well under a millisecond)."""
    key = None
    if reply is not None:
        key = KeyAttempt(reply, keys.Purpose.SIGNIN, step.binding)
    result = second_factor_verify(
        request, user=step.pending.user, factor=factor, code=code, state=step.limit, key=key
    )
    if not result.passed:
        error, status = verdict_message(result)
        return ChallengeOutcome(None, error, status, result.retry_at)
    return ChallengeOutcome(
        signin_complete(
            request,
            portal=portal,
            pending=step.pending,
            factor=factor,
            recovery_codes_left=result.recovery_codes_left,
        )
    )


def signin_complete(
    request: HttpRequest,
    *,
    portal: Portal,
    pending: Pending,
    factor: Factor,
    recovery_codes_left: int | None = None,
) -> str:
    """Sign the account in (new session key, C6) and say where to go."""
    session_login(request, user=pending.user, method=f"password+{factor.value}")
    # Both factors were just proven: replacing the authenticator needs no second proof.
    reauth_mark(request)
    if factor is Factor.RECOVERY:
        remaining = recovery_codes_left
        if remaining is None:
            remaining = services.recovery_codes_remaining(user=pending.user)
        has_app = services.app_factor_of(pending.user) is not None
        messages.warning(request, texts.recovery_code_used(remaining, has_app=has_app))
        return reverse(portal.url("security"))
    return safe_next(request, pending.next_url, reverse(portal.url("home")))
