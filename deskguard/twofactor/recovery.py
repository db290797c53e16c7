"""Recovery codes (B3, C4, F2): generation, normalization and keyed hashing.

A code is 16 characters of Crockford's base32, 80 random bits, shown as four groups
of four. Only HMAC-SHA256(key, user id, code) is stored; the key lives outside the
database. Checking a guess is one HMAC (microseconds) and one indexed lookup, not a
slow hash per stored code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings

COUNT = 10
LENGTH = 16  # 16 x 5 bits = 80 bits, above the 64 the threat model asks for
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford: no i, l, o, u
# Crockford's decoding maps the look-alikes a person may type back to digits.
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})
_SEPARATORS = re.compile(r"[\s\-_]+")


def code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def codes_new(count: int = COUNT) -> list[str]:
    return [code_new() for _ in range(count)]


def normalize(raw: str) -> str | None:
    """C4: ignore spaces, dashes and case. None if it cannot be a recovery code."""
    code = _SEPARATORS.sub("", raw).lower().translate(_LOOKALIKES)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, LENGTH, 4))


def digest(user_id: int, code: str) -> str:
    key = settings.RECOVERY_CODE_HMAC_KEY.encode()
    message = f"deskguard-recovery-v1:{user_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
