"""E2: the audit log is paged 50 events at a time, and paging keeps the filters."""

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


def older_link(response) -> str | None:
    found = re.search(r'href="(\?[^"]*)">Older', response.content.decode())
    return AUDIT_URL + unescape(found.group(1)) if found else None


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
    assert "page=2" in link
    assert "Page 1 of 3" in response.content.decode()


def test_e2_the_export_links_carry_the_filters_but_not_the_page(admin_client, many):
    page = admin_client.get(AUDIT_URL, {"account": "paged@example.org", "page": "2"})
    found = re.findall(r'href="(/agent/admin/audit/export/[^"]*)"', page.content.decode())
    links = [unescape(link) for link in found]
    assert links == [
        "/agent/admin/audit/export/?account=paged%40example.org&format=csv",
        "/agent/admin/audit/export/?account=paged%40example.org&format=jsonl",
    ]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "9999", "1" * 500])
def test_e2_a_strange_page_number_shows_a_real_page_not_an_error(admin_client, many, page):
    response = admin_client.get(AUDIT_URL, {"account": "paged@example.org", "page": page})
    assert response.status_code == 200
    assert len(response.context["rows"]) in (50, 20)
