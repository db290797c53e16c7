"""Passwords are stored as Argon2id at the OWASP minimum m=19 MiB, t=2, p=1 (A3)."""

from __future__ import annotations

import pytest

from deskguard.accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.real_hasher
PREFIX = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


def test_a3_a_new_account_password_is_stored_as_argon2id_m19mib_t2_p1(contact):
    stored = User.objects.get(pk=contact.pk).password
    assert stored.startswith(PREFIX)
    assert PASSWORD not in stored


def test_a3_a_password_changed_in_the_portal_is_stored_the_same_way(contact_client, contact):
    response = contact_client.post(
        "/portal/profile/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    stored = User.objects.get(pk=contact.pk).password
    assert stored.startswith(PREFIX)
    assert stored != contact.password
