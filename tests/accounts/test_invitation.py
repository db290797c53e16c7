"""Invitations (A6): an administrator creates an account, the new user gets an e-mail
with a set-password link, chooses a password, then signs in through their portal."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from deskguard.accounts.models import Kind, User
from deskguard.outbox.models import MailKind, OutboundMail
from tests.conftest import confirmed, signin

CHOSEN = "my own new passphrase 7"


def invite(admin_client, **fields):
    """The administrator's form. The invitation is queued with the account; the mail
    worker (`deliver`, `mailed_links`) sends it, with a link made at send time."""
    data = {"kind": "contact", "email": "new.person@example.com", "name": "New Person"}
    data.update(fields)
    return admin_client.post("/agent/admin/accounts/new/", data)


def accept(browser, link: str, password: str = CHOSEN):
    page = browser.get(urlsplit(link).path, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else urlsplit(link).path
    return page, browser.post(
        form_url, {"new_password1": password, "new_password2": password}, follow=True
    )


@pytest.mark.parametrize(
    ("kind", "portal", "list_url"),
    [("contact", "portal", "/agent/admin/contacts/"), ("agent", "agent", "/agent/admin/agents/")],
)
def test_a6_an_invited_account_chooses_a_password_and_signs_in(
    admin_client, other_client, mailoutbox, deliver, mailed_links, kind, portal, list_url
):
    response = invite(admin_client, kind=kind, email="New.Person@Example.com")
    assert response.status_code == 302
    assert response["Location"] == list_url
    assert b"new.person@example.com is invited by email." in admin_client.get(list_url).content
    assert mailoutbox == []  # queued with the account, sent by the worker (H1)
    (queued,) = OutboundMail.objects.all()
    assert (queued.kind, queued.to_address) == (MailKind.INVITATION, "new.person@example.com")

    (message,) = deliver()
    assert message.to == ["new.person@example.com"]
    assert "Ada Admin invited you" in message.body
    (link,) = mailed_links("new.person@example.com")
    assert link.startswith(f"http://testserver/{portal}/invitation/")
    assert link in message.alternatives[0][0]
    # H3: the link was made when the mail was sent; the queue never held it.
    assert urlsplit(link).path.split("/")[-2] not in str(list(OutboundMail.objects.values()))

    invited = User.objects.get(email="new.person@example.com")
    assert invited.kind == kind
    assert not invited.has_usable_password()

    page, saved = accept(other_client, link)
    assert b"choose your password" in page.content
    assert b"Your password is saved" in saved.content
    assert "_auth_user_id" not in other_client.session, "setting the password does not sign in"

    assert signin(other_client, invited, password=CHOSEN).status_code == 302
    assert other_client.get(f"/{portal}/").status_code == 200


def test_a6_an_invitation_link_works_only_once(admin_client, other_client, mailed_links):
    invite(admin_client)
    (link,) = mailed_links("new.person@example.com")
    accept(other_client, link)

    attacker = Client()
    page, again = accept(attacker, link, password="someone else 123")
    assert b"This link is not valid any more" in page.content
    assert b"This link is not valid any more" in again.content
    invited = User.objects.get(email="new.person@example.com")
    assert signin(attacker, invited, password="someone else 123").status_code == 400
    assert signin(attacker, invited, password=CHOSEN).status_code == 302


def test_a6_i10_an_administrator_invites_an_agent_administrator_after_confirming(
    sudo_client, mailed_links
):
    submitted = invite(sudo_client, kind="agent", email="boss@example.com", is_admin="on")
    assert not User.objects.filter(email="boss@example.com").exists()  # not before confirming
    page = sudo_client.get(submitted["Location"]).content.decode()
    assert "New Person &lt;boss@example.com&gt; is invited as an administrator" in page
    assert "turn off two-factor authentication for any account" in page
    assert "An invitation with a link to choose a password is emailed to boss@example.com" in page
    assert confirmed(sudo_client, submitted)["Location"] == "/agent/admin/agents/"
    assert User.objects.get(email="boss@example.com").is_admin
    (link,) = mailed_links("boss@example.com")
    assert link.startswith("http://testserver/agent/invitation/")


def test_a6_a_contact_cannot_be_made_an_administrator(admin_client, deliver):
    response = invite(admin_client, is_admin="on")
    assert response.status_code == 400
    assert b"Only agents can be administrators." in response.content
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert not OutboundMail.objects.exists()
    assert deliver() == []


def test_a1_an_e_mail_already_used_in_any_case_is_refused(admin_client, contact, deliver):
    response = invite(admin_client, kind="agent", email="CAROL@example.COM")
    assert response.status_code == 400
    assert b"An account with this email already exists." in response.content
    assert User.objects.filter(email__iexact="carol@example.com").count() == 1
    assert User.objects.get(email="carol@example.com").kind == Kind.CONTACT
    assert not OutboundMail.objects.exists()
    assert deliver() == []


def status_in_list(admin_client, email: str) -> str:
    page = admin_client.get("/agent/admin/contacts/", {"q": email}).content.decode()
    [row] = [
        r
        for r in re.findall(r"<tr>.*?</tr>", page, re.S)
        if f'<td class="stack-title">{email}</td>' in r
    ]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return re.sub(r"<[^>]+>", "", cells[3]).strip()


def test_l2_an_invited_account_reads_invited_until_it_chose_a_password(
    admin_client, other_client, contact, mailed_links
):
    invite(admin_client)
    assert status_in_list(admin_client, "new.person@example.com") == "Invited"
    assert status_in_list(admin_client, contact.email) == "Active"
    [link] = mailed_links("new.person@example.com")
    accept(other_client, link)
    assert status_in_list(admin_client, "new.person@example.com") == "Active"
