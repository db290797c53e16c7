"""E2, D5: only administrators open the audit log or export it."""

from __future__ import annotations

import pytest

from tests.audit.conftest import AUDIT_URL, EXPORT_URL

URLS = [AUDIT_URL, f"{EXPORT_URL}?format=csv", f"{EXPORT_URL}?format=jsonl"]


@pytest.mark.parametrize("url", URLS)
def test_e2_an_anonymous_visitor_is_sent_to_the_agent_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/agent/signin/")


@pytest.mark.parametrize("url", URLS)
def test_e2_an_agent_who_is_not_an_administrator_gets_403(agent_client, url):
    assert agent_client.get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_e2_a_contact_gets_403(contact_client, url):
    assert contact_client.get(url).status_code == 403


def test_e2_an_administrator_opens_the_log_from_the_admin_tabs(admin_client):
    assert 'href="/agent/admin/audit/"' in admin_client.get("/agent/admin/").content.decode()
    response = admin_client.get(AUDIT_URL)
    assert response.status_code == 200
    assert "Audit log" in response.content.decode()


def test_e2_the_log_does_not_accept_posts(admin_client):
    assert admin_client.post(AUDIT_URL).status_code == 405
    assert admin_client.post(f"{EXPORT_URL}?format=csv").status_code == 405
