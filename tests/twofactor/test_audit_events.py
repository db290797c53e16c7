"""E1, C8: every security event lands in the audit log with actor, subject, time,
client address, user agent and method, and never with a code, secret or password."""

from __future__ import annotations

import json
import time

import pyotp
import time_machine
from django.test import Client
from django.utils import timezone

from deskguard.audit.models import AuditEvent, Event
from deskguard.limits.models import Throttle
from deskguard.twofactor import services
from tests.conftest import PASSWORD, code_step
from tests.twofactor.test_enrollment import shown_secret

UA = "Mozilla/5.0 (AuditTest) Chrome/150"


def events(*kinds: Event) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event__in=kinds).order_by("id"))


def test_e1_a_whole_life_cycle_is_recorded_without_any_secret(contact):
    client = Client(HTTP_USER_AGENT=UA)
    client.post("/portal/signin/", {"email": contact.email, "password": PASSWORD})
    secret = shown_secret(client.get("/portal/profile/security/enable/").content)
    now = time.time()
    with time_machine.travel(now, tick=False) as traveller:
        client.post("/portal/profile/security/enable/", {"code": pyotp.TOTP(secret).at(now)})
        shown = client.get("/portal/profile/security/recovery-codes/").content.decode()
        traveller.shift(30)
        client.post(
            "/portal/profile/security/regenerate/",
            {"password": PASSWORD, "code": pyotp.TOTP(secret).at(now + 30)},
        )
        client.post(
            "/portal/profile/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "another long passphrase 9",
                "new_password2": "another long passphrase 9",
            },
        )
    kinds = [e.event for e in AuditEvent.objects.order_by("id")]
    for expected in (
        Event.SIGNIN_SUCCEEDED,
        Event.ENROLLED,
        Event.RECOVERY_GENERATED,
        Event.RECOVERY_REGENERATED,
        Event.PASSWORD_CHANGED,
    ):
        assert expected in kinds, expected
    for event in AuditEvent.objects.all():
        assert event.subject == contact
        assert event.ip == "127.0.0.1" and event.user_agent == UA
        text = json.dumps([event.detail, event.method, event.actor_label, event.subject_label])
        for leaked in (PASSWORD, "another long passphrase 9", secret):
            assert leaked not in text
    codes = [line.split("</li>")[0] for line in shown.split("<li>")[1:]]
    assert codes and not any(
        c in json.dumps(list(AuditEvent.objects.values("detail"))) for c in codes
    )


def test_e1_c5_throttling_and_the_lock_are_recorded(client, agent, enroll):
    enrollment = enroll(agent)
    url = code_step(client, agent)
    for _ in range(5):
        client.post(url, {"code": "000000"})
    client.post(url, {"code": enrollment.code()})  # delayed: throttled, not checked
    [throttled] = events(Event.SECOND_FACTOR_THROTTLED)
    assert throttled.subject == agent and throttled.method == "password+totp"
    assert "retry_at" in throttled.detail
    # 94 failures later (each after its delay), the 100th wrong code locks the codes.
    Throttle.objects.filter(key=services.throttle_key(agent).key).update(
        failures=99, blocked_until=timezone.now()
    )
    client.post(url, {"code": "000000"})
    client.post(url, {"code": enrollment.code()})
    [locked] = events(Event.SECOND_FACTOR_LOCKED)
    assert locked.subject == agent
    # The refusals of the first window were summed up when the next code was judged.
    summary = [e for e in events(Event.SECOND_FACTOR_THROTTLED) if "refused" in e.detail]
    assert [e.detail["refused"] for e in summary] == [1]


def test_e1_c8_a_throttled_password_sign_in_is_recorded_with_its_method(client, contact):
    for _ in range(6):
        client.post("/portal/signin/", {"email": contact.email, "password": "wrong guess!"})
    [event] = events(Event.SIGNIN_THROTTLED)
    assert event.subject == contact and event.method == "password"
    assert len(events(Event.SIGNIN_FAILED)) == 5


def test_e1_a_password_reset_is_recorded(client, contact, mailed_links):
    client.post("/portal/password-reset/", {"email": contact.email})
    [link] = mailed_links(contact.email)
    page = client.get(link.replace("http://testserver", ""), follow=True)
    client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a fresh passphrase 2026", "new_password2": "a fresh passphrase 2026"},
    )
    [event] = events(Event.PASSWORD_RESET)
    assert event.subject == contact
