"""Security keys and passkeys as a second factor (K1-K5), server side: replies made by
a software key (tests/webauthn_soft.py) and checked by py_webauthn, including the
replies a browser never sends (another origin or RP id, a copied key, a replay)."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

from deskguard.audit.models import AuditEvent, Event
from deskguard.outbox.models import OutboundMail
from deskguard.twofactor import key_flows, services
from deskguard.twofactor.models import (
    RecoveryCode,
    SecondFactor,
    SecurityKey,
    SecurityPolicy,
    TOTPDevice,
)
from deskguard.twofactor.webauthn import site_supports_keys
from tests.conftest import PASSWORD, code_step, confirmed, signin
from tests.keys import (
    key_step,
    options_in,
    reauth,
    register,
    security_url,
    signin_with_key,
    soft_key,
)
from tests.twofactor.test_enrollment import shown_secret

pytestmark = pytest.mark.usefixtures("keys_site")


def events(user, kind: Event) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(subject=user, event=kind))


def mails(user) -> list[str]:
    return [m.event.event for m in OutboundMail.objects.filter(recipient=user) if m.event]


@pytest.fixture
def key_agent(client, agent):
    """An agent whose only second factor is a security key (added through the page)."""
    key = soft_key()
    assert signin(client, agent).status_code == 302
    response = register(client, agent, key, name="Blue YubiKey")
    assert response["Location"] == "/agent/settings/security/recovery-codes/"
    client.post("/agent/signout/")
    return key


def test_k1_the_first_key_turns_2fa_on_with_recovery_codes_and_is_audited_and_mailed(
    client, agent, key_agent
):
    stored = SecurityKey.objects.get(user=agent)
    assert stored.name == "Blue YubiKey"
    assert stored.credential_id == key_agent.id
    assert stored.transports == ["usb"]
    assert stored.aaguid == "00000000-0000-0000-0000-000000000000"
    assert RecoveryCode.objects.filter(user=agent).count() == 10
    assert events(agent, Event.KEY_ADDED)[0].detail["first"] is True
    assert events(agent, Event.ENROLLED)[0].detail == {"factor": "key", "key": "Blue YubiKey"}
    assert Event.ENROLLED in mails(agent)  # one mail: "2FA is on", naming the key


def test_k2_a_key_signs_in_and_records_its_use(client, agent, key_agent):
    response = signin_with_key(client, agent, key_agent)
    assert response.status_code == 302 and response["Location"] == "/agent/"
    assert client.get("/agent/").status_code == 200
    stored = SecurityKey.objects.get(user=agent)
    assert stored.sign_count == key_agent.sign_count and stored.last_used_at
    signed_in = events(agent, Event.SIGNIN_SUCCEEDED)[0]
    assert signed_in.method == "password+key"
    assert events(agent, Event.KEY_USED)[0].detail["key"] == "Blue YubiKey"


def test_k2_the_second_step_offers_the_key_first_with_recovery_codes_as_the_way_out(
    client, agent, key_agent
):
    page = client.get(code_step(client, agent))
    body = page.content.decode()
    assert body.index("Use your security key") < body.index("Or use a recovery code")
    assert "authenticator app" not in body.split("Two-factor authentication", 2)[2]
    assert 'type="submit" autofocus' in body  # one click (or Enter) starts the prompt


def test_k2_recovery_codes_cover_an_account_with_only_keys(client, agent, key_agent):
    codes = RecoveryCode.objects.filter(user=agent)
    assert codes.count() == 10
    url = code_step(client, agent)
    # A made-up 6-digit code is just wrong: there is no app to check it against.
    assert client.post(url, {"code": "123456"}).status_code == 400
    assert not SecondFactor.objects.filter(user=agent, kind="app").exists()


def refused(response, text: str = "The security key was not accepted") -> None:
    assert response.status_code == 400, response.status_code
    assert text in response.content.decode()


def test_k2_a_replayed_assertion_is_refused_and_audited(client, agent, key_agent):
    url, options = key_step(client, agent)
    reply = key_agent.assert_(options)
    assert client.post(url, {"credential": reply}).status_code == 302
    client.post("/agent/signout/")
    url, _ = key_step(client, agent)
    response = client.post(url, {"credential": reply})
    refused(response, "already used, has expired, or belongs to another sign-in")
    assert events(agent, Event.SECOND_FACTOR_FAILED)[0].detail["reason"] == "challenge"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("assertion", "why"),
    [
        ({"origin": "https://evil.example"}, "origin"),
        ({"rp_id": "evil.example"}, "RP ID"),
    ],
    ids=["wrong-origin", "wrong-rp-id"],
)
def test_k2_a_reply_for_another_site_is_refused_and_audited(
    client, agent, key_agent, assertion, why
):
    response = signin_with_key(client, agent, key_agent, **assertion)
    refused(response, "could not be verified for this site")
    failed = events(agent, Event.SECOND_FACTOR_FAILED)[0]
    assert failed.detail["reason"] == "invalid"
    assert why.lower() in failed.detail["why"].lower()
    assert failed.method == "password+key"


def test_k2_a_key_whose_counter_went_back_is_refused_as_a_clone_audited_and_mailed(
    client, agent, key_agent
):
    assert signin_with_key(client, agent, key_agent).status_code == 302
    client.post("/agent/signout/")
    key_agent.sign_count -= 1  # the copy replays an old count
    response = signin_with_key(client, agent, key_agent)
    refused(response, "its use counter went backwards")
    clone = events(agent, Event.KEY_CLONE_DETECTED)[0]
    assert clone.detail["key"] == "Blue YubiKey"
    assert Event.KEY_CLONE_DETECTED in mails(agent)
    assert "_auth_user_id" not in client.session


def test_k2_an_answer_to_another_pending_sign_in_is_refused(client, agent, key_agent):
    """C6/K2: the challenge is bound to its own pending sign-in."""
    other = Client()
    _, options_elsewhere = key_step(other, agent)
    url, _ = key_step(client, agent)
    response = client.post(url, {"credential": key_agent.assert_(options_elsewhere)})
    refused(response, "belongs to another sign-in")
    assert events(agent, Event.SECOND_FACTOR_FAILED)[0].detail["reason"] == "challenge"


def test_k2_a_key_of_another_account_is_refused(client, agent, admin, key_agent):
    stranger = soft_key()
    admin_client = Client()
    assert signin(admin_client, admin).status_code == 302
    register(admin_client, admin, stranger)
    response = signin_with_key(client, agent, stranger)
    refused(response, "not one of the keys registered for this account")


def test_k2_a_malformed_reply_is_a_form_error_and_not_a_counted_guess(client, agent, key_agent):
    url, _ = key_step(client, agent)
    for junk in ("not json", '{"id": "x"}', "[" * 70_000):
        response = client.post(url, {"credential": junk})
        assert response.status_code == 400
    assert not events(agent, Event.SECOND_FACTOR_FAILED)


def test_k2_key_failures_share_the_second_factor_throttle(client, agent, key_agent):
    for _ in range(5):
        signin_with_key(client, agent, key_agent, origin="https://evil.example")
    response = signin_with_key(client, agent, key_agent)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_k1_the_same_key_cannot_be_registered_twice(client, agent, key_agent):
    assert signin_with_key(client, agent, key_agent).status_code == 302
    response = register(client, agent, key_agent, name="Again")
    assert response.status_code == 400
    assert "This security key is already registered." in response.content.decode()
    assert SecurityKey.objects.filter(user=agent).count() == 1


def test_k1_a_registration_reply_for_another_origin_is_refused(client, agent):
    assert signin(client, agent).status_code == 302
    key = soft_key()
    page = client.get("/agent/settings/security/keys/add/")
    response = client.post(
        "/agent/settings/security/keys/add/",
        {"name": "x", "credential": key.register(options_in(page), origin="https://evil.example")},
    )
    assert response.status_code == 400
    assert "could not be verified for this site" in response.content.decode()
    assert not SecurityKey.objects.exists()


def test_k3_adding_a_second_key_needs_re_authentication_and_is_mailed(client, agent, key_agent):
    assert signin_with_key(client, agent, key_agent).status_code == 302
    # The sign-in just proved both factors: the next change asks nothing more.
    assert register(client, agent, soft_key(), name="Backup").status_code == 302
    assert SecurityKey.objects.filter(user=agent).count() == 2
    assert Event.KEY_ADDED in mails(agent)
    fresh = Client()
    assert signin(fresh, agent).status_code == 302  # password only: the key step pending
    assert fresh.get("/agent/settings/security/keys/add/").status_code == 302


def signed_in_with_key(client, user, key) -> Client:
    assert signin_with_key(client, user, key).status_code == 302
    return client


def test_k3_the_security_page_lists_factors_and_rename_is_audited(client, agent, key_agent):
    signed_in_with_key(client, agent, key_agent)
    page = client.get("/agent/settings/security/").content.decode()
    assert "Blue YubiKey" in page and "Add security key" in page
    key = SecurityKey.objects.get(user=agent)
    url = f"/agent/settings/security/factors/{key.pk}/rename/"
    assert client.post(url, {"name": "Red YubiKey"})["Location"] == "/agent/settings/security/"
    assert SecurityKey.objects.get(pk=key.pk).name == "Red YubiKey"
    renamed = events(agent, Event.KEY_RENAMED)[0]
    assert renamed.detail["before"] == "Blue YubiKey" and renamed.detail["key"] == "Red YubiKey"


def test_k3_factor_changes_need_a_fresh_proof_by_code_or_key(client, agent, key_agent, enroll):
    signed_in_with_key(client, agent, key_agent)
    session = client.session
    session.pop("dg.reauth")
    session.save()
    key = SecurityKey.objects.get(user=agent)
    rename = f"/agent/settings/security/factors/{key.pk}/rename/"
    assert "/security/confirm/" in client.get(rename)["Location"]
    wrong = client.post("/agent/settings/security/confirm/", {"password": "nope", "code": ""})
    assert wrong.status_code == 400
    reauth(client, agent, key=key_agent)
    assert client.get(rename).status_code == 200


def test_k3_removing_one_of_two_factors_keeps_2fa_and_mails(client, agent, key_agent):
    signed_in_with_key(client, agent, key_agent)
    register(client, agent, soft_key(), name="Backup")
    backup = SecurityKey.objects.get(user=agent, name="Backup")
    url = f"/agent/settings/security/factors/{backup.pk}/remove/"
    assert b"Your other factors and your recovery codes keep working" in client.get(url).content
    assert client.post(url)["Location"] == "/agent/settings/security/"
    assert list(SecurityKey.objects.filter(user=agent).values_list("name", flat=True)) == [
        "Blue YubiKey"
    ]
    assert RecoveryCode.objects.filter(user=agent).count() == 10
    assert Event.KEY_REMOVED in mails(agent)


def test_k3_removing_the_last_factor_turns_2fa_off(client, agent, key_agent):
    signed_in_with_key(client, agent, key_agent)
    key = SecurityKey.objects.get(user=agent)
    url = f"/agent/settings/security/factors/{key.pk}/remove/"
    assert b"This is your only second factor" in client.get(url).content
    client.post(url)
    assert not SecondFactor.objects.filter(user=agent).exists()
    assert not RecoveryCode.objects.filter(user=agent).exists()
    assert events(agent, Event.KEY_REMOVED)[0].detail["last"] is True
    assert Event.DISABLED in mails(agent) and Event.KEY_REMOVED not in mails(agent)


def test_k3_the_last_factor_cannot_be_removed_under_enforcement(client, agent, key_agent):
    signed_in_with_key(client, agent, key_agent)
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    key = SecurityKey.objects.get(user=agent)
    for method in ("get", "post"):
        response = getattr(client, method)(f"/agent/settings/security/factors/{key.pk}/remove/")
        assert response.status_code == 403
    assert SecurityKey.objects.filter(user=agent).exists()
    # Enforcement is satisfied by the key: the agent reaches the portal.
    assert client.get("/agent/").status_code == 200


def test_k3_someone_elses_factor_is_not_found(client, agent, admin, key_agent, enroll):
    enroll(admin)
    signed_in_with_key(client, agent, key_agent)
    theirs = TOTPDevice.objects.get(user=admin)
    for action in ("rename", "remove"):
        url = f"/agent/settings/security/factors/{theirs.pk}/{action}/"
        assert client.post(url, {"name": "mine"}).status_code == 404
    assert TOTPDevice.objects.filter(user=admin).exists()


def test_k2_an_account_with_key_and_app_may_use_either(client, agent, key_agent):
    signed_in_with_key(client, agent, key_agent)
    secret = shown_secret(client.get("/agent/settings/security/enable/").content)
    added = client.post("/agent/settings/security/enable/", {"code": pyotp.TOTP(secret).now()})
    assert added["Location"] == "/agent/settings/security/"  # the codes stay as they are
    assert RecoveryCode.objects.filter(user=agent, used_at__isnull=True).count() == 10
    assert Event.APP_ADDED in mails(agent)
    client.post("/agent/signout/")
    url = code_step(client, agent)
    body = client.get(url).content.decode()
    assert "Use your security key" in body and "Or use your authenticator app" in body
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: the one just used is spent
    assert client.post(url, {"code": code}).status_code == 302
    client.post("/agent/signout/")
    assert signin_with_key(client, agent, key_agent).status_code == 302


def test_k3_an_administrators_disable_removes_every_factor(sudo_client, agent, key_agent, enroll):
    enroll(agent)
    assert SecondFactor.objects.filter(user=agent).count() == 2
    submitted = sudo_client.post(f"/agent/admin/agents/{agent.pk}/disable-2fa/")
    confirmed(sudo_client, submitted)
    assert not SecondFactor.objects.filter(user=agent).exists()


def test_k4_keys_are_offered_per_portal(client, contact, agent):
    assert signin(client, contact).status_code == 302
    page = client.get(security_url(contact)).content.decode()
    assert "Add security key" not in page  # contacts: off by default
    assert client.get(security_url(contact) + "keys/add/").status_code == 403
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_allow_keys": True})
    assert "Add security key" in client.get(security_url(contact)).content.decode()
    assert register(client, contact, soft_key()).status_code == 302


@pytest.mark.parametrize(
    ("base_url", "supported"),
    [
        ("https://help.example.com", True),
        ("http://localhost:8000", True),
        ("http://app.localhost:8000", True),
        ("http://127.0.0.1:8000", False),
        ("https://10.0.0.5", False),
        ("http://[::1]:8000", False),
        ("http://help.example.com", False),
    ],
)
def test_k1_keys_are_offered_only_where_browsers_allow_webauthn(settings, base_url, supported):
    settings.BASE_URL = base_url
    assert site_supports_keys() is supported


def test_k1_on_an_ip_address_the_security_page_offers_no_key(client, agent, settings):
    settings.BASE_URL = "http://127.0.0.1:8000"
    assert signin(client, agent).status_code == 302
    assert "Add security key" not in client.get(security_url(agent)).content.decode()


def test_k3_an_admin_with_only_keys_enters_sudo_mode_with_a_key(client, admin):
    key = soft_key()
    assert signin(client, admin).status_code == 302
    register(client, admin, key)
    client.post("/agent/signout/")
    assert signin_with_key(client, admin, key).status_code == 302
    session = client.session
    session.pop("dg.reauth")
    session.save()
    page = client.get("/agent/admin/sudo/?next=/agent/admin/")
    response = client.post(
        "/agent/admin/sudo/?next=/agent/admin/",
        {"password": PASSWORD, "code": "", "credential": key.assert_(options_in(page))},
    )
    assert response.status_code == 302 and response["Location"] == "/agent/admin/"
    assert events(admin, Event.SUDO_ENTERED)[0].method == "password+key"


def test_k4_administrators_switch_keys_per_portal_on_admin_settings(admin_client, admin):
    page = admin_client.get("/agent/admin/agent-portal/login/").content.decode()
    assert "Allow security keys and passkeys for agents" in page
    response = admin_client.post("/agent/admin/agent-portal/login/", {})  # both boxes off
    assert response.status_code == 302  # switching keys off weakens nobody: no confirmation
    policy = SecurityPolicy.objects.get(pk=1)
    assert policy.agents_allow_keys is False
    changed = AuditEvent.objects.get(event=Event.POLICY_CHANGED)
    assert changed.detail["changes"] == {"agents_allow_keys": [True, False]}
    assert "Add security key" not in admin_client.get("/agent/settings/security/").content.decode()
    admin_client.post(
        "/agent/admin/customer-portal/security/",
        {"contacts_allow_2fa": "on", "contacts_allow_keys": "on"},
    )
    assert SecurityPolicy.objects.get(pk=1).contacts_allow_keys is True


def test_k4_keys_added_before_keys_were_switched_off_keep_working(client, agent, key_agent):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_allow_keys": False})
    assert signin_with_key(client, agent, key_agent).status_code == 302
    assert client.get("/agent/settings/security/keys/add/").status_code == 403


def test_k3_the_admins_confirmation_names_every_factor_it_removes(
    sudo_client, agent, key_agent, enroll
):
    enroll(agent)
    page = sudo_client.get(f"/agent/admin/agents/{agent.pk}/disable-2fa/").content.decode()
    assert "authenticator app, 1 security key and 10 unused recovery codes are removed" in page


def test_k1_k3_forced_enrollment_offers_a_key_and_a_key_satisfies_it(client, agent):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    first = signin(client, agent)
    assert client.get(first["Location"])["Location"] == "/agent/settings/security/enable/"
    page = client.get("/agent/settings/security/enable/").content.decode()
    assert "Add a security key instead" in page
    adding = client.get("/agent/settings/security/keys/add/")
    assert adding.status_code == 200
    assert b"requires two-factor authentication" in adding.content
    assert b'<nav class="nav"' not in adding.content  # nothing to wander off to
    response = register(client, agent, soft_key())
    assert response["Location"] == "/agent/settings/security/recovery-codes/"
    assert client.get("/agent/").status_code == 200


def test_k5_the_mails_name_the_key(client, agent, key_agent, deliver):
    assert signin_with_key(client, agent, key_agent).status_code == 302
    register(client, agent, soft_key(), name="Backup")
    bodies = {m.subject.split("] ", 1)[-1]: m.body for m in deliver()}
    assert "“Blue YubiKey”" in bodies["Two-factor authentication is on"]
    assert "“Backup”" in bodies["A security key was added"]


def test_k3_the_removal_itself_refuses_the_last_factor_under_enforcement(agent):
    """Two tabs each showed two factors and each removes one: the page's count is only
    a hint; the removal decides under the lock on the account's factors, so the second
    removal finds the last factor and is refused."""
    first, second = (
        SecurityKey.objects.create(user=agent, name=n, credential_id=n, public_key=b"k")
        for n in "ab"
    )
    request = RequestFactory().post("/")
    request.session, request.user = SessionStore(), agent
    removed = [
        key_flows.factor_remove(request, user=agent, factor=f, enforced=True)
        for f in (first, second)
    ]
    assert removed == [key_flows.Removal.REMOVED, key_flows.Removal.REFUSED]
    assert list(SecurityKey.objects.filter(user=agent).values_list("name", flat=True)) == ["b"]


def test_c7_k2_after_a_recovery_code_a_key_only_account_is_told_to_replace_a_lost_key(
    client, agent, key_agent
):
    code = services.recovery_codes_replace(user=agent)[0]
    url = code_step(client, agent)
    response = client.post(url, {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == "/agent/settings/security/"
    assert "If you lost a security key, remove it below" in response.content.decode()
