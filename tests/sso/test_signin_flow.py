"""SSO sign-in against a real OpenID Connect provider (A4, C8)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from deskguard.accounts.models import Kind, User
from deskguard.audit.models import AuditEvent, Event
from deskguard.signin.session import METHOD_SESSION_KEY
from deskguard.twofactor import services as twofactor_services
from deskguard.twofactor import totp
from deskguard.twofactor.models import SecurityPolicy
from tests.sso.conftest import local, provider_answer, sso_begin, sso_sign_in


def test_a4_c8_a_contact_signs_in_to_the_customer_portal_with_sso(client, provider, oidc, contact):
    sub = oidc.user("carol-1", email=contact.email, email_verified=True)
    response = sso_sign_in(client, provider, "customer", sub)
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert int(client.session["_auth_user_id"]) == contact.pk
    assert client.get("/portal/").status_code == 200
    event = AuditEvent.objects.get(event=Event.SIGNIN_SUCCEEDED)
    assert (event.subject, event.method) == (contact, "sso:testid")


def test_a4_c8_an_agent_signs_in_to_the_agent_portal_with_sso(client, provider, oidc, agent):
    sub = oidc.user("alan-1", email="Agent@Example.com", email_verified=True)
    response = sso_sign_in(client, provider, "agent", sub)
    assert response["Location"] == "/agent/"
    assert int(client.session["_auth_user_id"]) == agent.pk
    assert client.get("/agent/").status_code == 200
    assert AuditEvent.objects.get(event=Event.SIGNIN_SUCCEEDED).method == "sso:testid"


def test_a4_the_authorization_request_carries_state_nonce_and_a_pkce_s256_challenge(
    client, provider
):
    start = sso_begin(client, provider, "customer")
    params = parse_qs(urlsplit(start["Location"]).query)
    assert params["code_challenge_method"] == ["S256"]
    assert len(params["code_challenge"][0]) >= 43
    assert params["state"][0] and params["nonce"][0]
    assert params["redirect_uri"] == ["http://testserver/sso/testid/callback/"]
    assert "openid" in params["scope"][0].split()


def test_a4_the_session_records_the_sso_method_and_gets_a_new_key(client, provider, oidc, agent):
    client.get("/agent/signin/")
    before = client.session.session_key
    sso_sign_in(
        client, provider, "agent", oidc.user("alan-2", email=agent.email, email_verified=True)
    )
    assert client.session.session_key != before
    # What the 2FA middleware reads through signin.session.session_method().
    assert client.session[METHOD_SESSION_KEY] == "sso:testid"


def test_a4_sso_bypasses_the_second_factor_of_an_enrolled_account_under_enforcement(
    client, provider, oidc, agent, contact
):
    SecurityPolicy.objects.update_or_create(
        pk=1, defaults={"agents_enforce_2fa": True, "contacts_enforce_2fa": True}
    )
    twofactor_services.device_activate(user=agent, secret=totp.secret_new(), step=0)
    response = sso_sign_in(
        client, provider, "agent", oidc.user("alan-3", email=agent.email, email_verified=True)
    )
    assert response["Location"] == "/agent/"
    page = client.get("/agent/")
    assert page.status_code == 200, "no code was asked"
    assert not AuditEvent.objects.filter(event=Event.SECOND_FACTOR_PASSED).exists()


def test_a4_sso_bypasses_forced_enrollment_for_an_account_without_2fa(
    client, provider, oidc, contact
):
    """D2 enforcement sends password sign-ins to enrollment; SSO sign-ins are exempt."""
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_enforce_2fa": True})
    sso_sign_in(
        client, provider, "customer", oidc.user("carol-2", email=contact.email, email_verified=True)
    )
    page = client.get("/portal/")
    assert page.status_code == 200
    assert b"My tickets" in page.content


def test_a4_a_same_site_next_page_is_followed_after_sso(client, provider, oidc, contact):
    sub = oidc.user("carol-3", email=contact.email, email_verified=True)
    response = sso_sign_in(client, provider, "customer", sub, next="/portal/tickets/new/")
    assert response["Location"] == "/portal/tickets/new/"


def test_a4_f4_an_off_site_next_is_ignored(client, provider, oidc, contact):
    sub = oidc.user("carol-4", email=contact.email, email_verified=True)
    response = sso_sign_in(client, provider, "customer", sub, next="https://evil.example/")
    assert response["Location"] == "/portal/"


def test_a4_a_contact_is_created_on_first_sso_sign_in_when_the_policy_allows(
    client, provider, oidc
):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"sso_create_contacts": True})
    sub = oidc.user("newbie", email="New.Person@Example.org", email_verified=True, name="New P")
    response = sso_sign_in(client, provider, "customer", sub)
    assert response["Location"] == "/portal/"
    user = User.objects.get(email="new.person@example.org")
    assert (user.kind, user.name, user.has_usable_password()) == (Kind.CONTACT, "New P", False)
    created = AuditEvent.objects.get(event=Event.ACCOUNT_CREATED)
    assert created.subject == user and created.method == "sso:testid"


def test_a4_an_agent_is_never_created_by_sso_even_when_contacts_may_be(client, provider, oidc):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"sso_create_contacts": True})
    sub = oidc.user("stranger", email="stranger@example.org", email_verified=True)
    response = sso_sign_in(client, provider, "agent", sub)
    assert response["Location"] == "/agent/signin/"
    assert not User.objects.filter(email="stranger@example.org").exists()
    assert "_auth_user_id" not in client.session


def test_a4_the_callback_cannot_be_replayed(client, provider, oidc, contact):
    start = sso_begin(client, provider, "customer")
    sub = oidc.user("carol-5", email=contact.email, email_verified=True)
    callback = local(provider_answer(start["Location"], sub=sub))
    assert client.get(callback)["Location"] == "/portal/"
    client.post("/portal/signout/")
    again = client.get(callback)
    assert again["Location"] == "/portal/signin/"
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(event=Event.SSO_FAILED).detail["reason"] == "state_mismatch"
