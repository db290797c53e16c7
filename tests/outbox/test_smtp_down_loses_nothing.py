"""H1, H2: with the mail server down, every security action completes, shows what the
user must see, and its mail waits; once the server is back the worker delivers each
message once. A real SMTP server (aiosmtpd) is stopped, then started again."""

from __future__ import annotations

import re
import time

import pyotp
import time_machine
from django.test import Client
from django.utils import timezone

from deskguard.outbox.models import MailStatus, OutboundMail
from deskguard.twofactor import recovery
from deskguard.twofactor.models import RecoveryCode, TOTPDevice
from tests.conftest import PASSWORD, code_step, signin
from tests.tasks import run_queued_tasks
from tests.twofactor.test_enrollment import shown_secret

CODE = re.compile(r"\b[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}\b")


def codes_on(page: bytes) -> list[str]:
    """The recovery codes a page shows (each appears in the list and in the copy text)."""
    return list(dict.fromkeys(CODE.findall(page.decode())))


def back_up_and_deliver(smtp_server) -> None:
    """Start the server again and run the worker once the retry is due."""
    smtp_server.accept()
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=2), tick=True):
        run_queued_tasks()


def subjects(smtp_server) -> list[str]:
    return [message.subject for message in smtp_server.messages]


def test_h2_a_recovery_code_sign_in_completes_while_the_mail_server_is_down(
    client, contact, enroll, smtp_server
):
    enrollment = enroll(contact)
    smtp_server.down()
    url = code_step(client, contact)
    response = client.post(url, {"code": enrollment.codes[0]})
    assert response.status_code == 302
    assert response["Location"] == "/portal/profile/security/"
    assert client.session["_auth_user_id"] == str(contact.pk)
    page = client.get(response["Location"])
    assert b"You signed in with a recovery code; 9 remain" in page.content
    run_queued_tasks()  # the server is down: a temporary failure, kept for a retry
    [notice] = OutboundMail.objects.all()
    assert notice.status == MailStatus.WAITING and notice.attempts == 1
    assert "ConnectionRefusedError" in notice.last_answer
    back_up_and_deliver(smtp_server)
    assert subjects(smtp_server) == ["[deskguard] A recovery code was used"]
    assert OutboundMail.objects.get().status == MailStatus.SENT


