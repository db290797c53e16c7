"""Enforcement for all agents (D1) and all contacts (D2), checked before any view."""

from __future__ import annotations

import pyotp
import pytest

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


def test_d2_contact_enforcement_implies_allowing(admin_client):
    admin_client.post("/agent/admin/customer-portal/security/", {"contacts_enforce_2fa": "on"})
    policy = policy_current()
    assert policy.contacts_enforce_2fa and policy.contacts_allow_2fa
