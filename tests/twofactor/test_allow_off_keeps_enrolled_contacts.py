"""Switching "Allow 2FA for contacts" off (I11, D2): it gates new enrolments only.

A contact who already has 2FA keeps it: their sign-in still asks for the code, they
still reach their Security page to regenerate codes or turn 2FA off themselves. Turning
a setting off never silently weakens an account.
"""

from __future__ import annotations

import time

import time_machine
from django.test import Client

from deskguard.audit.models import AuditEvent, Event
from deskguard.twofactor.models import RecoveryCode, SecurityPolicy, TOTPDevice
from tests.conftest import PASSWORD, code_step, signin

POLICY = "/agent/admin/customer-portal/security/"


def allow_off_through_the_admin_page(sudo_client: Client) -> str:
    """The administrator saves the tab with the box unticked and confirms; returns the
    confirmation page's text."""
    response = sudo_client.post(POLICY, {})
    assert response.status_code == 302
    confirm = sudo_client.get(response["Location"])
    assert confirm.status_code == 200
    assert sudo_client.post(response["Location"])["Location"] == POLICY
    assert not SecurityPolicy.objects.get(pk=1).contacts_allow_2fa
    return confirm.content.decode()


def test_i11_an_enrolled_contact_is_still_asked_for_the_code_after_allow_is_switched_off(
    sudo_client, client, contact, enroll
):
    enrollment = enroll(contact)
    allow_off_through_the_admin_page(sudo_client)
    url = code_step(client, contact)  # asserts the answer is the code step
    assert client.get("/portal/").status_code == 302  # not signed in yet
    assert client.post(url, {"code": enrollment.code()})["Location"] == "/portal/"
    assert TOTPDevice.objects.filter(user=contact).exists()


def test_i11_the_confirmation_says_enrolled_contacts_keep_2fa_and_nobody_is_mailed(
    sudo_client, contact, outsider, enroll, deliver
):
    enroll(contact)
    page = allow_off_through_the_admin_page(sudo_client)
    assert "Contacts without two-factor authentication can no longer set it up" in page
    assert "1 contact who uses it keeps it" in page
    assert "No email is sent" in page
    event = AuditEvent.objects.get(event=Event.POLICY_CHANGED)
    assert event.detail == {"changes": {"contacts_allow_2fa": [True, False]}}
    assert deliver() == []


def test_i11_a_contact_without_2fa_cannot_enrol_and_sees_no_security_tab(client, contact, db):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_allow_2fa": False})
    assert signin(client, contact)["Location"] == "/portal/"
    assert b"Security" not in client.get("/portal/profile/").content
    assert client.get("/portal/profile/security/").status_code == 404
    assert client.get("/portal/profile/security/enable/").status_code == 404
    assert client.post("/portal/profile/security/enable/", {"code": "123456"}).status_code == 404
    assert not TOTPDevice.objects.filter(user=contact).exists()


def test_i11_an_enrolled_contact_keeps_the_security_page_regenerates_codes_and_turns_2fa_off(
    client, contact, enroll, deliver
):
    enrollment = enroll(contact)
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_allow_2fa": False})
    with time_machine.travel(time.time(), tick=False) as traveller:
        url = code_step(client, contact)
        assert client.post(url, {"code": enrollment.code()}).status_code == 302
        assert b"Security" in client.get("/portal/profile/").content
        page = client.get("/portal/profile/security/").content.decode()
        assert "/portal/profile/security/regenerate/" in page
        assert "/portal/profile/security/disable/" in page
        assert "cannot turn it on again" in page  # says what turning it off means now
        traveller.shift(30)
        regenerated = client.post(
            "/portal/profile/security/regenerate/",
            {"password": PASSWORD, "code": enrollment.code()},
        )
        assert regenerated["Location"] == "/portal/profile/security/recovery-codes/"
        traveller.shift(30)
        off = client.post(
            "/portal/profile/security/disable/", {"password": PASSWORD, "code": enrollment.code()}
        )
    assert off.status_code == 302
    landing = client.get(off["Location"])
    assert landing.status_code == 200  # not the Security page that no longer exists for them
    assert b"Two-factor authentication is off." in landing.content
    assert not TOTPDevice.objects.filter(user=contact).exists()
    assert not RecoveryCode.objects.filter(user=contact).exists()
    assert [m.subject for m in deliver() if m.to == [contact.email]][-1].endswith(
        "Two-factor authentication is off"
    )
    # ...and having turned it off, they cannot turn it on again while allow is off.
    assert client.get("/portal/profile/security/enable/").status_code == 404
    again = Client()
    assert signin(again, contact)["Location"] == "/portal/"


def test_i11_the_policy_page_says_what_switching_allow_off_does(admin_client):
    page = admin_client.get(POLICY).content.decode()
    assert "Contacts who already use 2FA keep it" in page
