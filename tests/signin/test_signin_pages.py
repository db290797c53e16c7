"""Each portal's own sign-in page and who may use it (A1, A2, A3, F3)."""

from __future__ import annotations

import re

import pytest

from deskguard.accounts.models import Kind
from tests.conftest import PASSWORD, signin

GENERIC = b"The email address or password is not correct."


def without_email_and_token(response, email: str) -> str:
    """The page minus what legitimately differs: the typed e-mail and the CSRF token."""
    html = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_a2_each_portal_has_its_own_sign_in_page(client, db):
    agent_page = client.get("/agent/signin/")
    customer_page = client.get("/portal/signin/")
    assert agent_page.status_code == customer_page.status_code == 200
    assert b"Sign in to the Agent Portal" in agent_page.content
    assert b"portal-agent" in agent_page.content
    assert b"Sign in to the Customer Portal" in customer_page.content
    assert b"portal-customer" in customer_page.content


def test_a2_f3_a_contact_is_refused_by_the_agent_form_with_the_generic_message(client, contact):
    response = client.post("/agent/signin/", {"email": contact.email, "password": PASSWORD})
    assert response.status_code == 400
    assert GENERIC in response.content
    assert "_auth_user_id" not in client.session
    unknown = client.post("/agent/signin/", {"email": "nobody@example.com", "password": PASSWORD})
    assert without_email_and_token(response, contact.email) == without_email_and_token(
        unknown, "nobody@example.com"
    )
    assert client.get("/portal/").status_code == 302


def test_f3_a_wrong_password_and_an_unknown_e_mail_get_the_same_answer(client, contact):
    wrong = client.post("/portal/signin/", {"email": contact.email, "password": "not it at all"})
    unknown = client.post(
        "/portal/signin/", {"email": "nobody@example.com", "password": "not it at all"}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert GENERIC in wrong.content
    assert without_email_and_token(wrong, contact.email) == without_email_and_token(
        unknown, "nobody@example.com"
    )


def test_a1_a_mixed_case_e_mail_signs_in_to_the_agent_portal_too(client, agent):
    response = client.post("/agent/signin/", {"email": "Agent@EXAMPLE.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/agent/"


def test_a1_an_account_created_with_a_mixed_case_e_mail_signs_in_in_lower_case(client, make_user):
    make_user(Kind.CONTACT, email="Mixed.Case@Example.org")
    response = client.post(
        "/portal/signin/", {"email": "mixed.case@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_a3_the_password_is_case_sensitive(client, contact):
    response = client.post(
        "/portal/signin/", {"email": contact.email, "password": PASSWORD.upper()}
    )
    assert response.status_code == 400
    assert GENERIC in response.content


def test_a6_f3_an_invited_account_without_a_password_cannot_sign_in(client, make_user):
    invited = make_user(Kind.CONTACT, email="invited@example.com", password="")
    response = client.post("/portal/signin/", {"email": invited.email, "password": ""})
    assert response.status_code == 400
    response = client.post("/portal/signin/", {"email": invited.email, "password": "!"})
    assert response.status_code == 400
    assert GENERIC in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("persona", "portal"), [("agent", "agent"), ("contact", "portal")])
def test_a2_a_signed_in_account_opening_its_sign_in_page_goes_home(
    client, agent, contact, persona, portal
):
    assert signin(client, {"agent": agent, "contact": contact}[persona]).status_code == 302
    response = client.get(f"/{portal}/signin/")
    assert response.status_code == 302
    assert response["Location"] == f"/{portal}/"


def test_a2_a_signed_in_contact_is_refused_on_agent_pages(client, contact_client):
    response = client.get("/agent/")
    assert response.status_code == 403
    assert b"This page belongs to the Agent Portal." in response.content


def test_c6_signing_in_gives_the_session_a_new_key(client, contact):
    """A session key planted before sign-in (session fixation) is worthless after it."""
    session = client.session
    session["planted"] = True
    session.save()
    before = session.session_key
    assert signin(client, contact).status_code == 302
    assert client.cookies["dgsession"].value != before
    assert client.get("/portal/").status_code == 200
