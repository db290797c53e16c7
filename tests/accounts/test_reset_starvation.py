"""I2: a third party cannot use up someone's password-reset mails. Only mails actually
sent count, and each requesting client (or the owner's known browser) has its own
budget."""

from __future__ import annotations

from django.test import Client

from tests.conftest import signin


def ask(client: Client, email: str, portal: str = "portal"):
    response = client.post(f"/{portal}/password-reset/", {"email": email})
    assert response.status_code == 302
    return response


def mails_to(deliver, address: str) -> int:
    return len([m for m in deliver() if m.to == [address]])


def test_i2_requests_from_a_third_party_do_not_use_up_the_owners_reset_mails(contact, deliver):
    stranger = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(4):
        ask(stranger, contact.email)
    before = mails_to(deliver, contact.email)
    ask(Client(REMOTE_ADDR="198.51.100.7"), contact.email)  # the owner, from her address
    assert mails_to(deliver, contact.email) == before + 1


def test_i2_requests_that_send_no_mail_count_nothing(contact, deliver):
    """Asking the Agent Portal for a contact's address sends nothing, so it costs the
    contact's budget nothing."""
    stranger = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(3):
        ask(stranger, contact.email, portal="agent")
    assert mails_to(deliver, contact.email) == 0
    ask(stranger, contact.email)
    assert mails_to(deliver, contact.email) == 1


def test_i2_the_owners_known_browser_has_its_own_budget(contact, deliver):
    browser = Client(REMOTE_ADDR="203.0.113.5")  # the same address as the stranger: a NAT
    assert signin(browser, contact).status_code == 302
    browser.post("/portal/signout/")
    stranger = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(4):
        ask(stranger, contact.email)
    before = mails_to(deliver, contact.email)
    ask(browser, contact.email)
    assert mails_to(deliver, contact.email) == before + 1
