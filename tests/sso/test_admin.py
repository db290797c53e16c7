"""Admin Settings -> Single sign-on (A4, D5, F1): administrators only, every change
recorded, the client secret encrypted at rest and never shown back."""

from __future__ import annotations

import logging

import pytest

from deskguard.audit.models import AuditEvent, Event
from deskguard.crypto import secret_decrypt
from deskguard.sso.models import SSOProvider
from deskguard.sso.services import sso_provider_rotate_secrets
from tests.conftest import confirmed
from tests.sso.conftest import CLIENT_SECRET, sso_sign_in

ADMIN_URLS = [
    ("get", "/agent/admin/sso/"),
    ("get", "/agent/admin/sso/new/"),
    ("post", "/agent/admin/sso/new/"),
    ("get", "/agent/admin/sso/confirm/"),
    ("post", "/agent/admin/sso/confirm/"),
    ("get", "/agent/admin/sso/{pk}/"),
    ("post", "/agent/admin/sso/{pk}/"),
    ("get", "/agent/admin/sso/{pk}/delete/"),
    ("post", "/agent/admin/sso/{pk}/delete/"),
]


def form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Acme ID",
        "slug": "acme",
        "kind": "custom",
        "issuer": "https://id.acme.example",
        "client_id": "deskguard",
        "client_secret": CLIENT_SECRET,
        "scopes": "openid email profile",
        "portals": "both",
        "enabled": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(("method", "url"), ADMIN_URLS)
def test_a4_d5_a_non_admin_agent_gets_403_on_every_sso_admin_page(
    agent_client, provider, method, url
):
    response = getattr(agent_client, method)(url.format(pk=provider.pk), form())
    assert response.status_code == 403
    assert SSOProvider.objects.get().name == "TestID"


@pytest.mark.parametrize(("method", "url"), ADMIN_URLS)
def test_a4_d5_a_contact_gets_403_and_a_visitor_the_sign_in_page(
    client, contact, provider, method, url
):
    response = getattr(client, method)(url.format(pk=provider.pk), form())
    assert response.status_code == 302 and response["Location"].startswith("/agent/signin/")
    client.force_login(contact)
    assert getattr(client, method)(url.format(pk=provider.pk), form()).status_code == 403


def test_a4_the_admin_settings_tabs_link_to_single_sign_on(admin_client):
    assert b'href="/agent/admin/sso/"' in admin_client.get("/agent/admin/").content


def test_a4_f1_an_admin_adds_a_provider_whose_secret_is_encrypted_and_recorded_blind(
    sudo_client, admin
):
    admin_client = sudo_client
    submitted = admin_client.post("/agent/admin/sso/new/", form())
    page = admin_client.get(submitted["Location"]).content.decode()
    assert "Acme ID is added as a single sign-on provider" in page  # I10: stated first
    assert "without a second factor" in page
    assert CLIENT_SECRET not in page
    assert not SSOProvider.objects.exists()
    response = confirmed(admin_client, submitted)
    assert response.status_code == 302
    provider = SSOProvider.objects.get()
    assert CLIENT_SECRET not in provider.client_secret_encrypted
    assert secret_decrypt(provider.client_secret_encrypted) == CLIENT_SECRET
    event = AuditEvent.objects.get(event=Event.SSO_PROVIDER_CHANGED)
    assert event.actor == admin
    assert event.detail["action"] == "created" and "client_secret" in event.detail["changed"]
    assert CLIENT_SECRET not in str(event.detail)
    listing = admin_client.get("/agent/admin/sso/").content.decode()
    assert "http://testserver/sso/acme/callback/" in listing
    assert CLIENT_SECRET not in listing


def test_a4_the_edit_form_never_renders_the_secret_and_an_empty_field_keeps_it(
    sudo_client, provider
):
    admin_client = sudo_client
    page = admin_client.get(f"/agent/admin/sso/{provider.pk}/").content.decode()
    assert CLIENT_SECRET not in page
    assert provider.client_secret_encrypted not in page
    assert "A secret is stored" in page
    submitted = admin_client.post(
        f"/agent/admin/sso/{provider.pk}/", form(slug="testid", name="Renamed", client_secret="")
    )
    page = admin_client.get(submitted["Location"]).content.decode()
    assert "Name: TestID → Renamed." in page
    assert "secret" not in page.split("What happens")[1].split("</ul>")[0]
    response = confirmed(admin_client, submitted)
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.name == "Renamed"
    assert provider.client_secret_get() == CLIENT_SECRET
    event = AuditEvent.objects.get(event=Event.SSO_PROVIDER_CHANGED)
    assert "name" in event.detail["changed"] and "client_secret" not in event.detail["changed"]


