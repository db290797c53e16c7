"""Forgotten password: reset by an e-mailed link (A3, F3).

The link works once, setting a password never signs you in, and the form answers
the same whatever address is typed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from deskguard.accounts.models import User
from deskguard.crypto import secret_encrypt
from deskguard.outbox.models import MailKind, MailStatus, OutboundMail
from deskguard.twofactor import totp
from deskguard.twofactor.models import TOTPDevice
from tests.conftest import PASSWORD, signin

NEW_PASSWORD = "a fresh passphrase 2026"


def request_link(client, portal: str, email: str):
    return client.post(f"/{portal}/password-reset/", {"email": email}, follow=True)


def open_link(client, link: str):
    """Follow the mailed link like a browser: the page, and the URL its form posts to."""
    page = client.get(urlsplit(link).path, follow=True)
    return page, page.redirect_chain[-1][0] if page.redirect_chain else urlsplit(link).path


def set_password(client, link: str, password: str = NEW_PASSWORD):
    page, form_url = open_link(client, link)
    return page, client.post(
        form_url, {"new_password1": password, "new_password2": password}, follow=True
    )


@pytest.mark.parametrize(("persona", "portal"), [("contact", "portal"), ("agent", "agent")])
def test_a3_a_mailed_link_sets_a_new_password_for_the_next_sign_in(
    client, agent, contact, mailed_links, mailoutbox, deliver, persona, portal
):
    user: User = {"agent": agent, "contact": contact}[persona]
    done = request_link(client, portal, user.email.upper())
    assert b"Check your email" in done.content
    assert mailoutbox == []  # the worker sends it, with a link made at send time
    (message,) = deliver()
    assert message.subject == "[deskguard] Reset your password"
    assert message.to == [user.email]
    (link,) = mailed_links(user.email)
    assert link.startswith(f"http://testserver/{portal}/password-reset/")

    page, saved = set_password(client, link)
    assert b"Choose a new password" in page.content
    assert saved.status_code == 200
    assert b"Your password is saved" in saved.content

    assert signin(client, user).status_code == 400
    assert signin(client, user, password=NEW_PASSWORD).status_code == 302


def test_a3_setting_a_new_password_does_not_sign_you_in(client, contact, mailed_links):
    request_link(client, "portal", contact.email)
    _, saved = set_password(client, mailed_links(contact.email)[0])
    assert b"Your password is saved" in saved.content
    assert "_auth_user_id" not in client.session
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/signin/")


def test_a3_the_link_dies_after_use(client, other_client, contact, mailed_links):
    request_link(client, "portal", contact.email)
    link = mailed_links(contact.email)[0]
    set_password(client, link)

    page, again = set_password(other_client, link, password="an attacker's choice 99")
    assert b"This link is not valid any more" in page.content
    assert b"This link is not valid any more" in again.content
    assert signin(other_client, contact, password="an attacker's choice 99").status_code == 400
    assert signin(other_client, contact, password=NEW_PASSWORD).status_code == 302


def test_a3_a_link_with_a_forged_token_sets_nothing(client, contact, mailed_links):
    request_link(client, "portal", contact.email)
    link = mailed_links(contact.email)[0]
    forged = link.rstrip("/")[:-3] + "abc/"
    page, attempt = set_password(client, forged, password="an attacker's choice 99")
    assert b"This link is not valid any more" in page.content
    assert b"This link is not valid any more" in attempt.content
    contact.refresh_from_db()
    assert contact.check_password(PASSWORD)


def test_a3_an_unused_older_link_dies_when_the_password_changes(client, contact, mailed_links):
    request_link(client, "portal", contact.email)
    request_link(client, "portal", contact.email)
    first, second = mailed_links(contact.email)
    set_password(client, second)
    page, _ = set_password(client, first, password="an attacker's choice 99")
    assert b"This link is not valid any more" in page.content


def test_a3_a_reset_ends_sessions_signed_in_with_the_old_password(
    client, other_client, contact, mailed_links
):
    assert signin(other_client, contact).status_code == 302
    request_link(client, "portal", contact.email)
    set_password(client, mailed_links(contact.email)[0])
    assert other_client.get("/portal/").status_code == 302


def queued_resets() -> list[tuple[str, str, str]]:
    return list(OutboundMail.objects.order_by("id").values_list("kind", "to_address", "status"))


def test_f3_an_agents_e_mail_in_the_customer_reset_form_gets_no_mail_but_the_same_page(
    client, agent, contact, mailoutbox, deliver
):
    for_agent = request_link(client, "portal", agent.email)
    for_contact = request_link(client, "portal", contact.email)
    assert for_agent.redirect_chain == for_contact.redirect_chain
    assert for_agent.content == for_contact.content
    # The requests did the same: one queued row each; the worker alone looks up accounts.
    assert mailoutbox == []
    reset = MailKind.PASSWORD_RESET
    assert queued_resets() == [
        (reset, agent.email, MailStatus.WAITING),
        (reset, contact.email, MailStatus.WAITING),
    ]
    assert [m.to for m in deliver()] == [[contact.email]]
    assert queued_resets() == [
        (reset, agent.email, MailStatus.SKIPPED),
        (reset, contact.email, MailStatus.SENT),
    ]


def test_f3_a_contacts_e_mail_in_the_agent_reset_form_gets_no_mail(client, contact, deliver):
    response = request_link(client, "agent", contact.email)
    assert b"Check your email" in response.content
    assert deliver() == []
    assert queued_resets() == [(MailKind.PASSWORD_RESET, contact.email, MailStatus.SKIPPED)]


def test_f3_an_unknown_e_mail_gets_the_same_page_and_no_mail(client, contact, deliver):
    unknown = request_link(client, "portal", "nobody@example.com")
    known = request_link(client, "portal", contact.email)
    assert unknown.redirect_chain == known.redirect_chain == [("/portal/password-reset/sent/", 302)]
    assert unknown.content == known.content
    assert [m.to for m in deliver()] == [[contact.email]]
    assert queued_resets() == [
        (MailKind.PASSWORD_RESET, "nobody@example.com", MailStatus.SKIPPED),
        (MailKind.PASSWORD_RESET, contact.email, MailStatus.SENT),
    ]


def test_a3_a_weak_new_password_is_refused_with_a_reason(client, contact, mailed_links):
    request_link(client, "portal", contact.email)
    _, response = set_password(client, mailed_links(contact.email)[0], password="12345678")
    assert response.status_code == 400
    assert b"This password is too short" in response.content
    contact.refresh_from_db()
    assert contact.check_password(PASSWORD)


def test_a3_mismatched_new_passwords_are_refused(client, contact, mailed_links):
    request_link(client, "portal", contact.email)
    _, form_url = open_link(client, mailed_links(contact.email)[0])
    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )
    assert response.status_code == 400
    assert b"The two password fields didn" in response.content
    contact.refresh_from_db()
    assert contact.check_password(PASSWORD)


def test_a3_a_reset_never_skips_the_second_factor_at_the_next_sign_in(
    client, contact, mailed_links
):
    TOTPDevice.objects.create(user=contact, secret_encrypted=secret_encrypt(totp.secret_new()))
    request_link(client, "portal", contact.email)
    set_password(client, mailed_links(contact.email)[0])

    response = signin(client, contact, password=NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/portal/signin/verify/"
    assert "_auth_user_id" not in client.session
    assert client.get("/portal/")["Location"].startswith("/portal/signin/")
