"""I8 (and C5, G2): the per-address count is exact under concurrency. 40 concurrent
wrong passwords from one address, against its limit of 20 judged failures: exactly
20 are judged, the other 20 are refused, whatever the interleaving."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from deskguard.accounts.models import Kind
from deskguard.limits.models import Throttle
from tests.twofactor.test_race import race

pytestmark = pytest.mark.django_db(transaction=True)
RACERS = 40
ADDRESS_LIMIT = 20


def test_i8_c5_forty_concurrent_wrong_passwords_from_one_address_judge_exactly_twenty(
    make_user,
):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL; CI runs this file there")
    users = [make_user(Kind.CONTACT) for _ in range(RACERS)]

    def attempt(i: int) -> object:
        client = Client(REMOTE_ADDR="203.0.113.77")
        return client.post("/portal/signin/", {"email": users[i].email, "password": "nope!"})

    results = race(attempt, racers=RACERS)
    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses.count(400) == ADDRESS_LIMIT, statuses
    assert statuses.count(429) == RACERS - ADDRESS_LIMIT, statuses
    assert max(Throttle.objects.values_list("failures", flat=True)) == ADDRESS_LIMIT
