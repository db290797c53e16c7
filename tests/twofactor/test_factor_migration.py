"""K1: migration twofactor 0005 turns every TOTP device into an app factor without
loss (secret, last accepted step, date), keeps the adoption summary exact, and goes
back the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("twofactor", "0004_adoption_summary")]
AFTER = [("twofactor", "0005_second_factors")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def with_2fa(apps) -> int:
    counts = apps.get_model("twofactor", "AdoptionCount").objects.all()
    return sum(row.with_2fa for row in counts)


@pytest.mark.django_db(transaction=True)
def test_k1_every_totp_device_becomes_an_app_factor_and_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(BEFORE)
        User = old.get_model("accounts", "User")
        Device = old.get_model("twofactor", "TOTPDevice")
        when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        users = [
            User.objects.create(email=f"m{n}@example.com", kind="agent", password="!")
            for n in range(3)
        ]
        for n, user in enumerate(users[:2]):
            Device.objects.create(
                user=user, secret_encrypted=f"token-{n}", last_step=1000 + n, confirmed_at=when
            )
        assert with_2fa(old) == 2

        new = migrate(AFTER)
        factors = new.get_model("twofactor", "SecondFactor").objects.order_by("user_id")
        assert [
            (f.user_id, f.kind, f.secret_encrypted, f.last_step, f.created_at) for f in factors
        ] == [
            (users[0].pk, "app", "token-0", 1000, when),
            (users[1].pk, "app", "token-1", 1001, when),
        ]
        assert with_2fa(new) == 2
        new.get_model("twofactor", "SecondFactor").objects.create(
            user_id=users[0].pk, kind="key", name="k", credential_id="c", public_key=b"p"
        )
        assert with_2fa(new) == 2  # a second factor of an account that has one

        back = migrate(BEFORE)
        devices = back.get_model("twofactor", "TOTPDevice").objects.order_by("user_id")
        assert [(d.user_id, d.secret_encrypted, d.last_step) for d in devices] == [
            (users[0].pk, "token-0", 1000),
            (users[1].pk, "token-1", 1001),
        ]
        assert with_2fa(back) == 2
    finally:
        migrate(latest)
