"""Password guessing is throttled per account and per client address (C5, F3).

The 6th attempt after 5 wrong passwords for one account is refused, even with the
right password, with a message saying when to retry; an address gets 20 failures.
"""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.utils import timezone

from tests.conftest import PASSWORD, signin

WRONG = "definitely not the password"


def fail(client, email: str, *, portal: str = "portal", times: int = 1) -> None:
    for _ in range(times):
        response = client.post(f"/{portal}/signin/", {"email": email, "password": WRONG})
        assert response.status_code == 400, "each failure before the limit gets the form"


def error_text(response) -> str:
    match = re.search(rb'<div class="error" role="alert">(.*?)</div>', response.content, re.S)
    assert match, "the page shows an error"
    return match.group(1).decode()


def test_c5_after_five_wrong_passwords_the_right_one_is_refused_with_429(client, contact):
    fail(client, contact.email, times=5)
    response = signin(client, contact)
    assert response.status_code == 429
    assert "Try again after" in error_text(response)
    assert "_auth_user_id" not in client.session
    assert client.get("/portal/").status_code == 302


def test_c5_five_wrong_passwords_still_let_the_fifth_attempt_be_judged(client, contact):
    fail(client, contact.email, times=4)
    assert signin(client, contact).status_code == 302


def test_c5_the_lock_is_per_account_not_per_browser(client, other_client, agent):
    fail(client, agent.email, portal="agent", times=5)
    response = signin(other_client, agent)
    assert response.status_code == 429
    assert "Try again after" in error_text(response)


def test_c5_the_retry_time_in_the_message_is_honoured(client, contact):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail(client, contact.email, times=5)
        message = error_text(signin(client, contact))
        seconds = int(re.search(r"in about (\d+) seconds", message).group(1))
        assert 1 <= seconds <= 30
        clock.shift(timedelta(seconds=seconds - 1))
        assert signin(client, contact).status_code == 429
        clock.shift(timedelta(seconds=2))
        assert signin(client, contact).status_code == 302


def test_c5_a_success_resets_the_account_count(client, other_client, contact):
    fail(client, contact.email, times=4)
    assert signin(other_client, contact).status_code == 302
    fail(client, contact.email, times=4)
    assert signin(client, contact).status_code == 302


def test_c5_one_address_gets_twenty_failures_across_accounts_then_429(client, contact):
    for n in range(20):
        fail(client, f"guess{n}@example.com")
    response = signin(client, contact)
    assert response.status_code == 429
    assert "Try again after" in error_text(response)


def test_c5_the_address_limit_does_not_lock_out_other_addresses(client, other_client, contact):
    for n in range(20):
        fail(client, f"guess{n}@example.com")
    response = other_client.post(
        "/portal/signin/",
        {"email": contact.email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302


def test_f3_an_unknown_e_mail_is_throttled_with_the_same_message(client, contact):
    """Throttling must not tell an attacker which addresses have accounts."""
    with time_machine.travel(timezone.now(), tick=False):
        fail(client, contact.email, times=5)
        fail(client, "nobody@example.com", times=5)
        known = signin(client, contact)
        unknown = client.post(
            "/portal/signin/", {"email": "nobody@example.com", "password": PASSWORD}
        )
    assert known.status_code == unknown.status_code == 429
    assert error_text(known) == error_text(unknown)


def test_f3_the_other_portal_is_throttled_the_same_way(client, agent):
    """Wrong-portal attempts count as failures: no free guessing through the other form."""
    fail(client, agent.email, portal="portal", times=5)
    response = signin(client, agent)
    assert response.status_code == 429
    assert error_text(response).startswith("Too many attempts. Try again after")
    assert "_auth_user_id" not in client.session