def test_h2_enabling_2fa_shows_the_codes_while_the_mail_server_is_down(
    contact_client, contact, smtp_server
):
    smtp_server.down()
    secret = shown_secret(contact_client.get("/portal/profile/security/enable/").content)
    response = contact_client.post(
        "/portal/profile/security/enable/", {"code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 302
    codes_page = contact_client.get(response["Location"])
    shown = codes_on(codes_page.content)
    assert len(shown) == 10
    assert TOTPDevice.objects.filter(user=contact).exists()
    run_queued_tasks()
    assert smtp_server.messages == []
    back_up_and_deliver(smtp_server)
    assert subjects(smtp_server) == ["[deskguard] Two-factor authentication is on"]
    for code in shown:
        assert code not in smtp_server.messages[0].body_text()


def test_h2_regenerated_codes_stay_on_screen_while_the_mail_server_is_down(
    client, contact, enroll, smtp_server
):
    enrollment = enroll(contact)
    now = time.time()
    with time_machine.travel(now, tick=False) as traveller:
        url = code_step(client, contact)
        assert client.post(url, {"code": enrollment.code(at=now)}).status_code == 302
        smtp_server.down()
        traveller.shift(30)
        response = client.post(
            "/portal/profile/security/regenerate/",
            {"password": PASSWORD, "code": enrollment.code()},
        )
        assert response.status_code == 302
        shown = codes_on(client.get(response["Location"]).content)
    assert len(shown) == 10
    digests = set(RecoveryCode.objects.filter(user=contact).values_list("digest", flat=True))
    assert digests == {recovery.digest(contact.pk, c.replace("-", "")) for c in shown}
    back_up_and_deliver(smtp_server)
    assert subjects(smtp_server) == ["[deskguard] New recovery codes were generated"]


def test_h2_an_admins_resend_keeps_the_old_codes_until_the_new_ones_went_out(
    admin_client, contact, enroll, smtp_server
):
    enrollment = enroll(contact)
    smtp_server.down()
    response = admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    assert response.status_code == 302
    run_queued_tasks()  # refused connection: nothing sent, nothing replaced
    assert OutboundMail.objects.get().status == MailStatus.WAITING
    old = Client()
    url = code_step(old, contact)
    assert old.post(url, {"code": enrollment.codes[0]}).status_code == 302
    back_up_and_deliver(smtp_server)
    [message] = [m for m in smtp_server.messages if m.subject.endswith("Your new recovery codes")]
    mailed = list(dict.fromkeys(CODE.findall(message.body_text())))
    assert len(mailed) == 10
    # The old set is dead; a mailed code works.
    fresh = Client()
    url = code_step(fresh, contact)
    assert fresh.post(url, {"code": enrollment.codes[1]}).status_code == 400
    assert fresh.post(url, {"code": mailed[0]}).status_code == 302


def test_h2_the_fifth_wrong_code_answers_with_the_delay_not_an_error_page(
    client, agent, enroll, smtp_server
):
    enroll(agent)
    smtp_server.down()
    url = code_step(client, agent)
    statuses = [client.post(url, {"code": "000000"}).status_code for _ in range(5)]
    assert statuses == [400] * 5
    last = client.post(url, {"code": "000000"})
    assert last.status_code == 429
    assert b"Too many attempts" in last.content
    back_up_and_deliver(smtp_server)
    assert subjects(smtp_server) == ["[deskguard] Wrong sign-in codes after your correct password"]


def test_h2_an_invitation_waits_for_the_mail_server_and_then_works(admin_client, smtp_server):
    smtp_server.down()
    response = admin_client.post(
        "/agent/admin/accounts/new/", {"kind": "contact", "email": "new@example.com"}
    )
    assert response.status_code == 302
    run_queued_tasks()
    back_up_and_deliver(smtp_server)
    [message] = smtp_server.messages
    assert message.rcpt_tos == ["new@example.com"]
    link = re.search(r"http://testserver(/portal/invitation/\S+/)", message.body_text())
    assert link, message.body_text()
    page = Client().get(link.group(1), follow=True)
    assert b"Choose your password" in page.content or b"password" in page.content.lower()


def test_h1_a_server_that_refuses_the_message_marks_it_failed_and_retry_sends_it(
    admin_client, contact, enroll, smtp_server
):
    enroll(contact)
    smtp_server.permfail("RCPT")
    admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    run_queued_tasks()
    mail = OutboundMail.objects.get()
    assert mail.status == MailStatus.FAILED
    assert mail.last_answer.startswith("550")
    page = admin_client.get(f"/agent/admin/mail/{mail.pk}/")
    assert b"550" in page.content and b"Retry" in page.content
    smtp_server.accept()
    assert admin_client.post(f"/agent/admin/mail/{mail.pk}/retry/").status_code == 302
    run_queued_tasks()
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT and mail.attempts == 2
    assert len(smtp_server.messages) == 1


def test_h1_a_temporary_refusal_is_retried_later_with_a_growing_pause(
    admin_client, contact, enroll, smtp_server
):
    enroll(contact)
    smtp_server.tempfail("MAIL")
    admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    run_queued_tasks()
    mail = OutboundMail.objects.get()
    assert mail.status == MailStatus.WAITING and mail.last_answer.startswith("421")
    first_pause = mail.next_attempt_at - timezone.now()
    assert timezone.timedelta(seconds=20) < first_pause <= timezone.timedelta(seconds=30)
    assert run_queued_tasks() == 0  # the retry is not due yet
    with time_machine.travel(mail.next_attempt_at + timezone.timedelta(seconds=1), tick=True):
        run_queued_tasks()
        mail.refresh_from_db()
        second_pause = mail.next_attempt_at - timezone.now()
    assert mail.attempts == 2 and second_pause > first_pause
    back_up_and_deliver(smtp_server)
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT and mail.attempts == 3
    assert len(smtp_server.messages) == 1


def test_h1_a_mail_server_that_hangs_costs_the_worker_its_timeout_not_the_user(
    client, contact, enroll, smtp_server, settings
):
    enrollment = enroll(contact)
    settings.EMAIL_TIMEOUT = 0.5
    smtp_server.hang("CONNECT")
    url = code_step(client, contact)
    response = client.post(url, {"code": enrollment.codes[0]})
    assert response.status_code == 302
    assert smtp_server.connections == 0  # the request never met the mail server
    run_queued_tasks()
    mail = OutboundMail.objects.get()
    assert mail.status == MailStatus.WAITING
    assert "timed out" in mail.last_answer or "Timeout" in mail.last_answer
    back_up_and_deliver(smtp_server)
    assert subjects(smtp_server) == ["[deskguard] A recovery code was used"]


def test_h1_a_change_that_rolls_back_queues_no_mail(contact, enroll):
    """The mail row commits with the change or not at all."""
    from django.db import transaction

    from deskguard.audit.models import Event
    from deskguard.events import security_event

    enroll(contact)
    try:
        with transaction.atomic():
            security_event(event=Event.RECOVERY_REGENERATED, subject=contact)
            assert OutboundMail.objects.count() == 1
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert OutboundMail.objects.count() == 0
    assert run_queued_tasks() == 0


def test_h2_signing_in_with_the_password_alone_needs_no_mail_server(client, contact, smtp_server):
    smtp_server.down()
    assert signin(client, contact).status_code == 302
