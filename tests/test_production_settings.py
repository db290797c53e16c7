"""I9: production refuses to start with a configuration that would fail later, or fail
open: an empty host list (every request answers 400), DEBUG on (debug pages, and no
Secure cookies), malformed Fernet keys or a malformed recovery-code HMAC key (both
failed only at the first enrolment or sign-in that used them).

Each case starts a fresh interpreter with the environment of an otherwise complete
production server (tests/test_running_it.py: `production`), so the only thing wrong
is the one variable under test."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from tests.test_running_it import production, settings_run

START = "import django; django.setup()"
IMPROPERLY = "django.core.exceptions.ImproperlyConfigured"


def start(tmp_path, **env: str):
    """Start the settings as a production server would, mail transport included."""
    return settings_run(START, **production(tmp_path, EMAIL_HOST="smtp.example.com", **env))


def refused(result, *expected: str) -> str:
    assert result.returncode != 0, "it started"
    assert IMPROPERLY in result.stderr, result.stderr[-2000:]
    message = result.stderr.strip().splitlines()[-1]
    for text in expected:
        assert text in message, message
    return message


def test_i9_a_complete_production_configuration_starts(tmp_path):
    """The control for every refusal below: only the variable under test differs."""
    result = start(tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("hosts", ["", " , ", ","])
def test_i9_production_refuses_an_empty_host_list(tmp_path, hosts):
    refused(start(tmp_path, ALLOWED_HOSTS=hosts), "ALLOWED_HOSTS", "help.example.com")


def test_i9_production_refuses_an_unset_host_list(tmp_path):
    env = production(tmp_path, EMAIL_HOST="smtp.example.com")
    del env["ALLOWED_HOSTS"]
    refused(settings_run(START, **env), "ALLOWED_HOSTS")


@pytest.mark.parametrize("value", ["true", "1", "on"])
def test_i9_production_refuses_debug(tmp_path, value):
    refused(start(tmp_path, DEBUG=value), "DEBUG", "production")


def test_i9_debug_false_is_fine_in_production(tmp_path):
    result = start(tmp_path, DEBUG="false")
    assert result.returncode == 0, result.stderr


BAD_FERNET = {
    "not base64 at all": "this is not a key",
    "base64 of 16 bytes": "AAAAAAAAAAAAAAAAAAAAAA==",
    "a key one character short": Fernet.generate_key().decode()[:-2] + "=",
}


@pytest.mark.parametrize("bad", BAD_FERNET.values(), ids=BAD_FERNET.keys())
def test_i9_production_refuses_a_malformed_fernet_key(tmp_path, bad):
    message = refused(start(tmp_path, TOTP_ENCRYPTION_KEYS=bad), "TOTP_ENCRYPTION_KEYS", "key 1")
    assert bad not in message, "the message must not print the key"


def test_i9_a_malformed_older_key_is_refused_too(tmp_path):
    """The newest key is fine, the second (kept for decryption) is not: it would fail
    at the first sign-in of an account whose secret it encrypted."""
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()[:20]}"
    refused(start(tmp_path, TOTP_ENCRYPTION_KEYS=keys), "TOTP_ENCRYPTION_KEYS", "key 2 of 2")


def test_i9_several_good_fernet_keys_start(tmp_path):
    keys = ",".join(Fernet.generate_key().decode() for _ in range(3))
    result = start(tmp_path, TOTP_ENCRYPTION_KEYS=keys)
    assert result.returncode == 0, result.stderr


BAD_HMAC = {
    "too short": "r" * 31,
    "a word": "hunter2",
    "with a space": "r" * 20 + " " + "r" * 20,
    "with a newline": "r" * 40 + "\nr",
    # Bytes that are not UTF-8 reach Python as surrogates; `.encode()` in the HMAC
    # raised UnicodeEncodeError at the first recovery code.
    "not UTF-8": "r" * 40 + "\udcff",
}


@pytest.mark.parametrize("bad", BAD_HMAC.values(), ids=BAD_HMAC.keys())
def test_i9_production_refuses_a_short_or_malformed_hmac_key(tmp_path, bad):
    message = refused(start(tmp_path, RECOVERY_CODE_HMAC_KEY=bad), "RECOVERY_CODE_HMAC_KEY", "32")
    assert bad.strip() not in message, "the message must not print the key"


def test_i9_a_generated_length_hmac_key_starts(tmp_path):
    result = start(tmp_path, RECOVERY_CODE_HMAC_KEY="Zm9vYmFyLWJhei1xdXV4LWdhcnBseS13YWxkby1mcmVk")
    assert result.returncode == 0, result.stderr


def test_i9_local_mode_checks_the_keys_it_is_given(tmp_path):
    """A laptop that sets its own key gets the same clear refusal, at start."""
    result = settings_run(
        START,
        DJANGO_SETTINGS_MODULE="deskguard.settings",
        DESKGUARD_VAR_DIR=str(tmp_path),
        TOTP_ENCRYPTION_KEYS="not a key",
    )
    refused(result, "TOTP_ENCRYPTION_KEYS")
