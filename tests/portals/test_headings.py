"""Every page has exactly one H1 (L3, L5): the page's name for screen-reader users who
jump by heading, also on the pages reached in the middle of a flow (forced
enrollment, recovery codes, re-authentication, refusals, the code step)."""

from __future__ import annotations

import pyotp
import pytest
from django.test import Client

from deskguard.twofactor.models import SecurityPolicy
from tests.conftest import code_step, signin
from tests.html import parse
from tests.twofactor.test_enrollment import shown_secret


def one_h1(content: bytes) -> str:
    headings = parse(content).texts("h1")
    assert len(headings) == 1, headings
    return headings[0]


@pytest.mark.parametrize(
    "path",
    [
        "/agent/signin/",
        "/portal/signin/",
        "/agent/password-reset/",
        "/portal/password-reset/sent/",
    ],
)
def test_l5_signed_out_pages_have_one_h1(db, client, path):
    response = client.get(path)
    assert response.status_code == 200
    one_h1(response.content)


@pytest.mark.parametrize(
    "path",
    [
        "/agent/",
        "/agent/settings/",
        "/agent/settings/password/",
        "/agent/settings/security/",
        "/agent/settings/security/enable/",
        "/agent/admin/",
        "/agent/admin/agent-portal/login/",
        "/agent/admin/customer-portal/security/",
        "/agent/admin/agents/",
        "/agent/admin/contacts/",
        "/agent/admin/accounts/new/",
        "/agent/admin/sso/",
        "/agent/admin/audit/",
        "/agent/admin/mail/",
        "/agent/admin/sudo/",
    ],
)
def test_l5_agent_and_admin_pages_have_one_h1(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200, path
    one_h1(response.content)


@pytest.mark.parametrize(
    "path",
    [
        "/portal/",
        "/portal/tickets/new/",
        "/portal/profile/",
        "/portal/profile/password/",
        "/portal/profile/security/",
        "/portal/profile/security/enable/",
    ],
)
def test_l5_customer_pages_have_one_h1(contact_client, path):
    response = contact_client.get(path)
    assert response.status_code == 200, path
    one_h1(response.content)


def test_l3_l5_flow_pages_have_one_h1(client, agent, enroll):
    """The code step, the re-authentication pages, the refusal under enforcement,
    forced enrollment, the recovery codes and the policy confirmation."""
    enrollment = enroll(agent)
    url = code_step(client, agent)
    assert one_h1(client.get(url).content) == "Two-factor authentication"
    assert one_h1(client.post(url, {"code": "000000"}).content) == "Two-factor authentication"
    client.post(url, {"code": enrollment.code()})
    for action in ("replace", "regenerate", "disable"):
        assert one_h1(client.get(f"/agent/settings/security/{action}/", follow=True).content)
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    refused = client.post("/agent/settings/security/disable/")
    assert refused.status_code == 403
    assert one_h1(refused.content) == "Personal Settings"


def test_l3_forced_enrollment_and_its_recovery_codes_have_one_h1(agent):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    client = Client()
    signin(client, agent)
    forced = client.get("/agent/settings/security/enable/")
    assert one_h1(forced.content) == "Set up two-factor authentication"
    secret = shown_secret(forced.content)
    client.post("/agent/settings/security/enable/", {"code": pyotp.TOTP(secret).now()})
    codes = client.get("/agent/settings/security/recovery-codes/")
    assert one_h1(codes.content) == "Personal Settings"


def test_l5_the_policy_confirmation_has_one_h1(admin_client):
    submitted = admin_client.post("/agent/admin/agent-portal/login/", {"agents_enforce_2fa": "on"})
    assert one_h1(admin_client.get(submitted["Location"]).content) == "Admin Settings"
