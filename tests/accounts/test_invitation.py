"""Invitations (A6): an administrator creates an account, the new user gets an e-mail
with a set-password link, chooses a password, then signs in through their portal."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from deskguard.accounts.models import Kind, User
from tests.conftest import signin

CHOSEN = "my own new passphrase 7"


def invite(admin_client, django_capture_on_commit_callbacks, **fields):
    data = {"kind": "contact", "email": "new.person@example.com", "name": "New Person"}
    data.update(fields)
    # The mail leaves after the account's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
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
    admin_client,
    other_client,
    mailoutbox,
    mailed_links,
    django_capture_on_commit_callbacks,
    kind,
    portal,
    list_url,
):
    response = invite(
        admin_client, django_capture_on_commit_callbacks, kind=kind, email="New.Person@Example.com"
    )
    assert response.status_code == 302
    assert response["Location"] == list_url
    assert b"new.person@example.com is invited by e-mail." in admin_client.get(list_url).content

    (message,) = mailoutbox
    assert message.to == ["new.person@example.com"]
    assert "Ada Admin invited you" in message.body
    (link,) = mailed_links("new.person@example.com")
    assert link.startswith(f"http://testserver/{portal}/invitation/")

    invited = User.objects.get(email="new.person@example.com")
    assert invited.kind == kind
    assert not invited.has_usable_password()

    page, saved = accept(other_client, link)
    assert b"choose your password" in page.content
    assert b"Your password is saved" in saved.content
    assert "_auth_user_id" not in other_client.session, "setting the password does not sign in"

    assert signin(other_client, invited, password=CHOSEN).status_code == 302
    assert other_client.get(f"/{portal}/").status_code == 200


def test_a6_an_invitation_link_works_only_once(
    admin_client, other_client, mailed_links, django_capture_on_commit_callbacks
):
    invite(admin_client, django_capture_on_commit_callbacks)
    (link,) = mailed_links("new.person@example.com")
    accept(other_client, link)

    attacker = Client()
    page, again = accept(attacker, link, password="someone else 123")
    assert b"This link is not valid any more" in page.content
    assert b"This link is not valid any more" in again.content
    invited = User.objects.get(email="new.person@example.com")
    assert signin(attacker, invited, password="someone else 123").status_code == 400
    assert signin(attacker, invited, password=CHOSEN).status_code == 302


def test_a6_an_administrator_invites_an_agent_administrator(
    admin_client, django_capture_on_commit_callbacks
):
    invite(
        admin_client,
        django_capture_on_commit_callbacks,
        kind="agent",
        email="boss@example.com",
        is_admin="on",
    )
    assert User.objects.get(email="boss@example.com").is_admin


def test_a6_a_contact_cannot_be_made_an_administrator(
    admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(admin_client, django_capture_on_commit_callbacks, is_admin="on")
    assert response.status_code == 400
    assert b"Only agents can be administrators." in response.content
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert mailoutbox == []


def test_a1_an_e_mail_already_used_in_any_case_is_refused(
    admin_client, contact, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(
        admin_client, django_capture_on_commit_callbacks, kind="agent", email="CAROL@example.COM"
    )
    assert response.status_code == 400
    assert b"An account with this e-mail already exists." in response.content
    assert User.objects.filter(email__iexact="carol@example.com").count() == 1
    assert User.objects.get(email="carol@example.com").kind == Kind.CONTACT
    assert mailoutbox == []
