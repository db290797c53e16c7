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
