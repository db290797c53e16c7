"""Security-key services (K1-K3): the single-use challenges, registering a key, and
accepting an assertion. Database writes, each decided by one statement; no request
(key_flows.py adds the session, audit and mail). Crypto is in webauthn.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from webauthn.helpers import bytes_to_base64url

from deskguard.accounts.models import User

from . import webauthn
from .models import SecurityKey, WebAuthnChallenge
from .services import Check

if TYPE_CHECKING:
    from .services import Gate

# At most this many live challenges per account: each page view that may ask for a
# key makes one, so a reloading tab cannot grow the table (I7); the oldest go.
CHALLENGES_PER_ACCOUNT = 5
NAME_MAX = 60

Purpose = WebAuthnChallenge.Purpose


def binding_of(value: str) -> str:
    """What a challenge is bound to (a pending sign-in's nonce, a session key), as a
    keyed hash: the table never holds a value that would identify a session."""
    return salted_hmac("deskguard.webauthn.binding", value, algorithm="sha256").hexdigest()


def user_handle(user: User) -> bytes:
    """The WebAuthn user id: stable per account, and no personal data (the spec asks
    that it not be the e-mail address)."""
    return salted_hmac("deskguard.webauthn.user", str(user.pk), algorithm="sha256").digest()


def challenge_issue(*, user: User, purpose: str, binding: str) -> bytes:
    """A fresh challenge for one ceremony. The account's expired challenges and all but
    its newest few go in the same transaction."""
    challenge = webauthn.challenge_new()
    now = timezone.now()
    with transaction.atomic():
        WebAuthnChallenge.objects.create(
            user=user,
            purpose=purpose,
            binding=binding,
            challenge=bytes_to_base64url(challenge),
            created_at=now,
            expires_at=now + timedelta(seconds=webauthn.CHALLENGE_TTL),
        )
        newest = WebAuthnChallenge.objects.filter(user=user).order_by("-created_at", "-id")
        keep = list(newest.values_list("pk", flat=True)[:CHALLENGES_PER_ACCOUNT])
        WebAuthnChallenge.objects.filter(user=user).exclude(pk__in=keep).delete()
    return challenge


_CONSUME_SQL = f"""
DELETE FROM {WebAuthnChallenge._meta.db_table}
WHERE user_id = %s AND purpose = %s AND binding = %s AND challenge = %s AND expires_at > %s
RETURNING id
"""  # noqa: S608 (the table name from the model; values are parameters)


def challenge_consume(*, user: User, purpose: str, binding: str, challenge: str) -> bool:
    """Use up a challenge: True for exactly one caller, once, while it is live and
    only for what it was bound to. The DELETE ... RETURNING decides (two replies that
    race: the database deletes the row for one of them)."""
    with connection.cursor() as cursor:
        cursor.execute(_CONSUME_SQL, [user.pk, purpose, binding, challenge, timezone.now()])
        return cursor.fetchone() is not None


def challenges_purge(*, batch_size: int = 500) -> int:
    """Delete expired challenges (purge_throttles runs it), a few hundred per statement
    (J4): nothing waits long behind it."""
    total, now = 0, timezone.now()
    while True:
        expired = WebAuthnChallenge.objects.filter(expires_at__lte=now).order_by("pk")
        pks = list(expired.values_list("pk", flat=True)[:batch_size])
        if not pks:
            return total
        deleted, _ = WebAuthnChallenge.objects.filter(pk__in=pks, expires_at__lte=now).delete()
        total += deleted


def keys_of(user: User) -> list[SecurityKey]:
    return list(SecurityKey.objects.filter(user=user))


def registration_options(*, user: User, binding: str) -> str:
    """The options for navigator.credentials.create(): the account's keys excluded."""
    keys = keys_of(user)
    return webauthn.registration_options(
        user_handle=user_handle(user),
        email=user.email,
        display_name=user.display_name,
        challenge=challenge_issue(user=user, purpose=Purpose.REGISTER, binding=binding),
        existing=[key.credential_id for key in keys],
        transports={key.credential_id: list(key.transports) for key in keys},
    )


def authentication_options(*, user: User, purpose: str, binding: str) -> str:
    """The options for navigator.credentials.get(), naming the account's keys."""
    keys = keys_of(user)
    return webauthn.authentication_options(
        challenge=challenge_issue(user=user, purpose=purpose, binding=binding),
        credential_ids=[key.credential_id for key in keys],
        transports={key.credential_id: list(key.transports) for key in keys},
    )


class RegistrationRefused(Exception):
    """A key that cannot be added; the message is for the user."""


def registration_check(*, user: User, reply: webauthn.Reply, binding: str) -> webauthn.Registered:
    """K1: the browser's registration reply, verified against this session's challenge
    (used up here, in its own statement, whatever the outcome)."""
    if not challenge_consume(
        user=user, purpose=Purpose.REGISTER, binding=binding, challenge=reply.challenge
    ):
        raise RegistrationRefused(
            gettext(
                "The security key was not added: this page expired or was already used. Try again."
            )
        )
    try:
        return webauthn.registration_verify(
            response=reply.text, challenge=webauthn.base64url_to_bytes(reply.challenge)
        )
    except (webauthn.WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise RegistrationRefused(
            gettext(
                "The security key was not added: its answer could not be verified for this site."
            )
        ) from error


def key_store(*, user: User, name: str, registered: webauthn.Registered) -> SecurityKey:
    """Store a verified key. One already registered (to this or any account) is refused
    by the unique constraint on its credential id: the database decides."""
    try:
        with transaction.atomic():
            return SecurityKey.objects.create(
                user=user,
                name=name[:NAME_MAX],
                credential_id=registered.credential_id,
                public_key=registered.public_key,
                sign_count=registered.sign_count,
                transports=registered.transports,
                aaguid=registered.aaguid,
            )
    except IntegrityError:
        raise RegistrationRefused(gettext("This security key is already registered.")) from None


class KeyRefusal(Enum):
    """Why an assertion was not accepted (the audit row's reason; the user's message)."""

    CHALLENGE = "challenge"  # used, expired, or bound to another sign-in or session
    UNKNOWN_KEY = "unknown_key"
    INVALID = "invalid"  # signature, origin, RP id, user presence


@dataclass(frozen=True)
class KeyCheck:
    check: Check
    key: SecurityKey | None = None
    refusal: KeyRefusal | None = None
    why: str = ""  # py_webauthn's words, for the audit row


def key_accept(
    *, user: User, reply: webauthn.Reply, purpose: str, binding: str, gate: Gate | None = None
) -> KeyCheck:
    """K2: accept an assertion at most once. The challenge is consumed first (single
    use, bound to what asked for it); the signature is checked; the new sign count is
    stored only through UPDATE ... WHERE sign_count < :new (and `gate`, the account's
    limit, is open), so a key whose counter went backwards is caught as a clone.
    Authenticators that count nothing (0 and 0, many passkeys) rely on the challenge."""
    if not challenge_consume(
        user=user, purpose=purpose, binding=binding, challenge=reply.challenge
    ):
        return KeyCheck(Check.WRONG, refusal=KeyRefusal.CHALLENGE)
    key = SecurityKey.objects.filter(user=user, credential_id=reply.credential_id).first()
    if key is None or key.public_key is None:
        return KeyCheck(Check.WRONG, refusal=KeyRefusal.UNKNOWN_KEY)
    try:
        asserted = webauthn.assertion_verify(
            response=reply.text,
            challenge=webauthn.base64url_to_bytes(reply.challenge),
            public_key=bytes(key.public_key),
        )
    except (webauthn.WebAuthnException, ValueError, KeyError, TypeError) as error:
        return KeyCheck(Check.WRONG, key, KeyRefusal.INVALID, str(error)[:200])
    new = asserted.new_sign_count
    counted = SecurityKey.objects.filter(pk=key.pk)
    fresh = counted.filter(sign_count=0) if new == 0 else counted.filter(sign_count__lt=new)
    gated = fresh.filter(gate) if gate is not None else fresh
    if gated.update(sign_count=new, last_used_at=timezone.now()) == 1:
        return KeyCheck(Check.ACCEPTED, key)
    if gate is not None and fresh.exists():
        return KeyCheck(Check.CLOSED, key)
    return KeyCheck(Check.CLONED, key, why=f"sign count {new} after {key.sign_count}")


def key_rename(*, key: SecurityKey, name: str) -> None:
    SecurityKey.objects.filter(pk=key.pk).update(name=name[:NAME_MAX])
