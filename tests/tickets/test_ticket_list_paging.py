"""J1: both ticket lists page by keyset on (updated_at, id), most recently updated
first: no offset, no count of every ticket."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import timezone

from deskguard.tickets.models import Status, Ticket


def link(response, base: str, label: str) -> str | None:
    found = re.search(rf'href="(\?[^"]*)">[^<]*{label}', response.content.decode())
    return base + unescape(found.group(1)) if found else None


def ticket_ids(response, base: str) -> list[int]:
    assert response.status_code == 200
    pattern = (
        r'href="/agent/tickets/(\d+)/"' if base == "/agent/" else r'href="/portal/tickets/(\d+)/"'
    )
    return [int(pk) for pk in re.findall(pattern, response.content.decode())]


@pytest.fixture
def tickets(contact, make_ticket):
    made = [make_ticket(contact, subject=f"Ticket {n}") for n in range(60)]
    start = timezone.now() - dt.timedelta(days=1)
    for n, ticket in enumerate(made):
        # Pairs share a time, so the id decides between them.
        Ticket.objects.filter(pk=ticket.pk).update(
            updated_at=start + dt.timedelta(minutes=n // 2),
            status=Status.CLOSED if n % 4 == 0 else Status.OPEN,
        )
    return made


def expected(tickets, **filters) -> list[int]:
    return list(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets], **filters)
        .order_by("-updated_at", "-id")
        .values_list("pk", flat=True)
    )


def walk(client, base: str, url: str) -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url)
        pages.append(ticket_ids(response, base))
        url = link(response, base, "Older")
    return pages


def test_j1_the_agent_list_pages_through_every_ticket_once(agent_client, tickets):
    pages = walk(agent_client, "/agent/", "/agent/")
    assert [len(page) for page in pages] == [25, 25, 10]
    assert [pk for page in pages for pk in page] == expected(tickets)


def test_j1_the_status_filter_is_kept_from_page_to_page(
    agent_client, contact, make_ticket, tickets
):
    pages = walk(agent_client, "/agent/", "/agent/?status=open")
    assert [pk for page in pages for pk in page] == expected(tickets, status=Status.OPEN)


def test_j1_newer_leads_back_to_the_first_page(agent_client, tickets):
    first = agent_client.get("/agent/")
    second = agent_client.get(link(first, "/agent/", "Older"))
    assert ticket_ids(agent_client.get(link(second, "/agent/", "Newer")), "/agent/") == ticket_ids(
        first, "/agent/"
    )


def test_j1_a_contacts_own_list_pages_through_their_tickets_only(
    contact_client, tickets, outsider, make_ticket
):
    make_ticket(outsider, subject="Not yours")
    pages = walk(contact_client, "/portal/", "/portal/")
    assert [len(page) for page in pages] == [25, 25, 10]
    assert [pk for page in pages for pk in page] == expected(tickets)
