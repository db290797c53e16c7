"""J4: key rotation works in short batches, resumes after an interruption (rows
already under the newest key are skipped), reports progress, and never holds a
sign-in up for more than a moment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from deskguard.accounts.models import Kind, User
from deskguard.crypto import secret_decrypt, secret_encrypt, secret_is_current
from deskguard.twofactor import rotation, totp
from deskguard.twofactor.models import TOTPDevice
from tests.conftest import PASSWORD, code_step, signin

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def devices_create(count: int, *, prefix: str = "bulk") -> dict[int, str]:
    """`count` agents with an authenticator under the current key; their secrets."""
    users = User.objects.bulk_create(
        User(email=f"{prefix}{n}@example.com", kind=Kind.AGENT, password="!") for n in range(count)
    )
    secrets = {user.pk: totp.secret_new() for user in users}
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user_id=pk, secret_encrypted=secret_encrypt(secret))
        for pk, secret in secrets.items()
    )
    return secrets


def under_newest() -> int:
    return sum(
        secret_is_current(token)
        for token in TOTPDevice.objects.values_list("secret_encrypted", flat=True)
    )


def test_j4_an_interrupted_rotation_resumes_and_skips_what_is_done(db, settings):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    secrets = devices_create(25)
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]

    class Interrupted(Exception):
        pass

    def stop_after_two_batches(progress: rotation.RotationProgress) -> None:
        if progress.checked >= 10:
            raise Interrupted

    with pytest.raises(Interrupted):
        rotation.totp_secrets_rotate(batch_size=5, on_batch=stop_after_two_batches)
    assert under_newest() == 10  # two committed batches, nothing half-done

    out = StringIO()
    call_command("rotate_totp_keys", "--batch-size", "5", stdout=out)
    assert "25 of 25 checked, 15 re-encrypted, 10 already under the newest key" in out.getvalue()
    assert under_newest() == 25
    settings.TOTP_ENCRYPTION_KEYS = [NEW]
    for device in TOTPDevice.objects.all():
        assert secret_decrypt(device.secret_encrypted) == secrets[device.user_id]

    out = StringIO()
    call_command("rotate_totp_keys", stdout=out)  # a third run has nothing to do
    assert "0 re-encrypted, 25 already under the newest key" in out.getvalue()


def test_j4_a_secret_no_key_decrypts_is_reported_and_the_rest_still_rotate(db, settings):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    devices_create(6)
    lost = Fernet.generate_key().decode()
    settings.TOTP_ENCRYPTION_KEYS = [lost]
    orphan = devices_create(1, prefix="orphan")
    orphan_token = TOTPDevice.objects.get(user_id=next(iter(orphan))).secret_encrypted
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"1 TOTP device.*cannot be decrypted"):
        call_command("rotate_totp_keys", "--batch-size", "2", stdout=StringIO())
    assert under_newest() == 6
    assert TOTPDevice.objects.get(user_id=next(iter(orphan))).secret_encrypted == orphan_token


def test_j4_a_device_re_enrolled_during_its_batch_keeps_its_new_secret(db, settings, monkeypatch):
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    secrets = devices_create(3)
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]
    first = min(secrets)
    fresh = totp.secret_new()
    real_rotate = rotation.secret_rotate

    def rotate_while_the_user_re_enrols(token: str) -> str:
        TOTPDevice.objects.filter(user_id=first).update(secret_encrypted=secret_encrypt(fresh))
        return real_rotate(token)

    monkeypatch.setattr(rotation, "secret_rotate", rotate_while_the_user_re_enrols)
    progress = rotation.totp_secrets_rotate(batch_size=10)
    assert progress.rotated == 2
    assert secret_decrypt(TOTPDevice.objects.get(user_id=first).secret_encrypted) == fresh


@pytest.mark.parametrize("size", ["0", "-5", "100000"])
def test_j4_a_strange_batch_size_is_refused(db, size):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--batch-size must be between 1 and 10000"):
        call_command("rotate_totp_keys", "--batch-size", size)


@pytest.mark.django_db(transaction=True)
def test_j4_code_steps_during_a_rotation_of_thousands_of_devices_wait_under_a_second(
    settings, client, make_user, enroll
):
    """On PostgreSQL, with sign-ins in this thread and the rotation in another (its own
    connection): the old single transaction locked every device until the end (38 s
    for 60k devices), and a code step on any of them waited for all of it."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections: CI runs this on PostgreSQL")
    settings.TOTP_ENCRYPTION_KEYS = [OLD]
    people = []
    for n in range(40):
        people.append(enroll(make_user(Kind.AGENT, email=f"signer{n}@example.com")))
        devices_create(100, prefix=f"bulk{n}-")  # the signers spread over the table
    settings.TOTP_ENCRYPTION_KEYS = [NEW, OLD]
    assert TOTPDevice.objects.count() == 4040

    def code_step_seconds(person) -> float:
        url = code_step(client, person.user)
        started = time.monotonic()
        response = client.post(url, {"code": person.code()})
        seconds = time.monotonic() - started
        assert response.status_code == 302 and response["Location"] == "/agent/"
        client.post("/agent/signout/")
        return seconds

    quiet = [code_step_seconds(person) for person in people[:3]]
    # The rotation runs as the operator runs it: its own process, its own connection.
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rotate_totp_keys"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "TOTP_ENCRYPTION_KEYS": f"{NEW},{OLD}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    waits: list[float] = []
    try:
        for person in people[3:]:
            if worker.poll() is not None:
                break
            waits.append(code_step_seconds(person))
    finally:
        output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output
    assert "4040 of 4040 checked, 4040 re-encrypted" in output
    assert len(waits) >= 3, f"the rotation ended before the sign-ins could overlap it: {output}"
    assert max(waits) < 1.0, (quiet, waits)
    assert under_newest() == 4040
    assert signin(client, people[-1].user, password=PASSWORD).status_code == 302
