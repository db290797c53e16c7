"""Enrollment from the Security page (B1, B2, B3, B7) and storage at rest (F1, F2)."""

from __future__ import annotations

import re
import time

import pyotp
import time_machine

from deskguard.audit.models import AuditEvent, Event
from deskguard.twofactor import totp
from deskguard.twofactor.models import RecoveryCode, TOTPDevice
from tests.conftest import code_step


def shown_secret(page: bytes) -> str:
    match = re.search(rb'data-copy-text="([A-Z2-7]{32})"', page)
    assert match, "the manual-entry key is on the page"
    return match.group(1).decode()


def test_b1_the_security_page_says_2fa_is_off_and_offers_enable(agent_client):
    page = agent_client.get("/agent/settings/security/")
    assert page.status_code == 200
    assert b"Off" in page.content
    assert b'href="/agent/settings/security/enable/"' in page.content


def test_b2_enable_shows_a_qr_code_and_the_key_and_activates_only_after_a_valid_code(
    contact_client, contact
):
    page = contact_client.get("/portal/profile/security/enable/")
    assert page.status_code == 200
    assert b"<svg" in page.content
    secret = shown_secret(page.content)
    link = re.search(rb'href="(otpauth://totp/[^"]+)"', page.content).group(1).decode()
    assert pyotp.parse_uri(link.replace("&amp;", "&")).secret == secret
    assert not TOTPDevice.objects.filter(user=contact).exists()
    wrong = contact_client.post("/portal/profile/security/enable/", {"code": "12345"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=contact).exists()
    response = contact_client.post(
        "/portal/profile/security/enable/", {"code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/profile/security/recovery-codes/"
    assert TOTPDevice.objects.filter(user=contact).exists()
    assert AuditEvent.objects.filter(event=Event.ENROLLED, subject=contact).exists()


def test_b3_ten_recovery_codes_are_shown_once_and_need_a_confirmation(contact_client, contact):
    secret = shown_secret(contact_client.get("/portal/profile/security/enable/").content)
    contact_client.post("/portal/profile/security/enable/", {"code": pyotp.TOTP(secret).now()})
    page = contact_client.get("/portal/profile/security/recovery-codes/")
    codes = re.findall(rb"<li>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</li>", page.content)
    assert len(set(codes)) == 10
    assert b"Download .txt" in page.content and b"data-print" in page.content
    unconfirmed = contact_client.post("/portal/profile/security/recovery-codes/", {})
    assert unconfirmed.status_code == 400
    confirmed = contact_client.post("/portal/profile/security/recovery-codes/", {"saved": "on"})
    assert confirmed.status_code == 302
    again = contact_client.get("/portal/profile/security/recovery-codes/")
    assert again.status_code == 302
    assert codes[0] not in contact_client.get("/portal/profile/security/").content


def test_f2_recovery_codes_are_stored_only_as_keyed_hashes(contact_client, contact):
    secret = shown_secret(contact_client.get("/portal/profile/security/enable/").content)
    contact_client.post("/portal/profile/security/enable/", {"code": pyotp.TOTP(secret).now()})
    page = contact_client.get("/portal/profile/security/recovery-codes/").content
    shown = [c.decode().replace("-", "") for c in re.findall(rb"<li>([0-9a-z-]{19})</li>", page)]
    stored = list(RecoveryCode.objects.filter(user=contact).values_list("digest", flat=True))
    assert len(stored) == 10
    for code in shown:
        assert all(code not in digest for digest in stored)
    device = TOTPDevice.objects.get(user=contact)
    assert secret not in device.secret_encrypted  # F1: encrypted at rest


def test_b2_an_unconfirmed_secret_expires_and_never_signs_in(client, contact_client, contact):
    start = time.time()
    with time_machine.travel(start, tick=False) as traveller:
        secret = shown_secret(contact_client.get("/portal/profile/security/enable/").content)
        traveller.shift(601)
        late = contact_client.post(
            "/portal/profile/security/enable/", {"code": totp.code_at(secret, start + 601)}
        )
        assert late.status_code == 400
        assert not TOTPDevice.objects.filter(user=contact).exists()
        # A new key is shown instead of the expired one.
        assert shown_secret(late.content) != secret


def test_b7_replacing_the_authenticator_needs_reauth_and_kills_the_old_secret(
    client, agent, enroll
):
    enrollment = enroll(agent)
    old_secret = enrollment.secret
    client.post(
        "/agent/signin/", {"email": agent.email, "password": "correct horse battery staple"}
    )
    now = time.time()
    with time_machine.travel(now, tick=False) as traveller:
        client.post("/agent/signin/verify/", {"code": enrollment.code(at=now)})
        traveller.shift(700)  # the sign-in no longer counts as a fresh re-authentication
        assert client.get("/agent/settings/security/enable/")["Location"].endswith("/replace/")
        bad = client.post(
            "/agent/settings/security/replace/",
            {"password": "wrong password!!", "code": enrollment.code()},
        )
        assert bad.status_code == 400
        traveller.shift(30)
        ok = client.post(
            "/agent/settings/security/replace/",
            {"password": "correct horse battery staple", "code": enrollment.code()},
        )
        assert ok["Location"] == "/agent/settings/security/enable/"
        new_secret = shown_secret(client.get("/agent/settings/security/enable/").content)
        traveller.shift(30)
        client.post("/agent/settings/security/enable/", {"code": pyotp.TOTP(new_secret).now()})
        assert enrollment.secret == new_secret
        client.post("/agent/signout/")
        traveller.shift(30)
        url = code_step(client, agent)
        old = client.post(url, {"code": pyotp.TOTP(old_secret).now()})
        assert old.status_code == 400
        assert client.post(url, {"code": pyotp.TOTP(new_secret).now()}).status_code == 302
    assert AuditEvent.objects.filter(event=Event.AUTHENTICATOR_REPLACED).count() == 1
