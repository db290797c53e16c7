"""The second sign-in step (C1, C2, C3, C4, C5, C6, C7)."""

from __future__ import annotations

import time

import time_machine

from deskguard.audit.models import AuditEvent, Event
from deskguard.twofactor.models import TOTPDevice
from tests.conftest import code_step


def test_c1_a_correct_password_alone_does_not_sign_in_an_enrolled_account(client, agent, enroll):
    enroll(agent)
    code_step(client, agent)
    assert "_auth_user_id" not in client.session
    response = client.get("/agent/")
    assert response.status_code == 302
    assert response["Location"].startswith("/agent/signin/")


def test_c1_c6_the_right_code_signs_in_and_changes_the_session_key(client, agent, enroll):
    enrollment = enroll(agent)
    url = code_step(client, agent)
    pending_key = client.session.session_key
    response = client.post(url, {"code": enrollment.code()})
    assert response.status_code == 302
    assert response["Location"] == "/agent/"
    assert client.session.session_key != pending_key
    assert client.get("/agent/").status_code == 200
    event = AuditEvent.objects.filter(event=Event.SIGNIN_SUCCEEDED).get()
    assert event.method == "password+totp"


def test_c2_a_code_with_spaces_is_accepted(client, contact, enroll):
    enrollment = enroll(contact)
    url = code_step(client, contact)
    code = enrollment.code()
    response = client.post(url, {"code": f" {code[:3]} {code[3:]} "})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_c3_a_code_one_step_old_or_ahead_is_accepted_two_steps_is_not(client, agent, enroll):
    enrollment = enroll(agent)
    now = time.time()
    with time_machine.travel(now, tick=False):
        url = code_step(client, agent)
        refused = client.post(url, {"code": enrollment.code(at=now, steps=-2)})
        assert refused.status_code == 400
        assert b"not correct" in refused.content
        accepted = client.post(url, {"code": enrollment.code(at=now, steps=-1)})
        assert accepted.status_code == 302


def test_c3_a_replayed_code_is_refused(client, make_user, agent, enroll):
    enrollment = enroll(agent)
    now = time.time()
    with time_machine.travel(now, tick=False):
        code = enrollment.code(at=now)
        url = code_step(client, agent)
        assert client.post(url, {"code": code}).status_code == 302
        client.post("/agent/signout/")
        url = code_step(client, agent)
        replay = client.post(url, {"code": code})
    assert replay.status_code == 400
    assert b"already used" in replay.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event=Event.SECOND_FACTOR_REPLAYED).count() == 1


def test_c3_an_older_code_is_refused_after_a_newer_one_was_used(client, agent, enroll):
    enrollment = enroll(agent)
    now = time.time()
    with time_machine.travel(now, tick=False):
        url = code_step(client, agent)
        assert client.post(url, {"code": enrollment.code(at=now, steps=1)}).status_code == 302
        client.post("/agent/signout/")
        url = code_step(client, agent)
        older = client.post(url, {"code": enrollment.code(at=now)})
    assert older.status_code == 400
    assert b"That code was already used" in older.content
    assert "_auth_user_id" not in client.session


def test_c4_a_recovery_code_works_once_ignoring_case_spaces_and_dashes(
    client, contact, enroll, mailoutbox, deliver
):
    enrollment = enroll(contact)
    code = enrollment.codes[0]
    typed = " " + "-".join(code[i : i + 4] for i in range(0, 16, 4)).upper() + " "
    url = code_step(client, contact)
    response = client.post(url, {"code": typed})
    assert response.status_code == 302
    assert mailoutbox == []  # H2: the sign-in never waits on the mail server
    # C7: led to the Security page, told how many codes remain.
    assert response["Location"] == "/portal/profile/security/"
    page = client.get(response["Location"])
    assert b"9 remain" in page.content
    client.post("/portal/signout/")
    url = code_step(client, contact)
    again = client.post(url, {"code": code})
    assert again.status_code == 400
    assert AuditEvent.objects.filter(event=Event.RECOVERY_USED).count() == 1
    [notice] = [m for m in deliver() if "recovery code was used" in m.subject]
    assert notice.to == [contact.email]
    assert "9 unused codes remain" in notice.body
    assert code not in notice.body


def test_c6_the_pending_state_expires_after_five_minutes(client, agent, enroll):
    enrollment = enroll(agent)
    start = time.time()
    with time_machine.travel(start, tick=False) as traveller:
        url = code_step(client, agent)
        traveller.shift(301)
        response = client.post(url, {"code": enrollment.code()})
    assert response.status_code == 302
    assert response["Location"] == "/agent/signin/"
    assert "_auth_user_id" not in client.session


def test_c6_a_pending_state_of_one_portal_does_not_work_in_the_other(client, contact, enroll):
    enrollment = enroll(contact)
    code_step(client, contact)
    response = client.post("/agent/signin/verify/", {"code": enrollment.code()})
    assert response.status_code == 302
    assert response["Location"] == "/agent/signin/"
    assert "_auth_user_id" not in client.session


def test_c1_a_code_posted_without_a_pending_session_is_refused(client, agent, enroll):
    enrollment = enroll(agent)
    response = client.post("/agent/signin/verify/", {"code": enrollment.code()})
    assert response.status_code == 302
    assert response["Location"] == "/agent/signin/"
    device = TOTPDevice.objects.get(user=agent)
    assert device.last_step == 0


def test_c5_five_wrong_codes_delay_the_next_attempt_even_with_the_right_code(
    client, agent, enroll, mailoutbox, deliver
):
    enrollment = enroll(agent)
    start = time.time()
    with time_machine.travel(start, tick=False) as traveller:
        url = code_step(client, agent)
        for _ in range(4):
            assert client.post(url, {"code": "000000"}).status_code == 400
        assert deliver() == []  # no notice before the delays start
        assert client.post(url, {"code": "000000"}).status_code == 400
        blocked = client.post(url, {"code": enrollment.code()})
        assert blocked.status_code == 429
        assert b"Try again after" in blocked.content
        assert mailoutbox == []
        # The holder is told once, when the delays start (not at every wrong code).
        [notice] = deliver()
        assert notice.to == [agent.email]
        assert "wrong sign-in codes" in notice.subject.lower()
        traveller.shift(31)
        url = code_step(client, agent)
        assert client.post(url, {"code": enrollment.code()}).status_code == 302
