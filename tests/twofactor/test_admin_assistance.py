"""Administrator policies and assistance (D1, D2, D3, D4, D5, E3, C7)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from deskguard.accounts.models import Kind
from deskguard.audit.models import AuditEvent, Event
from deskguard.outbox.models import MailKind, MailStatus, OutboundMail
from deskguard.twofactor.models import RecoveryCode, SecurityPolicy, TOTPDevice
from deskguard.twofactor.policy import policy_current
from tests.conftest import PASSWORD, code_step, confirmed, signin


def test_d1_d5_an_admin_enforces_2fa_for_agents_and_the_change_is_recorded(admin_client, admin):
    page = admin_client.get("/agent/admin/agent-portal/login/")
    assert b"Enforce two-factor authentication (2FA) for all agents" in page.content
    response = admin_client.post(
        "/agent/admin/agent-portal/login/", {"agents_enforce_2fa": "on", "agents_allow_keys": "on"}
    )
    assert response.status_code == 302
    assert not policy_current().agents_enforce_2fa  # D1: its impact is shown first
    confirmed(admin_client, response)
    assert policy_current().agents_enforce_2fa
    event = AuditEvent.objects.get(event=Event.POLICY_CHANGED)
    assert event.actor == admin
    assert event.detail == {"changes": {"agents_enforce_2fa": [False, True]}}


def test_d2_the_customer_portal_security_tab_has_both_options(sudo_client):
    page = sudo_client.get("/agent/admin/customer-portal/security/")
    assert b"Allow two-factor authentication for contacts" in page.content
    assert b"Enforce two-factor authentication (2FA) for all contacts" in page.content
    assert b"for all users" not in page.content
    submitted = sudo_client.post("/agent/admin/customer-portal/security/", {})
    assert policy_current().contacts_allow_2fa  # I10: not before the confirmation
    confirmed(sudo_client, submitted)
    assert not policy_current().contacts_allow_2fa


@pytest.mark.parametrize(
    "path",
    [
        "/agent/admin/agent-portal/login/",
        "/agent/admin/customer-portal/security/",
        "/agent/admin/agents/1/disable-2fa/",
        "/agent/admin/contacts/1/resend-codes/",
        "/agent/admin/contacts/1/disable-2fa/",
        "/agent/admin/accounts/1/deactivate/",
        "/agent/admin/",
        "/agent/admin/sudo/",
        "/agent/admin/policy/confirm/",
        "/agent/admin/accounts/new/confirm/",
    ],
)
def test_d5_only_administrators_see_or_change_settings(client, agent, contact, path):
    assert Client().get(path)["Location"].startswith("/agent/signin/")
    signin(client, agent)
    assert client.get(path).status_code == 403
    assert client.post(path, {"agents_enforce_2fa": "on"}).status_code == 403
    assert not policy_current().agents_enforce_2fa
    other = Client()
    signin(other, contact)
    assert other.get(path).status_code == 403


def test_d3_an_admin_disables_one_agents_2fa_signs_them_out_and_mails_them(
    client, sudo_client, admin, agent, enroll, mailoutbox, deliver
):
    enrollment = enroll(agent)
    url = code_step(client, agent)
    client.post(url, {"code": enrollment.code()})
    assert client.get("/agent/").status_code == 200
    admin_client = sudo_client
    listing = admin_client.get("/agent/admin/agents/")
    assert f"/agent/admin/agents/{agent.pk}/disable-2fa/".encode() in listing.content
    confirm = admin_client.get(f"/agent/admin/agents/{agent.pk}/disable-2fa/")
    assert confirm.status_code == 200
    assert TOTPDevice.objects.filter(user=agent).exists()  # GET changes nothing
    done = admin_client.post(f"/agent/admin/agents/{agent.pk}/disable-2fa/")
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not RecoveryCode.objects.filter(user=agent).exists()
    assert client.get("/agent/")["Location"].startswith("/agent/signin/")  # signed out
    assert mailoutbox == []  # H1: the worker sends it, not the admin's request
    [notice] = [m for m in deliver() if m.to == [agent.email]]
    assert "off" in notice.subject
    assert "An administrator (Ada Admin) turned off two-factor authentication" in notice.body
    assert notice.alternatives and "text/html" in notice.alternatives[0][1]
    event = AuditEvent.objects.get(event=Event.ADMIN_DISABLED)
    assert (event.actor, event.subject) == (admin, agent)


def test_d3_under_enforcement_the_agent_must_enroll_again_at_next_sign_in(
    sudo_client, agent, enroll
):
    enroll(agent)
    assert sudo_client.post(f"/agent/admin/agents/{agent.pk}/disable-2fa/").status_code == 302
    # (Enforcement covers administrators too, so it is switched on after the action.)
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    client = Client()
    response = signin(client, agent)
    assert client.get(response["Location"])["Location"] == "/agent/settings/security/enable/"


def test_d4_an_account_cannot_be_targeted_from_the_other_list(admin_client, agent, contact, enroll):
    enroll(agent)
    enroll(contact)
    assert admin_client.post(f"/agent/admin/contacts/{agent.pk}/disable-2fa/").status_code == 404
    assert admin_client.post(f"/agent/admin/contacts/{agent.pk}/resend-codes/").status_code == 404
    assert admin_client.post(f"/agent/admin/agents/{contact.pk}/disable-2fa/").status_code == 404
    assert TOTPDevice.objects.count() == 2


def test_d4_resending_codes_mails_a_fresh_set_kills_the_old_and_leads_to_reactivation(
    admin_client, admin, contact, enroll, mailoutbox, deliver
):
    client = Client()
    enrollment = enroll(contact)
    response = admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event=Event.RECOVERY_RESENT, subject=contact).exists()
    # H2: nothing was sent yet, so nothing was replaced yet: the old set still works
    # until the worker delivered the new one.
    assert mailoutbox == []
    assert RecoveryCode.objects.filter(user=contact, used_at=None).count() == 10
    url = code_step(client, contact)
    assert client.post(url, {"code": enrollment.codes[0]})["Location"] == (
        "/portal/profile/security/"
    )
    client.post("/portal/signout/")

    delivered = deliver()
    [notice] = [m for m in delivered if "Your new recovery codes" in m.subject]
    assert notice.to == [contact.email]
    assert "An administrator (Ada Admin) sent you a new set" in notice.body
    codes = re.findall(r"\b[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}\b", notice.body)
    assert len(codes) == 10 and len(set(codes)) == 10
    html = notice.alternatives[0][0]
    assert all(code in html for code in codes)
    # H3: the queue never held the codes.
    queued = json.dumps(list(OutboundMail.objects.values()), default=str)
    assert not any(code in queued or code.replace("-", "") in queued for code in codes)
    assert OutboundMail.objects.get(kind=MailKind.RECOVERY_CODES).status == MailStatus.SENT

    # Once delivered, the old set is dead (used or not) and the mailed codes work.
    url = code_step(client, contact)
    for old in (enrollment.codes[1], enrollment.codes[0]):
        assert client.post(url, {"code": old}).status_code == 400
    signed_in = client.post(url, {"code": codes[0]})
    assert signed_in["Location"] == "/portal/profile/security/"  # C7
    page = client.get(signed_in["Location"])
    assert b"9 remain" in page.content
    assert b"/portal/profile/security/replace/" in page.content


def test_d4_under_contact_enforcement_an_admin_cannot_disable_one_contacts_2fa(
    admin_client, contact, enroll
):
    enroll(contact)
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_enforce_2fa": True})
    listing = admin_client.get("/agent/admin/contacts/")
    assert b"disable-2fa" not in listing.content
    assert b"resend-codes" in listing.content
    forged = admin_client.post(f"/agent/admin/contacts/{contact.pk}/disable-2fa/")
    assert forged.status_code == 403
    assert b"Resend recovery codes instead" in forged.content
    assert TOTPDevice.objects.filter(user=contact).exists()


def test_d4_without_contact_enforcement_an_admin_may_disable_a_contacts_2fa(
    sudo_client, contact, enroll
):
    enroll(contact)
    assert sudo_client.post(f"/agent/admin/contacts/{contact.pk}/disable-2fa/").status_code == 302
    assert not TOTPDevice.objects.filter(user=contact).exists()


def test_c5_a_resend_lifts_a_locked_second_factor(admin_client, contact, enroll):
    client = Client()
    from deskguard.limits.models import Throttle
    from deskguard.twofactor import services

    enroll(contact)
    Throttle.objects.create(key=services.throttle_key(contact).key, failures=100)
    url = code_step(client, contact)
    assert client.post(url, {"code": "123456"}).status_code == 403
    admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    assert Throttle.objects.get(key=services.throttle_key(contact).key).failures == 0


def test_d1_the_overview_counts_adoption_and_links_to_agents_without_2fa(
    admin_client, admin, make_user, enroll
):
    enroll(make_user(Kind.AGENT))
    make_user(Kind.AGENT)
    enroll(make_user(Kind.CONTACT))
    page = admin_client.get("/agent/admin/").content.decode()
    assert "1 / 3" in page  # one of three agents (the admin has none)
    assert "1 / 1" in page
    assert "/agent/admin/agents/?twofa=off" in page
    # L5: each share is a meter named by its sentence (not a red/green picture).
    assert '<meter min="0" max="3" value="1" aria-labelledby="adoption-agent">' in page
    assert '<meter min="0" max="1" value="1" aria-labelledby="adoption-contact">' in page
    listing = admin_client.get("/agent/admin/agents/?twofa=off").content.decode()
    assert listing.count('class="badge off"') == 2
    assert PASSWORD not in page


def test_d3_an_admin_disabling_their_own_2fa_stays_signed_in_here(client, admin, enroll):
    enrollment = enroll(admin)
    url = code_step(client, admin)
    client.post(url, {"code": enrollment.code()})
    assert client.post(f"/agent/admin/agents/{admin.pk}/disable-2fa/").status_code == 302
    assert not TOTPDevice.objects.filter(user=admin).exists()
    assert client.get("/agent/admin/").status_code == 200


def test_d1_the_login_tab_warns_an_admin_without_2fa_that_enforcement_includes_them(
    admin_client, admin, enroll
):
    page = admin_client.get("/agent/admin/agent-portal/login/")
    assert b"Enforcing it for all agents includes you" in page.content
    enroll(admin)
    assert b"includes you" not in admin_client.get("/agent/admin/agent-portal/login/").content
