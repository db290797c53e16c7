"""J5: the adoption overview reads a summary the database keeps, not every account,
and the summary always equals a full recount, whatever changed the accounts."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from deskguard.accounts.models import Kind, User
from deskguard.accounts.services import user_create, user_deactivate
from deskguard.twofactor import services, totp
from deskguard.twofactor.admin_flows import adoption_overview, adoption_recount
from deskguard.twofactor.models import SecondFactor, SecurityKey, TOTPDevice


def numbers(adoption) -> list[tuple[str, int, int]]:
    return [(row.kind, row.total, row.with_2fa) for row in adoption]


def assert_exact() -> list[tuple[str, int, int]]:
    summary = numbers(adoption_overview())
    assert summary == numbers(adoption_recount())
    return summary


def test_j5_the_summary_matches_a_full_recount_after_every_kind_of_change(admin, make_user):
    assert assert_exact() == [("agent", 1, 0), ("contact", 0, 0)]
    contacts = [make_user(Kind.CONTACT) for _ in range(20)]
    agents = [make_user(Kind.AGENT) for _ in range(5)]
    invited = user_create(email="new@example.com", kind=Kind.CONTACT, created_by=admin)
    assert assert_exact() == [("agent", 6, 0), ("contact", 21, 0)]

    for user in [*contacts[:8], agents[0], admin, invited]:
        services.device_activate(user=user, secret=totp.secret_new(), step=0)
    services.device_activate(user=contacts[0], secret=totp.secret_new(), step=0)  # replaced
    assert assert_exact() == [("agent", 6, 2), ("contact", 21, 9)]

    services.factors_remove(user=contacts[1])
    services.factors_remove(user=contacts[10])  # had none
    user_deactivate(user=contacts[2], by=admin)  # with 2FA
    user_deactivate(user=contacts[12], by=admin)  # without
    user_deactivate(user=contacts[12], by=admin)  # twice changes nothing
    assert assert_exact() == [("agent", 6, 2), ("contact", 19, 7)]

    # A deactivated account losing or gaining a device moves nothing.
    services.factors_remove(user=contacts[2])
    services.device_activate(user=contacts[12], secret=totp.secret_new(), step=0)
    assert assert_exact() == [("agent", 6, 2), ("contact", 19, 7)]

    # Reactivated (e.g. from the shell), and an account changing kind with its device.
    User.objects.filter(pk=contacts[12].pk).update(is_active=True)
    User.objects.filter(pk=contacts[3].pk).update(kind=Kind.AGENT)
    assert assert_exact() == [("agent", 7, 3), ("contact", 19, 7)]

    # Bulk paths no Python hook sees: bulk_create, queryset update and delete.
    User.objects.bulk_create(
        User(email=f"bulk{n}@example.com", kind=Kind.CONTACT, password="!") for n in range(30)
    )
    User.objects.filter(email__startswith="bulk1").update(is_active=False)
    TOTPDevice.objects.filter(user__in=contacts[4:6]).delete()
    User.objects.filter(pk__in=[c.pk for c in contacts[6:9]]).delete()
    assert assert_exact() == [("agent", 7, 3), ("contact", 35, 3)]


def test_j5_the_overview_reads_only_the_summary_not_the_accounts(admin, make_user, enroll):
    for _ in range(10):
        enroll(make_user(Kind.CONTACT))
    with CaptureQueriesContext(connection) as queries:
        adoption_overview()
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert "twofactor_adoptioncount" in sql
    assert "accounts_user" not in sql and "secondfactor" not in sql


def test_j5_the_admin_overview_page_shows_the_summarys_numbers(admin_client, make_user, enroll):
    for n in range(4):
        user = make_user(Kind.CONTACT)
        if n % 2:
            enroll(user)
    page = admin_client.get("/agent/admin/").content.decode()
    assert "2 / 4" in page and "contacts with 2FA (50%)" in page


@pytest.mark.django_db(transaction=True)
def test_j5_the_summary_survives_a_flush_of_every_table(admin, make_user, enroll):
    """Django's flush (between transactional tests) empties the tables in any order:
    the summary must end up empty, not negative, and count again from there."""
    enroll(make_user(Kind.CONTACT))
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    assert assert_exact() == [("agent", 0, 0), ("contact", 0, 0)]
    enroll(make_user(Kind.CONTACT))
    assert assert_exact() == [("agent", 0, 0), ("contact", 1, 1)]


def key_of(user: User, name: str) -> SecurityKey:
    return SecurityKey.objects.create(
        user=user, name=name, credential_id=f"{user.pk}-{name}", public_key=b"k"
    )


def test_j5_k1_an_account_counts_once_whatever_factors_it_has(admin, make_user):
    """2FA on = any factor: a second key or an app next to a key moves nothing, and only
    the last factor's removal counts the account out."""
    contact = make_user(Kind.CONTACT)
    key_of(contact, "a")
    assert assert_exact() == [("agent", 1, 0), ("contact", 1, 1)]
    key_of(contact, "b")
    services.device_activate(user=contact, secret=totp.secret_new(), step=0, fresh_codes=False)
    assert assert_exact() == [("agent", 1, 0), ("contact", 1, 1)]
    SecurityKey.objects.filter(user=contact, name="a").delete()
    TOTPDevice.objects.filter(user=contact).delete()
    assert assert_exact() == [("agent", 1, 0), ("contact", 1, 1)]
    SecurityKey.objects.filter(user=contact).delete()
    assert assert_exact() == [("agent", 1, 0), ("contact", 1, 0)]
    # Several accounts' factors in one statement, some of them with two.
    others = [make_user(Kind.CONTACT) for _ in range(3)]
    SecurityKey.objects.bulk_create(
        SecurityKey(user=u, name=n, credential_id=f"{u.pk}{n}", public_key=b"k")
        for u in others
        for n in "xy"
    )
    assert assert_exact() == [("agent", 1, 0), ("contact", 4, 3)]
    SecondFactor.objects.filter(user__in=others[:2], name="x").delete()
    assert assert_exact() == [("agent", 1, 0), ("contact", 4, 3)]
    SecondFactor.objects.filter(user__in=others).delete()
    assert assert_exact() == [("agent", 1, 0), ("contact", 4, 0)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_j5_k1_two_first_keys_added_at_once_count_the_account_once(make_user):
    """Per-statement triggers in two transactions: the second waits for the first's
    lock on the account and then counts with a fresh snapshot, so it sees the first
    key and does not count the account a second time."""
    contact = make_user(Kind.CONTACT)
    first_inserted, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                key_of(contact, "first")
                first_inserted.set()
                second_started.wait(5)
                time.sleep(0.3)  # the second insert is now waiting on the account's row
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            first_inserted.wait(5)
            second_started.set()
            with transaction.atomic():
                key_of(contact, "second")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert SecurityKey.objects.filter(user=contact).count() == 2
    assert assert_exact() == [("agent", 0, 0), ("contact", 1, 1)]
