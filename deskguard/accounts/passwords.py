"""Checking a password (A3, F3), shared by the sign-in step and re-authentication."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password

from .models import User


@lru_cache(maxsize=4)
def _dummy_hash_for(hashers: tuple[str, ...]) -> str:
    return make_password("deskguard timing equalizer")


def _dummy_hash() -> str:
    """A hash made by the configured hasher, computed once per hasher list (tests
    switch hashers; production never does)."""
    return _dummy_hash_for(tuple(settings.PASSWORD_HASHERS))


def password_matches(user: User | None, password: str) -> bool:
    """F3: an unknown e-mail, or an invited account without a password, costs
    the same Argon2 verification as a real one, so timing reveals nothing."""
    if user is None or not user.has_usable_password():
        check_password(password, _dummy_hash())
        return False
    return user.check_password(password)
