"""I8: limit keys are keyed hashes under a server secret (a stolen throttle table is no
list of addresses), IPv6 clients are grouped by /64."""

from __future__ import annotations

import hashlib

from django.test import Client

from deskguard.limits.models import Throttle

WRONG = "not the password at all"


def fail(client: Client, email: str) -> int:
    return client.post("/portal/signin/", {"email": email, "password": WRONG}).status_code


def test_i8_no_key_is_a_plain_hash_of_an_email_or_address(contact):
    fail(Client(REMOTE_ADDR="203.0.113.9"), contact.email)
    keys = " ".join(Throttle.objects.values_list("key", flat=True))
    for value in (contact.email, "203.0.113.9"):
        assert hashlib.sha256(value.encode()).hexdigest()[:40] not in keys
        assert value not in keys


def test_i8_keys_change_with_the_server_secret(settings, contact):
    fail(Client(REMOTE_ADDR="203.0.113.9"), contact.email)
    first = set(Throttle.objects.values_list("key", flat=True))
    Throttle.objects.all().delete()
    settings.SECRET_KEY = "another server secret, long enough to be a real one"
    fail(Client(REMOTE_ADDR="203.0.113.9"), contact.email)
    assert first.isdisjoint(set(Throttle.objects.values_list("key", flat=True)))


def test_i8_ipv6_clients_of_one_64_share_the_address_limit(contact, make_user):
    emails = [make_user().email for _ in range(20)]
    for n, email in enumerate(emails):  # 20 failures, each from a new address in one /64
        assert fail(Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}"), email) == 400
    same_64 = Client(REMOTE_ADDR="2001:db8:1:2:ffff::1")
    assert fail(same_64, contact.email) == 429
    other_64 = Client(REMOTE_ADDR="2001:db8:1:3::1")
    assert fail(other_64, contact.email) == 400
