"""F1: TOTP secrets are encrypted at rest; keys rotate without losing an enrollment."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from deskguard.twofactor.models import TOTPDevice
from tests.conftest import code_step


def test_f1_rotation_re_encrypts_every_secret_and_sign_in_keeps_working(
    client, settings, agent, contact, enroll
):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOTP_ENCRYPTION_KEYS = [old]
    agent_enrollment, contact_enrollment = enroll(agent), enroll(contact)
    before = dict(TOTPDevice.objects.values_list("user_id", "secret_encrypted"))
    secrets = {agent.pk: agent_enrollment.secret, contact.pk: contact_enrollment.secret}

    settings.TOTP_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_totp_keys")
    settings.TOTP_ENCRYPTION_KEYS = [new]  # the old key is gone now

    after = dict(TOTPDevice.objects.values_list("user_id", "secret_encrypted"))
    assert all(after[uid] != before[uid] for uid in before)
    assert agent_enrollment.secret == secrets[agent.pk]
    url = code_step(client, agent)
    assert client.post(url, {"code": agent_enrollment.code()}).status_code == 302


def test_f1_rotation_without_the_old_key_fails_and_changes_nothing(settings, agent, enroll):
    settings.TOTP_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    enroll(agent)
    before = list(TOTPDevice.objects.values_list("secret_encrypted", flat=True))
    settings.TOTP_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_totp_keys")
    assert list(TOTPDevice.objects.values_list("secret_encrypted", flat=True)) == before
