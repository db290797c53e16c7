"""TOTP math (B2, B4, C3): RFC 6238 through pyotp, SHA-1, 6 digits, 30-second steps.

Pure functions, no database and no request: flows.py orchestrates.
"""

from __future__ import annotations

import hmac
import time

import pyotp
import segno
from django.conf import settings

STEP_SECONDS = 30
DIGITS = 6
# C3: one time step either side of the server clock absorbs phone clock drift and
# the seconds it takes to type a code (RFC 6238 section 5.2 recommends one step).
WINDOW = 1


def secret_new() -> str:
    """160 random bits (RFC 4226 section 4 recommends 160), base32 without padding."""
    return pyotp.random_base32(length=32)


def time_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def code_at_step(secret: str, step: int, *, digits: int = DIGITS) -> str:
    return pyotp.TOTP(secret, digits=digits, interval=STEP_SECONDS).generate_otp(step)


def code_at(secret: str, at: float, *, digits: int = DIGITS) -> str:
    return code_at_step(secret, time_step(at), digits=digits)


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step within the window whose code equals `code`, newest first.

    Every candidate is compared in constant time, so timing does not tell which
    step (or how many digits) matched.
    """
    current = time_step(at)
    found: int | None = None
    for step in range(current + WINDOW, current - WINDOW - 1, -1):
        if hmac.compare_digest(code_at_step(secret, step), code) and found is None:
            found = step
    return found


def provisioning_uri(secret: str, email: str) -> str:
    """Key Uri Format: otpauth://totp/ISSUER:EMAIL?secret=...&issuer=ISSUER (B2)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=settings.SITE_NAME
    )


def qr_svg(uri: str) -> str:
    """An inline SVG QR code (no <img>, no data: URL, nothing the CSP must allow)."""
    return str(
        segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#111827", omitsize=True)
    )


def grouped(secret: str) -> str:
    """The key for manual entry, in groups of four like most apps display it."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
