"""Sign-in per portal (A1, A2, A3, F3)."""

from __future__ import annotations

from deskguard.audit.models import AuditEvent, Event
from tests.conftest import PASSWORD, signin


def test_a2_an_agent_signs_in_to_the_agent_portal_and_sees_tickets(client, agent):
    response = signin(client, agent)
    assert response.status_code == 302
    assert response["Location"] == "/agent/"
    page = client.get("/agent/")
    assert page.status_code == 200
    assert b"Agent Portal" in page.content


def test_a2_a_contact_signs_in_to_the_customer_portal(client, contact):
    response = signin(client, contact)
    assert response["Location"] == "/portal/"
    assert b"My tickets" in client.get("/portal/").content


def test_a2_f3_an_agent_is_refused_by_the_customer_form_with_the_generic_message(client, agent):
    response = client.post("/portal/signin/", {"email": agent.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"The email address or password is not correct." in response.content
    assert "_auth_user_id" not in client.session
    unknown = client.post("/portal/signin/", {"email": "nobody@example.com", "password": PASSWORD})
    assert unknown.content.count(b"not correct") == response.content.count(b"not correct")


def test_a1_email_is_matched_case_insensitively(client, contact):
    response = client.post(
        "/portal/signin/", {"email": "  CAROL@Example.COM ", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client.session["_auth_user_id"] == str(contact.pk)
    assert b"My tickets" in client.get("/portal/").content


def test_c8_a_failed_sign_in_is_recorded(client, contact):
    client.post("/portal/signin/", {"email": contact.email, "password": "wrong password!"})
    event = AuditEvent.objects.get(event=Event.SIGNIN_FAILED)
    assert event.subject == contact
    assert event.method == "password"
