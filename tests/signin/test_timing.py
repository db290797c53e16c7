"""F3: an unknown e-mail costs the same work as a real account: one Argon2id
verification, so response time does not reveal which e-mails have accounts."""

from __future__ import annotations

import pytest

from deskguard.accounts.hashers import DeskguardArgon2Hasher
from tests.conftest import PASSWORD

pytestmark = pytest.mark.real_hasher
VERIFIED: list[str] = []


class CountingHasher(DeskguardArgon2Hasher):
    """The real Argon2id hasher, counting how often a password is verified."""

    def verify(self, password: str, encoded: str) -> bool:
        VERIFIED.append(encoded)
        return super().verify(password, encoded)


@pytest.fixture
def counted(settings):
    settings.PASSWORD_HASHERS = ["tests.signin.test_timing.CountingHasher"]
    VERIFIED.clear()
    return VERIFIED


@pytest.mark.parametrize(
    ("email", "portal"),
    [
        ("carol@example.com", "portal"),  # the account, wrong password
        ("nobody@example.com", "portal"),  # no such account
        ("carol@example.com", "agent"),  # the account, other portal
        ("invited@example.com", "portal"),  # invited, no password chosen yet
    ],
)
def test_f3_every_failed_sign_in_costs_one_argon2_verification(
    client, contact, make_user, counted, email, portal
):
    make_user(email="invited@example.com", password="")
    counted.clear()
    response = client.post(f"/{portal}/signin/", {"email": email, "password": "not it at all"})
    assert response.status_code == 400
    assert len(counted) == 1
    assert counted[0].startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_f3_a_successful_sign_in_costs_the_same_one_verification(client, contact, counted):
    response = client.post("/portal/signin/", {"email": contact.email, "password": PASSWORD})
    assert response.status_code == 302
    assert len(counted) == 1
