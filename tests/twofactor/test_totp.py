"""TOTP math (B2, B4) through the project's own wrapper."""

from __future__ import annotations

import base64

import pyotp
import pytest

from deskguard.twofactor import totp

RFC6238_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_b4_rfc6238_appendix_b_sha1_vectors(at, expected):
    assert totp.code_at(RFC6238_SECRET, at, digits=8) == expected


def test_b4_a_new_secret_has_160_random_bits():
    secrets = {totp.secret_new() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(base64.b32decode(secret)) == 20


def test_b2_the_otpauth_uri_round_trips_through_pyotp(settings):
    settings.SITE_NAME = "Acme Help & Support"
    secret = totp.secret_new()
    uri = totp.provisioning_uri(secret, "carol+x@example.com")
    assert uri.startswith("otpauth://totp/Acme%20Help%20%26%20Support:carol%2Bx%40example.com?")
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == secret
    assert parsed.issuer == "Acme Help & Support"
    assert parsed.name == "carol+x@example.com"
    assert parsed.digits == 6 and parsed.interval == 30


def test_c3_matching_step_accepts_one_step_either_side_only():
    secret = totp.secret_new()
    now = 1_700_000_000.0
    step = totp.time_step(now)
    for offset in (-1, 0, 1):
        code = totp.code_at_step(secret, step + offset)
        assert totp.matching_step(secret, code, at=now) == step + offset
    for offset in (-2, 2):
        code = totp.code_at_step(secret, step + offset)
        if code not in {totp.code_at_step(secret, step + o) for o in (-1, 0, 1)}:
            assert totp.matching_step(secret, code, at=now) is None


def test_b2_the_qr_code_is_an_inline_svg_that_scales():
    svg = totp.qr_svg(totp.provisioning_uri(totp.secret_new(), "a@example.com"))
    assert svg.startswith("<svg") and "viewBox" in svg
    assert "<script" not in svg and "style=" not in svg
