"""Admin Settings are for administrators only (A6, D5): 403 for plain agents and
contacts, the agent sign-in page for anonymous visitors."""

from __future__ import annotations

import pytest

from deskguard.accounts.models import User
from tests.conftest import signin

ADMIN_PAGES = [
    "/agent/admin/",
    "/agent/admin/agents/",
    "/agent/admin/contacts/",
    "/agent/admin/accounts/new/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_a6_an_administrator_opens_every_admin_page(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b"Admin Settings" in response.content


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_d5_a_plain_agent_gets_403_on_admin_pages(agent_client, url):
    response = agent_client.get(url)
    assert response.status_code == 403
    assert b"Only administrators can open this page." in response.content


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_d5_a_contact_gets_403_on_admin_pages(contact_client, url):
    assert contact_client.get(url).status_code == 403


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_d5_anonymous_visitors_are_sent_to_the_agent_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/agent/signin/?next={url}"


def test_d5_a_plain_agent_cannot_invite_or_deactivate(agent_client, contact, deliver):
    response = agent_client.post(
        "/agent/admin/accounts/new/",
        {"kind": "agent", "email": "sneaky@example.com", "is_admin": "on"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="sneaky@example.com").exists()
    response = agent_client.post(f"/agent/admin/accounts/{contact.pk}/deactivate/")
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.is_active
    assert deliver() == []


def test_d5_only_administrators_see_the_admin_link(admin_client, other_client, agent):
    assert b'href="/agent/admin/"' in admin_client.get("/agent/").content
    signin(other_client, agent)
    assert b'href="/agent/admin/"' not in other_client.get("/agent/").content


def test_a6_the_account_lists_show_each_kind_and_search_by_e_mail(
    admin_client, agent, contact, outsider
):
    agents = admin_client.get("/agent/admin/agents/").content
    assert b"agent@example.com" in agents
    assert b"carol@example.com" not in agents
    found = admin_client.get("/agent/admin/contacts/", {"q": "CAROL"}).content
    assert b"carol@example.com" in found
    assert b"oscar@example.com" not in found


@pytest.mark.parametrize("query", ["%%%", "___", "'; --", "x" * 10_000, "é🙂é"])
def test_a6_an_odd_search_is_an_empty_result_not_an_error(admin_client, contact, query):
    response = admin_client.get("/agent/admin/contacts/", {"q": query, "older": "abc"})
    assert response.status_code == 200
    assert b"No accounts." in response.content


@pytest.mark.parametrize("query", ["%", "_", "ca", "é🙂"])
def test_j2_a_search_shorter_than_three_characters_is_refused_with_a_message(
    admin_client, contact, query
):
    """Three characters make a trigram, the least the index can search by."""
    response = admin_client.get("/agent/admin/contacts/", {"q": query})
    assert response.status_code == 400
    assert b"Type at least 3 characters of the email address." in response.content
    assert b"carol@example.com" not in response.content


def test_a6_a_search_with_a_nul_byte_is_not_a_server_error(admin_client, contact, outsider):
    """PostgreSQL refuses NUL in text; the search must not turn that into a 500."""
    response = admin_client.get("/agent/admin/contacts/", {"q": "carol\x00"})
    assert response.status_code == 200
    assert b"carol@example.com" in response.content
    assert b"oscar@example.com" not in response.content
