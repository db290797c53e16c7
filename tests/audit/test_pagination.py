"""E2, J1: the audit log is paged 50 events at a time by keyset ("newer / older",
a cursor on the time and id of the row next to the page), and paging keeps the
filters."""

from __future__ import annotations

import re
from html import unescape

import pytest

from deskguard.audit.models import Event
from tests.audit.conftest import AUDIT_URL, at


@pytest.fixture
def many(record):
    """120 events for one account, one minute apart, plus noise for another account."""
    label = "paged@example.org"
    events = [
        record(Event.SIGNIN_FAILED, subject_label=label, when=at("2021-05-01", f"{h:02}:{m:02}"))
        for h in range(2)
        for m in range(60)
    ]
    record(Event.SIGNIN_FAILED, subject_label="noise@example.org", when=at("2021-05-01", "01:30"))
    return events


def link(response, label: str) -> str | None:
    found = re.search(rf'href="(\?[^"]*)">[^<]*{label}', response.content.decode())
    return AUDIT_URL + unescape(found.group(1)) if found else None


def older_link(response) -> str | None:
    return link(response, "Older")


def newer_link(response) -> str | None:
    return link(response, "Newer")


def shown(response) -> list[int]:
    assert response.status_code == 200
    return [event.pk for event, _ in response.context["rows"]]


def test_e2_pages_hold_50_events_and_follow_each_other_without_gaps(admin_client, many):
    pages, url = [], f"{AUDIT_URL}?account=paged%40example.org"
    while url:
        response = admin_client.get(url)
        assert response.status_code == 200
        pages.append([event.pk for event, _ in response.context["rows"]])
        url = older_link(response)
    assert [len(p) for p in pages] == [50, 50, 20]
    listed = [pk for page in pages for pk in page]
    assert listed == [event.pk for event in reversed(many)]  # newest first, no repeats


def test_e2_the_page_links_keep_every_filter(admin_client, many):
    response = admin_client.get(
        AUDIT_URL,
        {"account": "paged@example.org", "event": Event.SIGNIN_FAILED, "date_from": "2021-05-01"},
    )
    link = older_link(response)
    assert link is not None
    for part in ["account=paged%40example.org", "event=signin.failed", "date_from=2021-05-01"]:
        assert part in link
    assert "older=" in link
    # J1: no count of the whole filtered set; the page says "more than" past 1,000.
    assert "120 events" in response.content.decode()
    second = admin_client.get(link)
    assert newer_link(second) is not None
    for part in ["account=paged%40example.org", "event=signin.failed", "date_from=2021-05-01"]:
        assert part in newer_link(second)


def test_j1_newer_walks_back_to_the_first_page(admin_client, many):
    first = admin_client.get(AUDIT_URL, {"account": "paged@example.org"})
    assert newer_link(first) is None  # nothing is newer than the first page
    second = admin_client.get(older_link(first))
    third = admin_client.get(older_link(second))
    assert older_link(third) is None and len(shown(third)) == 20
    back = admin_client.get(newer_link(third))
    assert shown(back) == shown(second)
    top = admin_client.get(newer_link(back))
    assert shown(top) == shown(first)


def test_j1_an_event_newer_than_the_page_does_not_shift_the_next_one(admin_client, many, record):
    """Offsets moved every page by one when a row arrived; a cursor does not."""
    first = admin_client.get(AUDIT_URL, {"account": "paged@example.org"})
    record(Event.SIGNIN_FAILED, subject_label="paged@example.org", when=at("2021-05-02"))
    second = admin_client.get(older_link(first))
    assert shown(second) == [event.pk for event in reversed(many)][50:100]


def test_j1_past_a_thousand_events_the_page_says_more_than_a_thousand(
    admin_client, record, monkeypatch
):
    from deskguard.audit import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    for n in range(6):
        record(Event.SIGNOUT, subject_label=f"many{n}@example.org")
    page = admin_client.get(AUDIT_URL, {"account": "many"}).content.decode()
    assert "More than 5 events" in page
    page = admin_client.get(AUDIT_URL, {"account": "many5"}).content.decode()
    assert "1 event." in page


@pytest.mark.parametrize(
    "cursor",
    ["0", "-1", "abc", "9999", "1" * 500, "x" * 5000, "WyIxIl0", "WzEsMl0", "W251bGwsMV0", "\x00"],
)
@pytest.mark.parametrize("direction", ["older", "newer"])
def test_e2_a_strange_cursor_shows_the_first_page_not_an_error(
    admin_client, many, cursor, direction
):
    response = admin_client.get(AUDIT_URL, {"account": "paged@example.org", direction: cursor})
    assert response.status_code == 200
    assert shown(response) == [event.pk for event in reversed(many)][:50]
