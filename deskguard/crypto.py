"""Encryption at rest for stored secrets (F1): TOTP secrets and SSO client secrets.

MultiFernet over TOTP_ENCRYPTION_KEYS (newest first): encrypts with the newest key,
decrypts with any, and `rotate` re-encrypts under the newest, so keys can be rotated
without losing an enrollment. The keys live in the environment (or var/ locally),
never in the database.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = [
    "InvalidToken",
    "secret_decrypt",
    "secret_encrypt",
    "secret_is_current",
    "secret_rotate",
]


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


@lru_cache(maxsize=4)
def _newest(key: str) -> Fernet:
    return Fernet(key.encode())


def _current() -> MultiFernet:
    return _fernet(tuple(settings.TOTP_ENCRYPTION_KEYS))


def secret_encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def secret_decrypt(token: str) -> str:
    """Raises InvalidToken if no configured key can decrypt it."""
    return _current().decrypt(token.encode()).decode()


def secret_rotate(token: str) -> str:
    """The same plaintext, encrypted under the newest key."""
    return _current().rotate(token.encode()).decode()


def secret_is_current(token: str) -> bool:
    """Whether the newest key alone decrypts `token`: then rotation has nothing to do
    for it (J4). Fernet tokens name no key, so this is the cheap test: one HMAC
    check, which fails at once for a token under an older key."""
    try:
        _newest(settings.TOTP_ENCRYPTION_KEYS[0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True
