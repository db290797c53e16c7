"""Admin Settings policy pages as an administrator reads them (D1, D2, D5, L3): the
wording, refused combinations, the impact of enforcing before it applies, and the
single sign-on option under its own heading."""

from __future__ import annotations

import re

import pytest
from django.forms.models import model_to_dict

from deskguard.accounts.models import Kind
from deskguard.audit.models import AuditEvent, Event
from deskguard.portals.agent.consequences import enforcement_impact
from deskguard.twofactor import admin_flows
from deskguard.twofactor.admin_flows import ActionRefused, adoption_recount, policy_update
from deskguard.twofactor.models import SecurityPolicy
from deskguard.twofactor.policy import policy_current

AGENT_LOGIN = "/agent/admin/agent-portal/login/"
CUSTOMER_SECURITY = "/agent/admin/customer-portal/security/"
CONFIRM = "/agent/admin/policy/confirm/"


def headings_and_fields(page: str) -> list[str]:
    """The policy form's headings and checkbox names, in page order."""
    form = page.split('<form method="post" novalidate>', 1)[1].split("</form>", 1)[0]
    found = re.findall(r'<h3[^>]*>([^<]+)</h3>|<input type="checkbox" name="(\w+)"', form)
    return [heading or name for heading, name in found]


def test_d2_the_customer_policy_names_contacts_not_users(admin_client):
    page = admin_client.get(CUSTOMER_SECURITY).content.decode()
    assert "Enforce two-factor authentication (2FA) for all contacts" in page
    assert "all users" not in page


# The agent policy form as a browser sends it: "Allow security keys" (K4) is on by default.
ENFORCE_AGENTS = {"agents_enforce_2fa": "on", "agents_allow_keys": "on"}


def test_d2_the_sso_option_sits_under_its_own_heading(admin_client):
    page = admin_client.get(CUSTOMER_SECURITY).content.decode()
    assert headings_and_fields(page) == [
        "Two-factor authentication (2FA)",
        "contacts_allow_2fa",
        "contacts_enforce_2fa",
        "contacts_allow_keys",
        "Single sign-on (SSO)",
        "sso_create_contacts",
    ]


def test_d2_allow_off_and_enforce_on_is_refused_from_any_state(admin_client):
    """Refused whether enforcement was on or off before: the message says why and
    what to do, and the stored policy and the audit log do not move."""
    for enforced in (False, True):
        SecurityPolicy.objects.update_or_create(
            pk=1, defaults={"contacts_allow_2fa": True, "contacts_enforce_2fa": enforced}
        )
        before = model_to_dict(policy_current())
        response = admin_client.post(CUSTOMER_SECURITY, {"contacts_enforce_2fa": "on"})
        assert response.status_code == 400
        text = response.content.decode()
        assert "Turn on “Allow two-factor authentication for contacts” as well" in text
        assert model_to_dict(policy_current()) == before
    assert not AuditEvent.objects.filter(event=Event.POLICY_CHANGED).exists()


def test_d2_the_flow_refuses_the_combination_too(rf, admin):
    """A caller that skips the form (a script, a future page) cannot store it either."""
    request = rf.post("/")
    request.user = admin
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_allow_2fa": False})
    with pytest.raises(ActionRefused, match="cannot be enforced for contacts"):
        policy_update(
            request,
            admin=admin,
            changes={"contacts_enforce_2fa": True},
            confirmed=["contacts_enforce_2fa"],
        )
    policy = SecurityPolicy.objects.get(pk=1)
    assert not policy.contacts_enforce_2fa and not policy.contacts_allow_2fa


def test_d1_enforcing_shows_how_many_agents_must_set_up_2fa_before_it_applies(
    admin_client, admin, agent, make_user, enroll
):
    make_user(Kind.AGENT)
    enroll(make_user(Kind.AGENT))  # has 2FA: not counted
    make_user(Kind.AGENT, is_active=False)  # deactivated: not counted
    make_user(Kind.CONTACT)  # another portal: not counted
    submitted = admin_client.post(AGENT_LOGIN, ENFORCE_AGENTS)
    assert submitted["Location"] == CONFIRM
    assert not policy_current().agents_enforce_2fa
    page = admin_client.get(CONFIRM)
    assert page.status_code == 200  # no sudo mode: enforcing weakens nothing
    text = page.content.decode()
    # admin, agent and the one made above
    assert "3 agents will be asked to set up 2FA at their next request" in text
    assert "You do not use two-factor authentication yourself" in text
    assert not AuditEvent.objects.filter(event=Event.POLICY_CHANGED).exists()
    # The button of a change that only strengthens accounts is not styled as danger.
    assert re.search(r'<button class="button primary" type="submit">Save the change', text)
    done = admin_client.post(CONFIRM)
    assert done["Location"] == AGENT_LOGIN
    assert policy_current().agents_enforce_2fa
    event = AuditEvent.objects.get(event=Event.POLICY_CHANGED)
    assert event.detail == {"changes": {"agents_enforce_2fa": [False, True]}}


def test_d2_enforcing_for_contacts_counts_contacts_in_one_query(
    admin_client, contact, make_user, enroll, django_assert_num_queries
):
    enroll(make_user(Kind.CONTACT))
    make_user(Kind.CONTACT)
    with django_assert_num_queries(1):
        line = enforcement_impact(Kind.CONTACT)
    [_, contacts] = adoption_recount()
    assert contacts.without_2fa == 2
    assert line.startswith("2 contacts will be asked to set up 2FA at their next request")
    submitted = admin_client.post(
        CUSTOMER_SECURITY, {"contacts_allow_2fa": "on", "contacts_enforce_2fa": "on"}
    )
    text = admin_client.get(submitted["Location"]).content.decode()
    assert "2 contacts will be asked to set up 2FA at their next request" in text


def test_d1_when_everyone_has_2fa_the_preview_says_nobody_is_asked(admin_client, admin, enroll):
    enroll(admin)
    submitted = admin_client.post(AGENT_LOGIN, ENFORCE_AGENTS)
    text = admin_client.get(submitted["Location"]).content.decode()
    assert "Every agent already uses 2FA: nobody is asked to set it up now." in text
    assert "You do not use two-factor authentication yourself" not in text


def test_d1_an_enforcement_posted_without_its_preview_changes_nothing(admin_client):
    admin_client.post(AGENT_LOGIN, ENFORCE_AGENTS)
    response = admin_client.post(CONFIRM, follow=True)
    assert not policy_current().agents_enforce_2fa
    assert "The settings changed meanwhile" in response.content.decode()
    assert "will be asked to set up 2FA" in response.content.decode()


def test_i10_weakening_still_needs_sudo_mode_on_the_same_confirmation_page(admin_client):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_enforce_2fa": True})
    admin_client.post(CUSTOMER_SECURITY, {"contacts_allow_2fa": "on"})
    assert admin_client.get(CONFIRM)["Location"].startswith("/agent/admin/sudo/")
    assert admin_client.post(CONFIRM)["Location"].startswith("/agent/admin/sudo/")
    assert policy_current().contacts_enforce_2fa
    assert admin_flows.policy_to_confirm({"contacts_enforce_2fa": [True, False]}) == [
        "contacts_enforce_2fa"
    ]
