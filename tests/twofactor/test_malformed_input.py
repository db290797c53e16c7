"""Bad input on every 2FA form gets a clear 4xx and changes nothing (C1-C5)."""

from __future__ import annotations

import pytest

from deskguard.limits.models import Throttle
from deskguard.twofactor.flows import REAUTH_KEY
from deskguard.twofactor.models import RecoveryCode, TOTPDevice
from tests.conftest import PASSWORD, code_step

FULLWIDTH_DIGITS = "\uff11\uff12\uff13\uff14\uff15\uff16"  # look like 123456, are not ASCII
BAD_CODES = ["abcdef", "12345", "1234567", "1" * 10_000, "", FULLWIDTH_DIGITS, "12 34 5", "<b>"]


def snapshot(user):
    device = TOTPDevice.objects.filter(user=user).values_list("last_step", "secret_encrypted")
    return (
        list(device),
        sorted(RecoveryCode.objects.filter(user=user).values_list("digest", "used_at")),
        list(Throttle.objects.values_list("key", "failures")),
    )


@pytest.mark.parametrize("code", BAD_CODES)
def test_c1_a_malformed_code_is_a_form_error_and_no_throttle_count(client, agent, enroll, code):
    enroll(agent)
    url = code_step(client, agent)
    before = snapshot(agent)
    response = client.post(url, {"code": code})
    assert response.status_code == 400
    assert b"6-digit code" in response.content or b"This field is required" in response.content
    assert snapshot(agent) == before
    assert "_auth_user_id" not in client.session


def test_c1_a_missing_field_is_a_form_error(client, agent, enroll):
    enroll(agent)
    url = code_step(client, agent)
    response = client.post(url, {})
    assert response.status_code == 400
    assert b"This field is required" in response.content


@pytest.mark.parametrize(
    "forged",
    [
        "not a dict",
        {"uid": "1; DROP TABLE", "portal": "agent", "email": "x", "at": 0},
        {"uid": 999999, "portal": "agent", "email": "agent@example.com", "at": 9e18},
        {"portal": "agent"},
        {"uid": None, "portal": "agent", "email": None, "at": "yesterday"},
    ],
)
def test_c6_a_forged_or_stale_pending_state_is_refused(client, agent, enroll, forged):
    enrollment = enroll(agent)
    session = client.session
    session["dg.pending"] = forged
    session.save()
    response = client.post("/agent/signin/verify/", {"code": enrollment.code()})
    assert response.status_code == 302
    assert response["Location"] == "/agent/signin/"
    assert "_auth_user_id" not in client.session


def test_c6_a_pending_state_for_a_changed_email_is_refused(client, agent, enroll):
    enrollment = enroll(agent)
    url = code_step(client, agent)
    agent.email = "renamed@example.com"
    agent.save()
    response = client.post(url, {"code": enrollment.code()})
    assert response["Location"] == "/agent/signin/"


@pytest.mark.parametrize("path", ["enable/", "regenerate/", "disable/", "replace/"])
def test_b2_security_forms_answer_oversized_and_missing_input_with_400(
    client, contact, enroll, path
):
    if path != "enable/":
        enrollment = enroll(contact)
        url = code_step(client, contact)
        client.post(url, {"code": enrollment.code()})
        session = client.session  # a copy: saved, or the pop would not reach the server
        session.pop(REAUTH_KEY, None)
        session.save()
    else:
        client.post("/portal/signin/", {"email": contact.email, "password": PASSWORD})
    before = snapshot(contact)
    for data in ({}, {"code": "x" * 10_000, "password": "y" * 10_000}, {"code": "abc"}):
        response = client.post(f"/portal/profile/security/{path}", data)
        assert response.status_code == 400, (path, data, response.status_code)
    assert snapshot(contact) == before
