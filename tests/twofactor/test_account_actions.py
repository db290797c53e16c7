"""Regenerate recovery codes and disable 2FA (B5, B6)."""

from __future__ import annotations

import time

import time_machine

from deskguard.accounts.models import Kind
from deskguard.twofactor.models import RecoveryCode, SecurityPolicy, TOTPDevice
from tests.conftest import PASSWORD, code_step


def signed_in(client, user, enrollment, at):
    url = code_step(client, user)
    assert client.post(url, {"code": enrollment.code(at=at)}).status_code == 302


def test_b5_regenerating_codes_needs_password_and_code_and_kills_the_old_set(
    client, contact, enroll, mailoutbox, deliver
):
    enrollment = enroll(contact)
    now = time.time()
    with time_machine.travel(now, tick=False) as traveller:
        signed_in(client, contact, enrollment, now)
        traveller.shift(30)
        refused = client.post(
            "/portal/profile/security/regenerate/", {"password": PASSWORD, "code": "999999"}
        )
        assert refused.status_code == 400
        assert RecoveryCode.objects.filter(user=contact).count() == 10
        assert deliver() == []  # a refused attempt announces nothing
        traveller.shift(30)
        response = client.post(
            "/portal/profile/security/regenerate/",
            {"password": PASSWORD, "code": enrollment.code()},
        )
        assert response["Location"] == "/portal/profile/security/recovery-codes/"
        # H2: the new codes are on screen whatever the mail server does; nothing was
        # sent inside the request.
        shown = client.get(response["Location"]).content.decode()
        assert mailoutbox == []
    new_codes = [line.split("</li>")[0].strip() for line in shown.split("<li>")[1:]]
    assert len(new_codes) == 10
    [notice] = [m for m in deliver() if "New recovery codes" in m.subject]
    assert notice.to == [contact.email]
    for code in new_codes:  # the notice says that it happened, never the codes
        assert code not in notice.body and code.replace("-", "") not in notice.body
    client.post("/portal/signout/")
    url = code_step(client, contact)
    assert client.post(url, {"code": enrollment.codes[0]}).status_code == 400
    assert client.post(url, {"code": new_codes[0]})["Location"] == "/portal/profile/security/"


def test_b6_a_user_disables_their_own_2fa_with_password_and_code(
    client, agent, enroll, mailoutbox, deliver
):
    enrollment = enroll(agent)
    now = time.time()
    with time_machine.travel(now, tick=False) as traveller:
        signed_in(client, agent, enrollment, now)
        traveller.shift(30)
        response = client.post(
            "/agent/settings/security/disable/",
            {"password": PASSWORD, "code": enrollment.code()},
        )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not RecoveryCode.objects.filter(user=agent).exists()
    assert mailoutbox == []  # queued with the change, sent by the worker
    [notice] = [m for m in deliver() if "is off" in m.subject]
    assert notice.to == [agent.email]
    assert "You turned off two-factor authentication" in notice.body
    client.post("/agent/signout/")
    assert signed_in_without_code(client, agent)


def signed_in_without_code(client, user):
    response = client.post("/agent/signin/", {"email": user.email, "password": PASSWORD})
    return response["Location"] == "/agent/"


def test_b6_under_enforcement_the_disable_button_is_absent_and_a_forged_post_is_refused(
    client, make_user, enroll
):
    agent = make_user(Kind.AGENT)
    enrollment = enroll(agent)
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    now = time.time()
    with time_machine.travel(now, tick=False) as traveller:
        signed_in(client, agent, enrollment, now)
        page = client.get("/agent/settings/security/")
        assert b"/disable/" not in page.content
        traveller.shift(30)
        forged = client.post(
            "/agent/settings/security/disable/", {"password": PASSWORD, "code": enrollment.code()}
        )
    assert forged.status_code == 403
    assert b"required by your administrator" in forged.content
    assert TOTPDevice.objects.filter(user=agent).exists()


def test_d2_contacts_barred_from_2fa_have_no_security_page_and_no_code_step(client, contact):
    """Contacts who never enrolled; one who did keeps their factor (I11,
    test_allow_off_keeps_enrolled_contacts.py)."""
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_allow_2fa": False})
    response = client.post("/portal/signin/", {"email": contact.email, "password": PASSWORD})
    assert response["Location"] == "/portal/"
    assert client.get("/portal/profile/security/").status_code == 404
    assert b"Security" not in client.get("/portal/profile/").content
