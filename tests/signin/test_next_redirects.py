"""Where sign-in sends you afterwards: only same-site paths are followed (F4)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

UNSAFE_NEXT = [
    "//evil.com",
    "//evil.com/portal/",
    "https://evil.com",
    "https://evil.com/portal/",
    "http://testserver.evil.com/",
    "/\\evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    " //evil.com",
    "///evil.com",
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
    "/" + "a" * 5000,
]


def test_f4_anonymous_visitors_are_sent_to_sign_in_with_the_page_they_wanted(client, contact):
    response = client.get("/portal/tickets/new/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/signin/?next=/portal/tickets/new/"


def test_f4_a_same_site_next_path_is_followed_after_sign_in(client, contact):
    page = client.get("/portal/signin/?next=/portal/tickets/new/")
    assert b'name="next" value="/portal/tickets/new/"' in page.content
    response = client.post(
        "/portal/signin/",
        {"email": contact.email, "password": PASSWORD, "next": "/portal/tickets/new/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/tickets/new/"


def test_f4_a_next_path_with_a_query_string_is_kept(client, agent):
    response = client.post(
        "/agent/signin/",
        {"email": agent.email, "password": PASSWORD, "next": "/agent/?status=open"},
    )
    assert response["Location"] == "/agent/?status=open"


@pytest.mark.parametrize("next_url", UNSAFE_NEXT)
def test_f4_an_unsafe_next_in_the_form_is_ignored(client, contact, next_url):
    response = client.post(
        "/portal/signin/", {"email": contact.email, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


@pytest.mark.parametrize("next_url", UNSAFE_NEXT)
def test_f4_an_unsafe_next_in_the_query_string_is_ignored(client, agent, next_url):
    response = client.post(
        "/agent/signin/",
        {"email": agent.email, "password": PASSWORD},
        QUERY_STRING=f"next={next_url}",
    )
    assert response.status_code == 302
    assert response["Location"] == "/agent/"


@pytest.mark.parametrize("next_url", UNSAFE_NEXT[:6])
def test_f4_an_unsafe_next_is_not_echoed_into_the_sign_in_form(client, db, next_url):
    page = client.get("/portal/signin/", {"next": next_url})
    assert page.status_code == 200
    assert b'name="next" value="/portal/"' in page.content


@pytest.mark.parametrize("next_url", ["//evil.com", "https://evil.com"])
def test_f4_an_already_signed_in_visitor_is_not_sent_off_site_either(
    client, contact_client, next_url
):
    response = client.get("/portal/signin/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
