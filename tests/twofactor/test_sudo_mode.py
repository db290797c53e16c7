"""Sudo mode for administrators (I10): an action that weakens an account or the policy
needs the administrator's own second factor, proven at most 10 minutes ago (at sign-in
or on the re-authentication page), and a confirmation page that says what will happen.

The "stale" administrator below signed in with password and code 11 minutes ago: still
signed in, but a stolen cookie or an unlocked screen must not be enough to weaken
anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.forms.models import model_to_dict
from django.test import Client

from deskguard.accounts.models import User
from deskguard.audit.models import AuditEvent, Event
from deskguard.sso.models import SSOProvider
from deskguard.twofactor.models import SecurityPolicy, TOTPDevice
from deskguard.twofactor.policy import policy_current
from tests.conftest import PASSWORD, Enrollment, code_step, confirmed

SUDO = "/agent/admin/sudo/"
WINDOW = 600  # seconds: GitHub's sudo mode idea, a short window


@dataclass
class Scene:
    admin: User
    agent: User
    contact: User
    provider: SSOProvider
    client: Client
    enrollment: Enrollment
    traveller: Any

    def code(self) -> str:
        """A fresh code of the administrator's app: the clock moves one step first, so
        the code was never used (C3)."""
        self.traveller.shift(30)
        return self.enrollment.code()


@pytest.fixture
def scene(client, admin, agent, contact, enroll) -> Iterator[Scene]:
    """An enrolled administrator who signed in with password and code 11 minutes ago;
    an enrolled agent and contact; one SSO provider; enforcement on for agents."""
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    enroll(agent)
    enroll(contact)
    provider = SSOProvider(
        name="Acme ID", slug="acme", issuer="https://id.acme.example", client_id="deskguard"
    )
    provider.client_secret_set("old-secret")
    provider.save()
    enrollment = enroll(admin)
    with time_machine.travel(time.time(), tick=False) as traveller:
        url = code_step(client, admin)
        assert client.post(url, {"code": enrollment.code()}).status_code == 302
        traveller.shift(WINDOW + 60)
        yield Scene(admin, agent, contact, provider, client, enrollment, traveller)


def state() -> tuple:
    policy = model_to_dict(policy_current())
    return (
        sorted(TOTPDevice.objects.values_list("user__email", flat=True)),
        list(User.objects.order_by("pk").values_list("email", "is_active", "is_admin")),
        {name: value for name, value in policy.items() if name != "id"},
        list(SSOProvider.objects.order_by("pk").values()),
    )


def sso_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Acme ID",
        "slug": "acme",
        "kind": "custom",
        "issuer": "https://id.acme.example",
        "client_id": "deskguard",
        "client_secret": "",
        "scopes": "openid email profile",
        "portals": "both",
        "enabled": "on",
    }
    return {**data, **overrides}


WEAKENING: list[tuple[str, Callable[[Scene], str], Callable[[Scene], dict[str, str]]]] = [
    (
        "disable an agent's 2FA",
        lambda s: f"/agent/admin/agents/{s.agent.pk}/disable-2fa/",
        lambda s: {},
    ),
    (
        "disable a contact's 2FA",
        lambda s: f"/agent/admin/contacts/{s.contact.pk}/disable-2fa/",
        lambda s: {},
    ),
    (
        "disable their own 2FA",
        lambda s: f"/agent/admin/agents/{s.admin.pk}/disable-2fa/",
        lambda s: {},
    ),
    (
        "deactivate an account",
        lambda s: f"/agent/admin/accounts/{s.agent.pk}/deactivate/",
        lambda s: {},
    ),
    ("turn agent enforcement off", lambda s: "/agent/admin/agent-portal/login/", lambda s: {}),
    (
        "turn 2FA for contacts off",
        lambda s: "/agent/admin/customer-portal/security/",
        lambda s: {},
    ),
    (
        "create contacts at the first SSO sign-in",
        lambda s: "/agent/admin/customer-portal/security/",
        lambda s: {"contacts_allow_2fa": "on", "sso_create_contacts": "on"},
    ),
    ("add an SSO provider", lambda s: "/agent/admin/sso/new/", lambda s: sso_form(slug="new")),
    (
        "change an SSO provider",
        lambda s: f"/agent/admin/sso/{s.provider.pk}/",
        lambda s: sso_form(issuer="https://evil.example"),
    ),
    (
        "remove an SSO provider",
        lambda s: f"/agent/admin/sso/{s.provider.pk}/delete/",
        lambda s: {},
    ),
    (
        "invite an administrator",
        lambda s: "/agent/admin/accounts/new/",
        lambda s: {"kind": "agent", "email": "boss@example.com", "is_admin": "on"},
    ),
]


@pytest.mark.parametrize(("url", "data"), [pytest.param(u, d, id=name) for name, u, d in WEAKENING])
def test_i10_an_admin_whose_second_factor_is_older_than_ten_minutes_weakens_nothing(
    scene, url, data
):
    before = state()
    response = scene.client.post(url(scene), data(scene), follow=True)
    assert state() == before
    last = response.redirect_chain[-1][0]
    assert last.startswith(f"{SUDO}?next=/agent/admin/"), response.redirect_chain
    assert "Confirm it is you" in response.content.decode()
    assert not AuditEvent.objects.filter(
        event__in=[Event.ADMIN_DISABLED, Event.ACCOUNT_DEACTIVATED, Event.POLICY_CHANGED]
    ).exists()


def test_i10_password_and_a_current_code_enter_sudo_mode_and_lead_back_to_the_confirmation(
    scene, deliver
):
    client, agent = scene.client, scene.agent
    target = f"/agent/admin/agents/{agent.pk}/disable-2fa/"
    sent = client.get(target)
    assert sent["Location"] == f"{SUDO}?next={target}"
    page = client.get(sent["Location"]).content.decode()
    assert "Confirm it is you" in page
    assert 'name="password"' in page and 'name="code"' in page
    assert "10 minutes" in page

    wrong = client.post(sent["Location"], {"password": "not it", "code": scene.code()})
    assert wrong.status_code == 400
    assert "The password or the code is not correct." in wrong.content.decode()
    entered = client.post(sent["Location"], {"password": PASSWORD, "code": scene.code()})
    assert entered.status_code == 302
    assert entered["Location"] == target
    event = AuditEvent.objects.get(event=Event.SUDO_ENTERED)
    assert (event.actor, event.subject, event.method) == (scene.admin, scene.admin, "password+totp")

    confirm = client.get(target)
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "Alan Agent" in text and "agent@example.com" in text
    assert "authenticator app and 10 unused recovery codes are removed" in text
    assert "signed out everywhere" in text
    assert "must set up two-factor authentication again at their next sign-in" in text
    assert "agent@example.com is told by email" in text
    assert TOTPDevice.objects.filter(user=agent).exists()  # showing it changed nothing

    assert client.post(target)["Location"] == "/agent/admin/agents/"
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert [m.to for m in deliver() if "is off" in m.subject] == [[agent.email]]


def test_i10_sudo_mode_lasts_ten_minutes_from_the_sign_in(client, admin, agent, enroll):
    enroll(agent)
    enrollment = enroll(admin)
    target = f"/agent/admin/agents/{agent.pk}/disable-2fa/"
    with time_machine.travel(time.time(), tick=False) as traveller:
        url = code_step(client, admin)
        assert client.post(url, {"code": enrollment.code()}).status_code == 302
        traveller.shift(WINDOW - 5)
        assert client.get(target).status_code == 200
        traveller.shift(10)
        assert client.get(target)["Location"] == f"{SUDO}?next={target}"
        assert client.post(target)["Location"] == f"{SUDO}?next={target}"
    assert TOTPDevice.objects.filter(user=agent).exists()


def test_i10_a_recovery_code_also_enters_sudo_mode_once(scene):
    client = scene.client
    code = scene.enrollment.codes[0]
    assert client.post(SUDO, {"password": PASSWORD, "code": code}).status_code == 302
    event = AuditEvent.objects.get(event=Event.SUDO_ENTERED)
    assert event.method == "password+recovery"
    client.post("/agent/signout/")
    again = Client()
    scene.traveller.shift(30)
    url = code_step(again, scene.admin)
    assert again.post(url, {"code": scene.enrollment.code()}).status_code == 302
    scene.traveller.shift(WINDOW + 60)
    assert again.post(SUDO, {"password": PASSWORD, "code": code}).status_code == 400


def test_i10_c5_wrong_codes_on_the_sudo_page_share_the_sign_in_throttle(scene):
    client = scene.client
    for _ in range(5):
        assert client.post(SUDO, {"password": PASSWORD, "code": "000000"}).status_code == 400
    # (The clock stands still: the 30-second delay after the fifth failure is on.)
    blocked = client.post(SUDO, {"password": PASSWORD, "code": scene.enrollment.code()})
    assert blocked.status_code == 429
    assert "Try again after" in blocked.content.decode()
    other = Client()
    url = code_step(other, scene.admin)
    assert other.post(url, {"code": scene.enrollment.code()}).status_code == 429
    assert not AuditEvent.objects.filter(event=Event.SUDO_ENTERED).exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"password": PASSWORD}, {"code": "123456"}, {"password": "x" * 5000, "code": "1"}],
)
def test_i10_f4_a_malformed_re_authentication_is_a_400_that_counts_nothing(scene, payload):
    response = scene.client.post(SUDO, payload)
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not AuditEvent.objects.filter(
        event__in=[Event.SECOND_FACTOR_FAILED, Event.SUDO_ENTERED]
    ).exists()


def test_i10_the_next_address_after_sudo_stays_on_this_site(scene):
    response = scene.client.post(
        f"{SUDO}?next=https://evil.example/", {"password": PASSWORD, "code": scene.code()}
    )
    assert response["Location"] == "/agent/admin/"


def test_i10_an_admin_without_2fa_must_set_it_up_before_weakening_anything(
    admin_client, admin, agent, enroll
):
    """The decision (README): no second factor, no sudo mode. The page says why and
    leads to Security; a password alone is refused."""
    enroll(agent)
    target = f"/agent/admin/agents/{agent.pk}/disable-2fa/"
    sent = admin_client.get(target)
    assert sent["Location"] == f"{SUDO}?next={target}"
    page = admin_client.get(sent["Location"]).content.decode()
    assert "Set up two-factor authentication for your own account first" in page
    assert 'href="/agent/settings/security/enable/"' in page
    assert 'name="password"' not in page
    refused = admin_client.post(sent["Location"], {"password": PASSWORD})
    assert refused.status_code == 403
    assert admin_client.post(target)["Location"] == f"{SUDO}?next={target}"
    assert TOTPDevice.objects.filter(user=agent).exists()
    assert not AuditEvent.objects.filter(event=Event.SUDO_ENTERED).exists()

    # The way out: enable 2FA, then prove both factors.
    enrollment = enroll(admin)
    with time_machine.travel(time.time() + 30, tick=False):
        entered = admin_client.post(
            sent["Location"], {"password": PASSWORD, "code": enrollment.code()}
        )
    assert entered["Location"] == target


def test_i10_signing_out_ends_sudo_mode_for_a_copied_cookie_too(sudo_client, agent, enroll):
    enroll(agent)
    target = f"/agent/admin/agents/{agent.pk}/disable-2fa/"
    assert sudo_client.get(target).status_code == 200
    copied = sudo_client.cookies[settings.SESSION_COOKIE_NAME].value
    sudo_client.post("/agent/signout/")
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = copied
    assert thief.post(target)["Location"].startswith("/agent/signin/")
    assert TOTPDevice.objects.filter(user=agent).exists()


def test_i10_turning_off_ones_own_2fa_ends_sudo_mode(sudo_client, admin, agent, enroll):
    enroll(agent)
    own = f"/agent/admin/agents/{admin.pk}/disable-2fa/"
    page = sudo_client.get(own).content.decode()
    assert "This is your own account" in page
    assert sudo_client.post(own).status_code == 302
    other = f"/agent/admin/agents/{agent.pk}/disable-2fa/"
    assert sudo_client.get(other)["Location"] == f"{SUDO}?next={other}"


def test_i10_deactivation_says_what_happens_and_that_no_mail_is_sent(sudo_client, agent, deliver):
    target = f"/agent/admin/accounts/{agent.pk}/deactivate/"
    listing = sudo_client.get("/agent/admin/agents/").content.decode()
    assert f'href="{target}"' in listing  # a link to the confirmation, not a one-click form
    page = sudo_client.get(target).content.decode()
    assert "Alan Agent" in page and "agent@example.com" in page
    assert "can no longer sign in" in page
    assert "No email is sent" in page
    agent.refresh_from_db()
    assert agent.is_active
    assert sudo_client.post(target)["Location"] == "/agent/admin/agents/"
    agent.refresh_from_db()
    assert not agent.is_active
    assert AuditEvent.objects.filter(event=Event.ACCOUNT_DEACTIVATED, subject=agent).exists()
    assert deliver() == []


def test_i10_turning_off_agent_enforcement_says_who_keeps_what(sudo_client, deliver):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    # The browser sends the boxes left ticked: security keys stay allowed.
    submitted = sudo_client.post("/agent/admin/agent-portal/login/", {"agents_allow_keys": "on"})
    assert submitted["Location"] == "/agent/admin/policy/confirm/"
    page = sudo_client.get(submitted["Location"]).content.decode()
    assert "“Enforce two-factor authentication (2FA) for all agents” is switched off" in page
    assert "agents who use it keep it" in page
    assert "No email is sent" in page
    assert policy_current().agents_enforce_2fa
    done = sudo_client.post(submitted["Location"])
    assert done["Location"] == "/agent/admin/agent-portal/login/"
    assert not policy_current().agents_enforce_2fa
    event = AuditEvent.objects.get(event=Event.POLICY_CHANGED)
    assert event.detail == {"changes": {"agents_enforce_2fa": [True, False]}}
    assert deliver() == []


def test_i10_creating_contacts_at_the_first_sso_sign_in_names_the_providers(sudo_client):
    SSOProvider.objects.create(
        name="Acme ID", slug="acme", issuer="https://id.acme.example", client_id="x"
    )
    submitted = sudo_client.post(
        "/agent/admin/customer-portal/security/",
        {"contacts_allow_2fa": "on", "sso_create_contacts": "on"},
    )
    page = sudo_client.get(submitted["Location"]).content.decode()
    assert "gets a contact account at their first sign-in" in page
    assert "Providers that can do this now: Acme ID." in page


def test_i10_switching_a_setting_on_needs_no_sudo_mode(scene):
    """Enforcing weakens nothing: its confirmation page (the impact, D2) opens outside
    sudo mode, and saving it applies the change."""
    response = scene.client.post(
        "/agent/admin/customer-portal/security/",
        {"contacts_allow_2fa": "on", "contacts_enforce_2fa": "on"},
    )
    assert response["Location"] == "/agent/admin/policy/confirm/"
    assert not policy_current().contacts_enforce_2fa
    done = confirmed(scene.client, response)
    assert done["Location"] == "/agent/admin/customer-portal/security/"
    assert policy_current().contacts_enforce_2fa


def test_i10_a_confirmation_posted_without_being_shown_changes_nothing(sudo_client):
    sudo_client.post("/agent/admin/customer-portal/security/", {})
    response = sudo_client.post("/agent/admin/policy/confirm/", follow=True)
    assert policy_current().contacts_allow_2fa
    assert "The settings changed meanwhile" in response.content.decode()
    assert "“Allow two-factor authentication for contacts” is switched off" in (
        response.content.decode()
    )


def test_i10_a_policy_confirmation_applies_only_the_weakening_it_showed(sudo_client):
    """Another administrator's save between the page and the button cannot make the
    button weaken something the page did not show."""
    SecurityPolicy.objects.update_or_create(
        pk=1, defaults={"contacts_enforce_2fa": True, "sso_create_contacts": True}
    )
    submitted = sudo_client.post(
        "/agent/admin/customer-portal/security/",
        {"contacts_allow_2fa": "on", "sso_create_contacts": "on"},
    )
    page = sudo_client.get(submitted["Location"]).content.decode()
    assert "“Enforce two-factor authentication (2FA) for all contacts” is switched off" in page
    assert "Create a contact" not in page  # unchanged, so not shown
    # Meanwhile another administrator stops creating contacts at SSO sign-in.
    SecurityPolicy.objects.filter(pk=1).update(sso_create_contacts=False)
    refused = sudo_client.post(submitted["Location"], follow=True)
    assert "The settings changed meanwhile" in refused.content.decode()
    assert "“Create a contact at the first single sign-on” is switched on" in (
        refused.content.decode()
    )
    policy = policy_current()
    assert policy.contacts_enforce_2fa and not policy.sso_create_contacts
    sudo_client.post(submitted["Location"])  # now both were shown
    policy = SecurityPolicy.objects.get(pk=1)
    assert not policy.contacts_enforce_2fa and policy.sso_create_contacts


def test_i10_removing_an_sso_provider_says_who_must_choose_a_password(sudo_client):
    provider = SSOProvider.objects.create(
        name="Acme ID", slug="acme", issuer="https://id.acme.example", client_id="x"
    )
    page = sudo_client.get(f"/agent/admin/sso/{provider.pk}/delete/").content.decode()
    assert "Those who only ever signed in with Acme ID have no password" in page
    assert "No email is sent" in page
    assert SSOProvider.objects.exists()
