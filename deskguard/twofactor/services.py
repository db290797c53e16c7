"""Second-factor services: database writes, each decided by one atomic statement.

No request here; flows.py adds the session, audit, mail and messages.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists
from django.utils import timezone

from deskguard.accounts.models import User
from deskguard.crypto import secret_decrypt, secret_encrypt
from deskguard.limits.rules import SECOND_FACTOR, Key
from deskguard.limits.throttle import throttle_clear

from . import recovery, totp
from .models import RecoveryCode, SecondFactor, TOTPDevice

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable, NegatedExpression

    # A condition the accepting UPDATE must also meet (the account's limit is open).
    Gate = Exists | NegatedExpression[Combinable]


class Check(Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    REPLAYED = "replayed"
    CLOSED = "closed"  # right, but the account's limit closed meanwhile: not accepted
    CLONED = "cloned"  # a security key's signature counter went backwards (K2)


def throttle_key(user: User) -> Key:
    """The account's second-factor counter (C5), shared by sign-in and re-authentication."""
    return SECOND_FACTOR.of(str(user.pk))


def totp_accept(
    *, device: TOTPDevice, code: str, at: float | None = None, gate: Gate | None = None
) -> Check:
    """C3: accept a code at most once. The UPDATE succeeds only if its step is newer
    than the last accepted one (and `gate`, the account's limit, is open), so of two
    racing requests (in any two processes) exactly one sees a row updated."""
    step = totp.matching_step(secret_decrypt(device.secret_encrypted), code, at=at)
    if step is None:
        return Check.WRONG
    fresh = TOTPDevice.objects.filter(pk=device.pk, last_step__lt=step)
    gated = fresh.filter(gate) if gate is not None else fresh
    if gated.update(last_step=step, last_used_at=timezone.now()) == 1:
        return Check.ACCEPTED
    return Check.CLOSED if gate is not None and fresh.exists() else Check.REPLAYED


def recovery_code_use(*, user: User, code: str, gate: Gate | None = None) -> Check:
    """C4: a code works once; `used_at IS NULL` in the UPDATE decides races."""
    normalized = recovery.normalize(code)
    if normalized is None:
        return Check.WRONG
    unused = RecoveryCode.objects.filter(
        user=user, digest=recovery.digest(user.pk, normalized), used_at__isnull=True
    )
    gated = unused.filter(gate) if gate is not None else unused
    if gated.update(used_at=timezone.now()) == 1:
        return Check.ACCEPTED
    return Check.CLOSED if gate is not None and unused.exists() else Check.WRONG


def recovery_codes_remaining(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def recovery_codes_set(*, user: User, codes: list[str]) -> None:
    """B5/D4: `codes` become the account's set; the old set stops working in the same
    transaction. Only their keyed hashes are stored (F2)."""
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=recovery.digest(user.pk, code)) for code in codes
    )


def recovery_codes_replace(*, user: User) -> list[str]:
    """A fresh set, in place of the old one; the codes are returned to show once."""
    codes = recovery.codes_new()
    recovery_codes_set(user=user, codes=codes)
    return codes


@transaction.atomic
def device_activate(
    *, user: User, secret: str, step: int, fresh_codes: bool = True
) -> tuple[TOTPDevice, list[str]]:
    """B2/B7: make `secret` the account's authenticator. Any previous secret stops
    working in the same transaction. `step` is the step of the code just verified,
    so that code cannot be used again to sign in. A fresh recovery set comes with it,
    unless `fresh_codes` is False (an app added next to security keys: the account's
    codes already cover every factor, K2); then the returned list is empty."""
    device, _ = TOTPDevice.objects.update_or_create(
        user=user,
        defaults={
            "secret_encrypted": secret_encrypt(secret),
            "last_step": step,
            "created_at": timezone.now(),
        },
    )
    throttle_clear(throttle_key(user))
    return device, recovery_codes_replace(user=user) if fresh_codes else []


# The authenticator read with the account by the code step (signin/challenge.py), so
# the check needs no second query; None: the account has none.
_APP_ATTRIBUTE = "_deskguard_app_factor"


def app_factor_attach(user: User, device: TOTPDevice | None) -> None:
    setattr(user, _APP_ATTRIBUTE, device)


def app_factor_of(user: User) -> TOTPDevice | None:
    if hasattr(user, _APP_ATTRIBUTE):
        attached: TOTPDevice | None = getattr(user, _APP_ATTRIBUTE)
        return attached
    return TOTPDevice.objects.filter(user=user).first()


@transaction.atomic
def factors_remove(*, user: User) -> bool:
    """B6/D3/F5/K3: remove every factor (app and keys) and every recovery code."""
    deleted, _ = SecondFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    throttle_clear(throttle_key(user))
    return deleted > 0
