"""Customer Portal tickets (A5): a contact opens tickets and sees only their own."""

from __future__ import annotations

from deskguard.tickets.models import Message, Status, Ticket


def test_a5_a_contact_opens_a_ticket_and_finds_it_in_their_list(contact_client, contact):
    response = contact_client.post(
        "/portal/tickets/new/",
        {"subject": "Invoice missing", "body": "Where is my March invoice?"},
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert response.redirect_chain == [(f"/portal/tickets/{ticket.pk}/", 302)]
    assert b"Your ticket is open. We will reply here." in response.content
    assert b"Where is my March invoice?" in response.content
    assert ticket.contact == contact
    assert ticket.status == Status.OPEN
    assert b"Invoice missing" in contact_client.get("/portal/").content


def test_a5_a_contact_sees_only_their_own_tickets_in_the_list(
    contact_client, contact, outsider, make_ticket
):
    make_ticket(contact, subject="Carol's own problem")
    make_ticket(outsider, subject="Oscar's secret problem")
    page = contact_client.get("/portal/")
    assert b"Carol&#x27;s own problem" in page.content
    assert b"Oscar" not in page.content


def test_a5_a_contact_gets_404_for_another_contacts_ticket(contact_client, outsider, make_ticket):
    ticket = make_ticket(outsider, subject="Oscar's secret problem", body="my card number")
    response = contact_client.get(f"/portal/tickets/{ticket.pk}/")
    assert response.status_code == 404
    assert b"my card number" not in response.content
    assert b"secret problem" not in response.content


def test_a5_another_contacts_ticket_and_a_missing_one_look_the_same(
    contact_client, outsider, make_ticket
):
    ticket = make_ticket(outsider)
    theirs = contact_client.get(f"/portal/tickets/{ticket.pk}/")
    missing = contact_client.get(f"/portal/tickets/{ticket.pk + 1000}/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content


def test_a5_a_contact_cannot_reply_to_another_contacts_ticket(
    contact_client, outsider, make_ticket
):
    ticket = make_ticket(outsider)
    response = contact_client.post(f"/portal/tickets/{ticket.pk}/", {"body": "injected"})
    assert response.status_code == 404
    assert not Message.objects.filter(body="injected").exists()


def test_a5_a_contact_replies_to_their_own_ticket_and_reopens_it(
    contact_client, contact, make_ticket
):
    ticket = make_ticket(contact)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    response = contact_client.post(
        f"/portal/tickets/{ticket.pk}/", {"body": "It is on fire again."}, follow=True
    )
    assert b"Your reply is sent." in response.content
    assert b"It is on fire again." in response.content
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a5_a_huge_ticket_number_is_a_404_not_an_error(contact_client):
    assert contact_client.get("/portal/tickets/99999999999999999999999/").status_code == 404


def test_a5_anonymous_visitors_are_sent_to_the_customer_sign_in(client, contact, make_ticket):
    ticket = make_ticket(contact)
    response = client.get(f"/portal/tickets/{ticket.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/signin/?next=/portal/tickets/{ticket.pk}/"


def test_a2_an_agent_cannot_use_the_customer_portals_ticket_pages(
    agent_client, contact, make_ticket
):
    ticket = make_ticket(contact)
    assert agent_client.get(f"/portal/tickets/{ticket.pk}/").status_code == 403
    assert agent_client.get("/portal/tickets/new/").status_code == 403
    response = agent_client.post("/portal/tickets/new/", {"subject": "x", "body": "y"})
    assert response.status_code == 403
    assert Ticket.objects.count() == 1
