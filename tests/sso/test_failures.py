"""Every refused SSO sign-in ends on the portal's sign-in page with a message, no
session and an SSO_FAILED audit event naming the method and the reason (A4, C8)."""

from __future__ import annotations

import time

import pytest
import requests
import time_machine
from django.test import Client

from deskguard.audit.models import AuditEvent, Event
from tests.sso.conftest import (
    closed_port_url,
    flashed,
    local,
    provider_answer,
    sso_begin,
    sso_sign_in,
)


def refused(client: Client, response, *, portal: str, reason: str) -> str:
    """Assert the common shape of a refusal and return the sign-in page's text."""
    signin = "/agent/signin/" if portal == "agent" else "/portal/signin/"
    assert response.status_code == 302
    assert response["Location"] == signin
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(event=Event.SSO_FAILED)
    assert event.method == "sso:testid"
    assert event.detail["reason"] == reason
    assert event.detail["portal"] == portal
    assert not AuditEvent.objects.filter(event=Event.SIGNIN_SUCCEEDED).exists()
    return flashed(client, response)


# The account does not qualify.


def test_a4_an_unverified_email_is_refused(client, provider, oidc, contact):
    sub = oidc.user("carol-unverified", email=contact.email, email_verified=False)
    text = refused(
        client,
        sso_sign_in(client, provider, "customer", sub),
        portal="customer",
        reason="email_unverified",
    )
    assert "has not verified your email address" in text


def test_a4_an_email_without_the_verified_claim_is_refused(client, provider, oidc, contact):
    sub = oidc.user("carol-nothing", email=contact.email)
    response = sso_sign_in(client, provider, "customer", sub)
    refused(client, response, portal="customer", reason="email_unverified")


def test_a4_an_identity_without_an_email_is_refused(client, provider, oidc):
    sub = oidc.user("no-mail", name="Nobody")
    response = sso_sign_in(client, provider, "customer", sub)
    assert "did not tell us your email" in refused(
        client, response, portal="customer", reason="email_missing"
    )


def test_a4_an_unknown_email_is_refused_while_contact_creation_is_off(client, provider, oidc):
    sub = oidc.user("unknown", email="nobody@example.org", email_verified=True)
    response = sso_sign_in(client, provider, "customer", sub)
    text = refused(client, response, portal="customer", reason="unknown_account")
    assert "There is no Customer Portal account for nobody@example.org" in text
    assert AuditEvent.objects.get(event=Event.SSO_FAILED).subject_label == "nobody@example.org"


def test_a4_a_deactivated_account_is_refused(client, provider, oidc, contact):
    contact.is_active = False
    contact.save()
    sub = oidc.user("carol-gone", email=contact.email, email_verified=True)
    response = sso_sign_in(client, provider, "customer", sub)
    assert "is deactivated" in refused(
        client, response, portal="customer", reason="account_deactivated"
    )
    assert AuditEvent.objects.get(event=Event.SSO_FAILED).subject == contact


@pytest.mark.parametrize(("persona", "portal"), [("agent", "customer"), ("contact", "agent")])
def test_a2_a4_an_account_signs_in_only_through_its_own_portal(
    request, client, provider, oidc, persona, portal
):
    user = request.getfixturevalue(persona)
    sub = oidc.user(f"{persona}-elsewhere", email=user.email, email_verified=True)
    response = sso_sign_in(client, provider, portal, sub)
    assert "does not sign in to the" in refused(
        client, response, portal=portal, reason="wrong_portal"
    )


# The protocol is tampered with.


def test_a4_a_callback_from_another_browser_fails_the_state_check(client, provider, oidc, agent):
    """Login CSRF: an attacker's authorization response pasted into a victim's browser."""
    attacker = Client()
    start = sso_begin(attacker, provider, "agent")
    callback = provider_answer(start["Location"], sub=oidc.user("mallory", email=agent.email))
    sso_begin(client, provider, "agent")  # the victim has a flow of their own
    response = client.get(local(callback))
    text = refused(client, response, portal="agent", reason="state_mismatch")
    assert "expired or was started in another browser" in text


def test_a4_a_callback_without_state_is_refused(client, provider):
    sso_begin(client, provider, "customer")
    response = client.get("/sso/testid/callback/", {"code": "whatever"})
    refused(client, response, portal="customer", reason="state_mismatch")


def test_a4_a_flow_older_than_ten_minutes_is_refused(client, provider, oidc, contact):
    start = sso_begin(client, provider, "customer")
    sub = oidc.user("carol-slow", email=contact.email, email_verified=True)
    callback = local(provider_answer(start["Location"], sub=sub))
    with time_machine.travel(time.time() + 11 * 60):
        response = client.get(callback)
    refused(client, response, portal="customer", reason="state_mismatch")


