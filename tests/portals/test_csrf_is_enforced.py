"""CSRF protection on every form (F4), checked with a client that enforces it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from deskguard.accounts.models import User
from deskguard.tickets.models import Ticket
from tests.conftest import PASSWORD


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_token(browser: Client, url: str) -> str:
    page = browser.get(url)
    assert page.status_code == 200
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()


def signed_in(browser: Client, portal: str, user: User) -> Client:
    token = csrf_token(browser, f"/{portal}/signin/")
    response = browser.post(
        f"/{portal}/signin/",
        {"email": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    return browser


def test_f4_sign_in_without_a_csrf_token_is_refused(browser, contact):
    response = browser.post("/portal/signin/", {"email": contact.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


def test_f4_sign_in_with_the_pages_csrf_token_works(browser, contact):
    signed_in(browser, "portal", contact)
    assert browser.get("/portal/").status_code == 200


def test_f4_a_forged_csrf_token_is_refused(browser, contact):
    csrf_token(browser, "/portal/signin/")
    response = browser.post(
        "/portal/signin/",
        {"email": contact.email, "password": PASSWORD, "csrfmiddlewaretoken": "x" * 64},
    )
    assert response.status_code == 403


def test_f4_a_cross_site_ticket_post_is_refused(browser, contact):
    signed_in(browser, "portal", contact)
    response = browser.post("/portal/tickets/new/", {"subject": "forged", "body": "forged"})
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_f4_a_cross_site_sign_out_is_refused(browser, agent):
    signed_in(browser, "agent", agent)
    assert browser.post("/agent/signout/").status_code == 403
    assert browser.get("/agent/").status_code == 200


def test_f4_a_cross_site_invitation_is_refused(browser, admin, deliver):
    signed_in(browser, "agent", admin)
    response = browser.post(
        "/agent/admin/accounts/new/", {"kind": "agent", "email": "evil@example.com"}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="evil@example.com").exists()
    assert deliver() == []


def test_f4_a_cross_site_deactivation_is_refused(browser, admin, agent):
    signed_in(browser, "agent", admin)
    assert browser.post(f"/agent/admin/accounts/{agent.pk}/deactivate/").status_code == 403
    agent.refresh_from_db()
    assert agent.is_active


def test_f4_a_cross_site_password_reset_request_is_refused(browser, contact, deliver):
    assert browser.post("/portal/password-reset/", {"email": contact.email}).status_code == 403
    assert deliver() == []


def test_f4_the_csrf_and_session_cookies_are_httponly_and_samesite(browser, contact):
    signed_in(browser, "portal", contact)
    session = browser.cookies["dgsession"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    assert browser.cookies["dgcsrf"]["httponly"]
