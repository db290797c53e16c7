"""J1: the agent and contact lists page by keyset on the e-mail (first / previous /
next), keep the search and 2FA filters, and never count the whole table."""

from __future__ import annotations

import re
from html import unescape

import pytest

from deskguard.accounts.models import Kind

URL = "/agent/admin/contacts/"


def link(response, label: str) -> str | None:
    found = re.search(rf'href="(\?[^"]*)">[^<]*{label}', response.content.decode())
    return URL + unescape(found.group(1)) if found else None


def emails(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r"<td[^>]*>(c\d{3}@paging\.example)</td>", response.content.decode())


@pytest.fixture
def contacts(make_user, enroll):
    made = [make_user(Kind.CONTACT, email=f"c{n:03}@paging.example") for n in range(120)]
    for user in made[::3]:
        enroll(user)
    return made


def test_j1_the_contact_list_pages_by_e_mail_without_gaps_or_repeats(admin_client, contacts):
    pages, url = [], URL + "?q=paging.example"
    while url:
        response = admin_client.get(url)
        pages.append(emails(response))
        url = link(response, "Next")
    assert [len(page) for page in pages] == [50, 50, 20]
    assert [email for page in pages for email in page] == sorted(u.email for u in contacts)


def test_j1_previous_and_first_walk_back_and_keep_the_filters(admin_client, contacts):
    first = admin_client.get(URL, {"q": "paging", "twofa": "on"})
    assert link(first, "Previous") is None and link(first, "First") is None
    assert emails(first) == sorted(u.email for u in contacts[::3])[:40]
    assert link(first, "Next") is None  # 40 enrolled: one page
    everyone = admin_client.get(URL, {"q": "paging"})
    second = admin_client.get(link(everyone, "Next"))
    for label in ("Previous", "First"):
        assert "q=paging" in link(second, label)
    assert emails(admin_client.get(link(second, "Previous"))) == emails(everyone)


def test_j1_the_agent_list_shows_agents_only_on_every_page(admin_client, make_user, contacts):
    for n in range(55):
        make_user(Kind.AGENT, email=f"a{n:03}@paging.example")
    first = admin_client.get("/agent/admin/agents/", {"q": "paging"})
    second = admin_client.get(
        "/agent/admin/agents/"
        + unescape(re.search(r'href="(\?[^"]*)">Next', first.content.decode()).group(1))
    )
    shown = re.findall(
        r"<td[^>]*>(\w\d{3}@paging\.example)</td>", first.content.decode() + second.content.decode()
    )
    assert shown == [f"a{n:03}@paging.example" for n in range(55)]
