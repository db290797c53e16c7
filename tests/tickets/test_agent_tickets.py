"""Agent Portal tickets (A5): agents see all tickets, reply and change their status."""

from __future__ import annotations

from deskguard.tickets.models import Status, Ticket
from tests.conftest import signin


def test_a5_an_agent_sees_every_contacts_tickets(agent_client, contact, outsider, make_ticket):
    make_ticket(contact, subject="Carol's problem")
    make_ticket(outsider, subject="Oscar's problem")
    page = agent_client.get("/agent/").content.decode()
    assert "Carol&#x27;s problem" in page
    assert "Oscar&#x27;s problem" in page


def test_a5_an_agent_filters_tickets_by_status(agent_client, contact, make_ticket):
    make_ticket(contact, subject="Still open")
    closed = make_ticket(contact, subject="Long solved")
    Ticket.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    page = agent_client.get("/agent/", {"status": "closed"}).content
    assert b"Long solved" in page
    assert b"Still open" not in page


def test_a5_an_agent_reply_is_visible_to_the_contact(
    agent_client, other_client, contact, make_ticket
):
    ticket = make_ticket(contact)
    response = agent_client.post(
        f"/agent/tickets/{ticket.pk}/", {"body": "Please try the fire extinguisher."}, follow=True
    )
    assert response.redirect_chain == [(f"/agent/tickets/{ticket.pk}/", 302)]
    assert b"Your reply is sent." in response.content

    signin(other_client, contact)
    page = other_client.get(f"/portal/tickets/{ticket.pk}/").content
    assert b"Please try the fire extinguisher." in page
    assert b"Alan Agent" in page


def test_a5_an_agent_changes_the_status_and_the_contact_sees_it(
    agent_client, other_client, contact, make_ticket
):
    ticket = make_ticket(contact)
    for status in ("pending", "closed", "open"):
        response = agent_client.post(f"/agent/tickets/{ticket.pk}/", {"status": status})
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.status == status
    agent_client.post(f"/agent/tickets/{ticket.pk}/", {"status": "closed"})
    signin(other_client, contact)
    assert b"status-closed" in other_client.get(f"/portal/tickets/{ticket.pk}/").content


def test_a5_an_unknown_status_is_refused_with_a_form_error(agent_client, contact, make_ticket):
    ticket = make_ticket(contact)
    response = agent_client.post(f"/agent/tickets/{ticket.pk}/", {"status": "deleted"})
    assert response.status_code == 400
    assert b"Select a valid choice." in response.content
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a5_an_agent_opens_an_unknown_ticket_and_gets_404(agent_client, db):
    assert agent_client.get("/agent/tickets/4242/").status_code == 404


def test_a2_a_contact_cannot_open_agent_ticket_pages(contact_client, contact, make_ticket):
    ticket = make_ticket(contact)
    assert contact_client.get("/agent/").status_code == 403
    response = contact_client.post(f"/agent/tickets/{ticket.pk}/", {"status": "closed"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a5_anonymous_visitors_are_sent_to_the_agent_sign_in(client, contact, make_ticket):
    ticket = make_ticket(contact)
    response = client.get(f"/agent/tickets/{ticket.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/agent/signin/?next=/agent/tickets/{ticket.pk}/"


def test_a5_odd_list_parameters_fall_back_to_the_full_list(agent_client, contact, make_ticket):
    make_ticket(contact, subject="Visible anyway")
    for params in (
        {"status": "\x00"},
        {"status": "x" * 10_000},
        {"page": "-1"},
        {"page": "99999999999999999999"},
        {"page": "\x00"},
    ):
        response = agent_client.get("/agent/", params)
        assert response.status_code == 200, params
        assert b"Visible anyway" in response.content, params


def test_a5_markup_a_contact_types_is_shown_as_text_to_agents(agent_client, make_user, make_ticket):
    """A contact is an outsider to the helpdesk: their input must not run in an agent's
    browser (with the agent's session)."""
    attacker = make_user(email="mallory@example.com", name='<img src=x onerror="alert(1)">')
    ticket = make_ticket(
        attacker, subject="<script>alert('s')</script>", body="<b>bold</b>\n<script>x()</script>"
    )
    for url in ("/agent/", f"/agent/tickets/{ticket.pk}/"):
        html = agent_client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;alert(&#x27;s&#x27;)&lt;/script&gt;" in html, url
    detail = agent_client.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;<br>&lt;script&gt;x()&lt;/script&gt;" in detail
