"""E2, J3, D5: only administrators open the audit log, ask for an export, follow it or
download it."""

from __future__ import annotations

import pytest

from deskguard.audit.models import AuditExport, ExportStatus
from tests.audit.conftest import AUDIT_URL, EXPORT_URL, EXPORTS_URL


@pytest.fixture
def finished_export(db, admin) -> AuditExport:
    return AuditExport.objects.create(
        requested_by=admin, format="csv", upto_id=0, status=ExportStatus.DONE, size=0
    )


URLS = [
    AUDIT_URL,
    EXPORTS_URL,
    EXPORTS_URL + "{export}/",
    EXPORTS_URL + "{export}/download/",
]


def get(client, url: str, export: AuditExport):
    return client.get(url.format(export=export.pk))


@pytest.mark.parametrize("url", URLS)
def test_e2_an_anonymous_visitor_is_sent_to_the_agent_sign_in(client, finished_export, url):
    response = get(client, url, finished_export)
    assert response.status_code == 302
    assert response["Location"].startswith("/agent/signin/")


@pytest.mark.parametrize("url", URLS)
def test_e2_an_agent_who_is_not_an_administrator_gets_403(agent_client, finished_export, url):
    assert get(agent_client, url, finished_export).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_e2_a_contact_gets_403(contact_client, finished_export, url):
    assert get(contact_client, url, finished_export).status_code == 403


@pytest.mark.parametrize("fixture", ["client", "agent_client", "contact_client"])
def test_j3_only_an_administrator_can_ask_for_an_export(request, db, fixture):
    client = request.getfixturevalue(fixture)
    response = client.post(EXPORT_URL, {"format": "csv"})
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"].startswith("/agent/signin/")
    assert not AuditExport.objects.exists()


def test_e2_an_administrator_opens_the_log_from_the_admin_tabs(admin_client):
    assert 'href="/agent/admin/audit/"' in admin_client.get("/agent/admin/").content.decode()
    response = admin_client.get(AUDIT_URL)
    assert response.status_code == 200
    assert "Audit log" in response.content.decode()


def test_e2_the_log_does_not_accept_posts_and_an_export_is_not_asked_for_by_get(admin_client):
    assert admin_client.post(AUDIT_URL).status_code == 405
    assert admin_client.get(f"{EXPORT_URL}?format=csv").status_code == 405
    assert not AuditExport.objects.exists()
