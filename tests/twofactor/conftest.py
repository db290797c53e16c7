"""2FA fixtures: codes are always computed from the stored secret at a controlled clock."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from deskguard.accounts.models import User
from deskguard.crypto import secret_decrypt
from deskguard.twofactor import services, totp
from deskguard.twofactor.models import TOTPDevice


@dataclass
class Enrollment:
    user: User
    codes: list[str]

    @property
    def secret(self) -> str:
        # Read back from the database, as the server will.
        return secret_decrypt(TOTPDevice.objects.get(user=self.user).secret_encrypted)

    def code(self, *, at: float | None = None, steps: int = 0) -> str:
        moment = time.time() if at is None else at
        return totp.code_at(self.secret, moment + steps * totp.STEP_SECONDS)


@pytest.fixture
def enroll():
    def make(user: User) -> Enrollment:
        _, codes = services.device_activate(user=user, secret=totp.secret_new(), step=0)
        return Enrollment(user, codes)

    return make


def start_signin(client, user, password="correct horse battery staple"):
    portal = "agent" if user.is_agent else "portal"
    response = client.post(f"/{portal}/signin/", {"email": user.email, "password": password})
    assert response.status_code == 302, response.content
    assert response["Location"] == f"/{portal}/signin/verify/"
    return f"/{portal}/signin/verify/"