def test_a4_an_id_token_minted_for_another_flow_fails_the_nonce_check(
    client, provider, oidc, contact
):
    """Code injection: a code from flow A delivered with the state of flow B. The
    state passes, but the ID token carries A's nonce."""
    other = Client()
    start_a = sso_begin(other, provider, "customer")
    start_b = sso_begin(client, provider, "customer")
    sub = oidc.user("carol-nonce", email=contact.email, email_verified=True)
    callback_a = provider_answer(start_a["Location"], sub=sub)
    code_a = requests.utils.urlparse(callback_a).query.split("code=")[1].split("&")[0]
    state_b = requests.utils.urlparse(start_b["Location"]).query.split("state=")[1].split("&")[0]
    response = client.get("/sso/testid/callback/", {"code": code_a, "state": state_b})
    text = refused(client, response, portal="customer", reason="nonce_mismatch")
    assert "did not belong to this sign-in attempt" in text


def test_a4_an_expired_id_token_is_refused(client, make_provider, oidc_expired, contact):
    provider = make_provider(oidc_expired.url)
    sub = oidc_expired.user("carol-late", email=contact.email, email_verified=True)
    response = sso_sign_in(client, provider, "customer", sub)
    assert "had expired" in refused(client, response, portal="customer", reason="token_expired")


def test_a4_an_id_token_not_signed_by_the_providers_published_keys_is_refused(
    client, make_provider, documents, oidc, oidc_other, contact
):
    """A forged token: the discovery document publishes one provider's JWKS, the
    tokens come signed by another key."""
    issuer = documents.add(
        "forged",
        authorization_endpoint=f"{oidc_other.url}/oauth2/authorize",
        token_endpoint=f"{oidc_other.url}/oauth2/token",
        jwks_uri=f"{oidc.url}/jwks",
        id_token_signing_alg_values_supported=["RS256"],
    )
    provider = make_provider(issuer)
    sub = oidc_other.user("carol-forged", email=contact.email, email_verified=True)
    response = sso_sign_in(client, provider, "customer", sub)
    assert "could not be verified" in refused(
        client, response, portal="customer", reason="token_invalid"
    )


def test_a4_a_discovery_document_naming_another_issuer_is_refused(
    client, make_provider, documents, oidc, contact
):
    """OIDC Discovery 4.3: the issuer in the document must be the one configured."""
    documents.documents["/liar/.well-known/openid-configuration"] = {
        "issuer": oidc.url,
        "authorization_endpoint": f"{oidc.url}/oauth2/authorize",
    }
    provider = make_provider(f"{documents.url}/liar")
    refused(
        client,
        sso_begin(client, provider, "customer"),
        portal="customer",
        reason="provider_misconfigured",
    )


# The provider says no, or cannot be reached.


def test_a4_a_provider_error_such_as_access_denied_is_refused(client, provider):
    start = sso_begin(client, provider, "agent")
    response = client.get(local(provider_answer(start["Location"], deny=True)))
    assert "did not sign you in" in refused(
        client, response, portal="agent", reason="provider_error"
    )
    assert AuditEvent.objects.get(event=Event.SSO_FAILED).detail["error"] == "access_denied"


def test_a4_a_provider_error_code_is_not_echoed_as_free_text(client, provider):
    start = sso_begin(client, provider, "agent")
    state = requests.utils.urlparse(start["Location"]).query.split("state=")[1].split("&")[0]
    response = client.get(
        "/sso/testid/callback/", {"state": state, "error": "<script>alert(1)</script>"}
    )
    refused(client, response, portal="agent", reason="provider_error")
    assert AuditEvent.objects.get(event=Event.SSO_FAILED).detail["error"] == "other"


def test_a4_an_unreachable_provider_is_reported_at_once(client, make_provider):
    provider = make_provider(closed_port_url())
    response = sso_begin(client, provider, "customer")
    text = refused(client, response, portal="customer", reason="provider_unreachable")
    assert "not reachable right now" in text


def test_a4_a_provider_that_hangs_is_given_up_after_the_timeout(
    client, make_provider, blackhole, settings
):
    settings.SSO_HTTP_TIMEOUT = 0.3
    provider = make_provider(blackhole.url)
    response = sso_begin(client, provider, "agent")
    refused(client, response, portal="agent", reason="provider_unreachable")
    assert AuditEvent.objects.get(event=Event.SSO_FAILED).detail["error"] == "ReadTimeout"


def test_a4_a_token_endpoint_that_is_down_at_the_callback_is_refused(
    client, make_provider, documents, oidc, contact
):
    issuer = documents.add(
        "token-down",
        authorization_endpoint=f"{oidc.url}/oauth2/authorize",
        token_endpoint=f"{closed_port_url()}/oauth2/token",
        jwks_uri=f"{oidc.url}/jwks",
    )
    provider = make_provider(issuer)
    sub = oidc.user("carol-down", email=contact.email, email_verified=True)
    response = sso_sign_in(client, provider, "customer", sub)
    refused(client, response, portal="customer", reason="provider_unreachable")


def test_a4_a_failed_sso_attempt_leaves_an_existing_session_alone(
    provider, oidc, contact, contact_client
):
    """A refused attempt signs nobody in, and does not sign the current user out."""
    sub = oidc.user("someone", email="someone@example.org", email_verified=True)
    response = sso_sign_in(contact_client, provider, "customer", sub)
    assert response["Location"] == "/portal/signin/"
    assert int(contact_client.session["_auth_user_id"]) == contact.pk
