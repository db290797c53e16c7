"""I7: anonymous clients cannot grow a table without bound. Refused attempts are
recorded once per throttle window with a count, not one audit row each, and typing
new e-mails from a throttled address creates no new rows."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from deskguard.audit.models import AuditEvent, Event
from deskguard.limits.models import Throttle

WRONG = "not the password at all"


def test_i7_refused_attempts_cost_one_audit_row_per_window_with_a_count(contact):
    client = Client(REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            client.post("/portal/signin/", {"email": contact.email, "password": WRONG})
        for _ in range(50):
            response = client.post("/portal/signin/", {"email": contact.email, "password": WRONG})
            assert response.status_code == 429
        throttled = AuditEvent.objects.filter(event=Event.SIGNIN_THROTTLED)
        assert throttled.count() == 1
        clock.shift(timedelta(minutes=20))  # the window is over; the next try is judged
        client.post("/portal/signin/", {"email": contact.email, "password": WRONG})
    rows = list(AuditEvent.objects.filter(event=Event.SIGNIN_THROTTLED).order_by("id"))
    assert len(rows) == 2
    assert rows[-1].detail["refused"] == 50


def test_i7_new_e_mails_typed_from_a_throttled_address_create_no_rows(db):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(100):
        client.post("/portal/signin/", {"email": f"guess{n}@example.com", "password": WRONG})
    # 20 failures are judged (one row per e-mail typed, one for the address); the 80
    # refused attempts add nothing.
    assert Throttle.objects.count() <= 21
