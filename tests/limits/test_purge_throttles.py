"""C5: idle throttle rows can be purged without lifting a live delay or a 2FA lock."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from deskguard.limits.models import Throttle


def test_c5_purge_keeps_live_counters_and_second_factor_locks(db):
    now = timezone.now()
    old = now - timedelta(days=2)
    Throttle.objects.create(key="pw-account:quiet", failures=7, last_failure_at=old)
    Throttle.objects.create(key="pw-address:empty", failures=0)
    Throttle.objects.create(key="pw-account:live", failures=7, last_failure_at=now)
    Throttle.objects.create(key="2fa-account:locked", failures=100, last_failure_at=old)
    out = StringIO()
    call_command("purge_throttles", stdout=out)
    assert "Deleted 2" in out.getvalue()
    assert set(Throttle.objects.values_list("key", flat=True)) == {
        "pw-account:live",
        "2fa-account:locked",
    }


def test_j4_purge_walks_the_table_in_batches_and_keeps_what_must_stay(
    db, django_assert_max_num_queries
):
    now = timezone.now()
    old = now - timedelta(days=2)
    Throttle.objects.bulk_create(
        Throttle(key=f"pw-address:idle{n}", failures=3, last_failure_at=old) for n in range(45)
    )
    Throttle.objects.bulk_create(
        Throttle(key=f"2fa-account:locked{n}", failures=100, last_failure_at=old) for n in range(5)
    )
    Throttle.objects.create(key="pw-account:live", failures=7, last_failure_at=now)
    out = StringIO()
    call_command("purge_throttles", "--batch-size", "10", stdout=out)
    assert "Deleted 45 idle throttle row(s)." in out.getvalue()
    assert Throttle.objects.count() == 6
    call_command("purge_throttles", "--batch-size", "10", stdout=out)  # nothing left to do
    assert out.getvalue().endswith("Deleted 0 idle throttle row(s).\n")


def test_j4_purge_refuses_a_strange_batch_size(db):
    import pytest
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--batch-size"):
        call_command("purge_throttles", "--batch-size", "0")
