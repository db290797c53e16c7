"""I1: knowing someone's e-mail is not enough to keep them out.

Failures from other clients cannot block the owner's correct password from a browser
that signed in to the account before (a device cookie, OWASP's "device cookies"); a
completed password reset clears the account's delay; and the account still cannot be
guessed faster from everywhere together (untrusted clients share one count)."""

from __future__ import annotations

from django.test import Client

from tests.conftest import PASSWORD, signin

OWNER_ADDRESS = "198.51.100.7"
WRONG = "not the password at all"


def attacker(n: int = 0) -> Client:
    return Client(REMOTE_ADDR=f"203.0.113.{n + 1}")


def fail(client: Client, email: str, times: int) -> list[int]:
    return [
        client.post("/portal/signin/", {"email": email, "password": WRONG}).status_code
        for _ in range(times)
    ]


def owners_browser(contact) -> Client:
    """The owner's browser, which signed in to her account before (and signed out)."""
    browser = Client(REMOTE_ADDR=OWNER_ADDRESS)
    assert signin(browser, contact).status_code == 302
    browser.post("/portal/signout/")
    return browser


def test_i1_five_wrong_passwords_from_elsewhere_do_not_keep_the_owner_out(contact):
    browser = owners_browser(contact)
    assert fail(attacker(), contact.email, 5) == [400] * 5
    assert (
        attacker()
        .post("/portal/signin/", {"email": contact.email, "password": PASSWORD})
        .status_code
        == 429
    )  # the account's delay holds for clients it does not know
    response = signin(browser, contact)
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(contact.pk)


def test_i1_an_attacker_keeping_the_account_delayed_still_cannot_keep_the_owner_out(contact):
    browser = owners_browser(contact)
    for n in range(4):  # one more wrong try each time the window opens, from new addresses
        fail(attacker(n), contact.email, 5 if n == 0 else 1)
    assert signin(browser, contact).status_code == 302


def test_i1_untrusted_clients_together_cannot_guess_faster_than_one(contact):
    """The guarantee stays: five failures from five addresses delay a sixth address."""
    statuses = [fail(attacker(n), contact.email, 1)[0] for n in range(5)]
    assert statuses == [400] * 5
    sixth = attacker(9).post("/portal/signin/", {"email": contact.email, "password": PASSWORD})
    assert sixth.status_code == 429
    assert b"Too many attempts" in sixth.content


def test_i1_the_owners_own_wrong_passwords_are_counted_on_her_browser(contact):
    browser = owners_browser(contact)
    assert fail(browser, contact.email, 5) == [400] * 5
    response = signin(browser, contact)
    assert response.status_code == 429
    # ...and her typos did not delay the account for everyone else.
    assert signin(Client(REMOTE_ADDR="192.0.2.50"), contact).status_code == 302


def test_i1_a_forged_or_foreign_device_cookie_is_no_key(contact, outsider):
    browser = owners_browser(outsider)  # a browser that knows another account
    fail(attacker(), contact.email, 5)
    assert signin(browser, contact).status_code == 429
    forged = Client(REMOTE_ADDR=OWNER_ADDRESS)
    forged.cookies["dgdevice"] = "forged:value"
    assert signin(forged, contact).status_code == 429


def test_i1_a_completed_password_reset_clears_the_accounts_delay(contact, mailed_links):
    fail(attacker(), contact.email, 5)
    new_browser = Client(REMOTE_ADDR="192.0.2.60")
    assert signin(new_browser, contact).status_code == 429
    new_browser.post("/portal/password-reset/", {"email": contact.email})
    [link] = mailed_links(contact.email)
    form_url = new_browser.get(link.removeprefix("http://testserver"))["Location"]
    saved = new_browser.post(
        form_url,
        {"new_password1": "a fresh passphrase 42", "new_password2": "a fresh passphrase 42"},
    )
    assert saved.status_code == 302
    response = signin(new_browser, contact, password="a fresh passphrase 42")
    assert response.status_code == 302
