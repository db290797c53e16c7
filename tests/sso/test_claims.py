"""I4: the claims a provider asserts are validated like the sign-up form's input.

Reproduced finding: with contact creation on, a verified e-mail over 254
characters or containing NUL gave a 500 on PostgreSQL, and on SQLite created
contacts named `not-an-email` or `two words@t.test`. Each bad claim now ends on
the sign-in page with a clear message, an `sso.failed` audit event, no account
and no 500, on SQLite and PostgreSQL alike. The claims travel in real ID tokens
signed by the test provider.
"""

from __future__ import annotations

import pytest
from django.test import Client

from deskguard.accounts.models import User
from deskguard.audit.models import AuditEvent, Event
from deskguard.twofactor.models import SecurityPolicy
from tests.sso.conftest import flashed, sso_sign_in

# 64 + 1 + 4 * 61 + 11 = 320 characters, every part within its own limit.
TOO_LONG = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "example.org"

BAD_EMAILS = {
    "over-254-characters": TOO_LONG,
    "nul": "carol\x00@example.org",
    "not-an-email": "not-an-email",
    "a-space": "two words@t.test",
    "a-control-character": "bell\x07@example.org",
    "a-line-break": "carol@example.org\r\nbcc@example.org",
    "no-domain": "carol@",
}

BAD_NAMES = {
    "over-150-characters": "N" * 151,
    "nul": "Carol\x00Contact",
    "an-escape-sequence": "Carol \x1b[31mContact",
    "a-line-break": "Carol\nContact",
}


@pytest.fixture
def contacts_created_by_sso(db) -> None:
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"sso_create_contacts": True})


def refused(browser: Client, response, *, reason: str) -> str:
    assert response.status_code == 302
    assert response["Location"] == "/portal/signin/"
    assert "_auth_user_id" not in browser.session
    event = AuditEvent.objects.get(event=Event.SSO_FAILED)
    assert (event.method, event.detail["reason"]) == ("sso:testid", reason)
    assert "\x00" not in event.subject_label and len(event.subject_label) <= 254
    return flashed(browser, response)


@pytest.mark.parametrize("email", BAD_EMAILS.values(), ids=BAD_EMAILS.keys())
def test_i4_an_invalid_email_claim_is_refused_and_creates_no_account(
    client, provider, oidc, contacts_created_by_sso, email
):
    accounts = User.objects.count()
    sub = oidc.user("bad-email", email=email, email_verified=True)
    text = refused(client, sso_sign_in(client, provider, "customer", sub), reason="email_invalid")
    assert "TestID sent an email address that is not valid" in text
    assert User.objects.count() == accounts
    assert not AuditEvent.objects.filter(event=Event.ACCOUNT_CREATED).exists()


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_i4_an_invalid_name_claim_is_refused_before_a_contact_is_created(
    client, provider, oidc, contacts_created_by_sso, name
):
    sub = oidc.user("bad-name", email="new@example.org", email_verified=True, name=name)
    text = refused(client, sso_sign_in(client, provider, "customer", sub), reason="name_invalid")
    assert "TestID sent a name that is not valid" in text
    assert not User.objects.filter(email="new@example.org").exists()
    assert AuditEvent.objects.get(event=Event.SSO_FAILED).subject_label == "new@example.org"


def test_i4_an_invalid_email_is_refused_even_when_no_account_would_be_created(
    client, provider, oidc
):
    """The lookup itself must not see the NUL: PostgreSQL refuses it in a query."""
    sub = oidc.user("bad-email-lookup", email="carol\x00@example.com", email_verified=True)
    refused(client, sso_sign_in(client, provider, "customer", sub), reason="email_invalid")


def test_i4_a_name_at_the_limit_with_accents_creates_the_contact(
    client, provider, oidc, contacts_created_by_sso
):
    """What the checks must not refuse: 150 characters, accents, inner spaces."""
    name = ("Zoë Ångström-Nuñez " * 8)[:150]
    sub = oidc.user("good-name", email="Zoe@Example.org", email_verified=True, name=name)
    assert sso_sign_in(client, provider, "customer", sub)["Location"] == "/portal/"
    assert User.objects.get(email="zoe@example.org").name == name


def test_i4_a_name_is_not_checked_when_an_existing_account_signs_in(
    client, provider, oidc, contact, contacts_created_by_sso
):
    """The name is only used for a new contact; an existing account keeps its own."""
    sub = oidc.user("carol-odd-name", email=contact.email, email_verified=True, name="x\x00" * 99)
    assert sso_sign_in(client, provider, "customer", sub)["Location"] == "/portal/"
    contact.refresh_from_db()
    assert contact.name == "Carol Contact"
