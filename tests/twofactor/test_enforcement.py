"""Enforcement for all agents (D1) and all contacts (D2), checked before any view."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.forms.models import model_to_dict

from deskguard.audit.models import AuditEvent, Event
from deskguard.tickets.models import Ticket
from deskguard.twofactor.models import SecurityPolicy, TOTPDevice
from deskguard.twofactor.policy import policy_current
from tests.conftest import signin
from tests.signin.test_pending_url_walk import all_paths
from tests.twofactor.test_enrollment import shown_secret

ENROLL = {
    "agent": "/agent/settings/security/enable/",
    "contact": "/portal/profile/security/enable/",
}


# The pages forced enrollment may open: the app's, the security key's (K3), the codes.
ENROLLMENT_PAGES = (
    "/signout/",
    "/security/enable/",
    "/security/keys/add/",
    "/security/recovery-codes/",
)


def enforce(**fields):
    SecurityPolicy.objects.update_or_create(pk=1, defaults=fields)


@pytest.mark.parametrize(
    ("persona", "policy"),
    [
        ("agent", {"agents_enforce_2fa": True}),
        ("admin", {"agents_enforce_2fa": True}),
        ("contact", {"contacts_enforce_2fa": True}),
    ],
)
def test_d1_d2_an_account_without_2fa_goes_from_password_to_enrollment_and_nowhere_else(
    db, client, request, persona, policy
):
    user = request.getfixturevalue(persona)
    enforce(**policy)
    enroll_url = ENROLL["agent" if user.is_agent else "contact"]
    first = signin(client, user)
    assert client.get(first["Location"])["Location"] == enroll_url
    for path in all_paths():
        enrollment = (
            "/signout/",
            "/security/enable/",
            "/security/keys/add/",
            "/security/recovery-codes/",
        )
        if path.endswith(enrollment):
            continue
        if path == "/healthz" or path.startswith("/sso/"):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path, {"subject": "x", "body": "y"})
            assert response.status_code == 302, (method, path, response.status_code)
            assert response["Location"] == enroll_url, (method, path)
    assert not Ticket.objects.exists(), "no view ran: a POST to open a ticket did nothing"
    page = client.get(enroll_url)
    assert page.status_code == 200
    assert b"requires two-factor authentication" in page.content
    assert b'<nav class="nav"' not in page.content  # no links that would only bounce back


def test_d1_an_already_signed_in_agent_is_taken_to_enrollment_at_the_next_request(agent_client):
    assert agent_client.get("/agent/").status_code == 200
    enforce(agents_enforce_2fa=True)
    response = agent_client.get("/agent/")
    assert response["Location"] == ENROLL["agent"]


def test_d1_after_enrolling_the_agent_reaches_everything_again(agent_client, agent):
    enforce(agents_enforce_2fa=True)
    secret = shown_secret(agent_client.get(ENROLL["agent"]).content)
    response = agent_client.post(ENROLL["agent"], {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/agent/settings/security/recovery-codes/"
    assert agent_client.get(response["Location"]).status_code == 200
    assert agent_client.get("/agent/").status_code == 200
    assert TOTPDevice.objects.filter(user=agent).exists()


def test_d1_agent_enforcement_does_not_touch_contacts(contact_client):
    enforce(agents_enforce_2fa=True)
    response = contact_client.get("/portal/")
    assert response.status_code == 200
    assert b"My tickets" in response.content
    assert b"requires two-factor authentication" not in response.content


def test_d2_enforcing_without_allowing_is_refused_and_nothing_is_saved(admin_client):
    """Enforce on with Allow off was silently corrected to Allow on and reported as
    "Saved."; it is refused with the reason, on the Enforce field, and changes nothing."""
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_allow_2fa": True})
    before = model_to_dict(policy_current())
    response = admin_client.post(
        "/agent/admin/customer-portal/security/", {"contacts_enforce_2fa": "on"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be enforced for contacts while it is not allowed" in page
    assert "Nothing was saved." in page
    [field] = re.findall(r'<input[^>]*name="contacts_enforce_2fa"[^>]*>', page)
    assert 'aria-invalid="true"' in field
    described_by = re.search(r'aria-describedby="([^"]*)"', field)
    assert described_by and "id_contacts_enforce_2fa_error" in described_by[1].split()
    error = re.search(r'id="id_contacts_enforce_2fa_error">(.*?)</div>', page, re.S)
    assert error and "not allowed" in error[1]
    assert "Saved." not in page
    assert model_to_dict(policy_current()) == before
    assert not AuditEvent.objects.filter(event=Event.POLICY_CHANGED).exists()
    assert admin_client.get("/agent/admin/policy/confirm/")["Location"] == "/agent/admin/"