def test_a4_a_new_secret_replaces_the_old_one(sudo_client, provider):
    submitted = sudo_client.post(
        f"/agent/admin/sso/{provider.pk}/", form(slug="testid", client_secret="brand-new-secret")
    )
    assert provider.client_secret_get() == CLIENT_SECRET  # not before the confirmation
    confirmed(sudo_client, submitted)
    provider.refresh_from_db()
    assert provider.client_secret_get() == "brand-new-secret"
    event = AuditEvent.objects.get(event=Event.SSO_PROVIDER_CHANGED)
    assert "client_secret" in event.detail["changed"]
    assert "brand-new-secret" not in str(event.detail)


def test_a4_an_invalid_form_is_refused_with_400_and_does_not_echo_the_secret(admin_client, db):
    response = admin_client.post("/agent/admin/sso/new/", form(issuer="http://id.example"))
    assert response.status_code == 400
    assert b"Use an https:// URL" in response.content
    assert CLIENT_SECRET.encode() not in response.content
    assert not SSOProvider.objects.exists()


def test_a4_slugs_are_unique(admin_client, provider):
    response = admin_client.post("/agent/admin/sso/new/", form(slug="testid"))
    assert response.status_code == 400
    assert b"Another provider uses this slug" in response.content


def test_a4_openid_and_email_scopes_are_always_requested(sudo_client):
    confirmed(sudo_client, sudo_client.post("/agent/admin/sso/new/", form(scopes="profile")))
    assert SSOProvider.objects.get().scopes == "openid profile email"


def test_a4_an_admin_removes_a_provider_and_its_button_goes(sudo_client, client, provider):
    admin_client = sudo_client
    assert admin_client.get(f"/agent/admin/sso/{provider.pk}/delete/").status_code == 200
    response = admin_client.post(f"/agent/admin/sso/{provider.pk}/delete/")
    assert response.status_code == 302
    assert not SSOProvider.objects.exists()
    event = AuditEvent.objects.get(event=Event.SSO_PROVIDER_CHANGED)
    assert event.detail == {"action": "deleted", "provider": "testid", "changed": []}
    assert b"Sign in with TestID" not in admin_client.get("/portal/signin/").content


def test_a4_c8_the_client_secret_never_reaches_logs_or_audit_details(
    sudo_client, client, caplog, oidc, make_provider, contact
):
    caplog.set_level(logging.DEBUG)
    submitted = sudo_client.post("/agent/admin/sso/new/", form(slug="acme", issuer=oidc.url))
    confirmed(sudo_client, submitted)
    provider = SSOProvider.objects.get(slug="acme")
    sub = oidc.user("carol-logs", email=contact.email, email_verified=True)
    assert sso_sign_in(client, provider, "customer", sub)["Location"] == "/portal/"
    refused = sso_sign_in(client, provider, "agent", sub)
    assert refused["Location"] == "/agent/signin/"
    assert CLIENT_SECRET not in caplog.text
    for event in AuditEvent.objects.all():
        assert CLIENT_SECRET not in f"{event.detail} {event.method} {event.user_agent}"


def test_f1_provider_secrets_are_re_encrypted_under_the_newest_key(settings, provider):
    from cryptography.fernet import Fernet

    settings.TOTP_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.TOTP_ENCRYPTION_KEYS]
    before = SSOProvider.objects.get().client_secret_encrypted
    assert sso_provider_rotate_secrets() == (1, [])
    after = SSOProvider.objects.get().client_secret_encrypted
    assert after != before
    settings.TOTP_ENCRYPTION_KEYS = settings.TOTP_ENCRYPTION_KEYS[:1]
    assert SSOProvider.objects.get().client_secret_get() == CLIENT_SECRET
