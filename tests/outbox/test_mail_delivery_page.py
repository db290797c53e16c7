"""H4, H5: Admin Settings -> Mail delivery shows each message's state and the server's
answer; in local mode an administrator reads the messages the demo sent; in
production no body is ever shown."""

from __future__ import annotations

import os
import stat

import pytest
from django.test import Client

from deskguard.outbox.models import MailStatus, OutboundMail
from tests.conftest import signin
from tests.tasks import run_queued_tasks


@pytest.fixture
def local_mailbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "deskguard.outbox.backends.LocalFolderBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.EMAIL_HOST = ""
    settings.LOCAL = True
    return tmp_path / "mail"


def test_h4_the_queue_lists_waiting_sent_and_failed_messages(
    admin_client, contact, enroll, smtp_server
):
    enroll(contact)
    admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    page = admin_client.get("/agent/admin/mail/")
    assert page.status_code == 200
    assert b"carol@example.com" in page.content and b"Waiting" in page.content
    assert b"1 waiting" in page.content
    smtp_server.permfail("DATA")
    run_queued_tasks()
    page = admin_client.get("/agent/admin/mail/", {"status": "failed"})
    assert b"Failed" in page.content and b"550" in page.content
    sent = admin_client.get("/agent/admin/mail/", {"status": "sent"})
    assert b"No messages with this status." in sent.content


def test_h4_local_mode_shows_the_message_the_demo_sent(
    admin_client, contact, enroll, local_mailbox, caplog
):
    enroll(contact)
    admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    with caplog.at_level("INFO", logger="deskguard.mail"):
        run_queued_tasks()
    mail = OutboundMail.objects.get()
    assert mail.status == MailStatus.SENT
    [file] = list(local_mailbox.iterdir())
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    # The console says where to read it, never what it says (codes are in the body).
    [line] = [r.getMessage() for r in caplog.records if r.name == "deskguard.mail"]
    assert f"/agent/admin/mail/{mail.pk}/" in line and "Your new recovery codes" in line
    assert "recovery codes (each works once)" not in line
    detail = admin_client.get(f"/agent/admin/mail/{mail.pk}/")
    assert b"Your recovery codes (each works once)" in detail.content
    html = admin_client.get(f"/agent/admin/mail/{mail.pk}/message.html")
    assert html.status_code == 200
    assert "script-src" not in html["Content-Security-Policy"]
    assert "sandbox" in html["Content-Security-Policy"]


def test_h5_production_never_shows_a_message_body(
    admin_client, contact, enroll, local_mailbox, settings
):
    enroll(contact)
    admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    run_queued_tasks()
    mail = OutboundMail.objects.get()
    settings.LOCAL = False
    detail = admin_client.get(f"/agent/admin/mail/{mail.pk}/")
    assert detail.status_code == 200
    assert b"each works once" not in detail.content
    assert admin_client.get(f"/agent/admin/mail/{mail.pk}/message.html").status_code == 404


def test_h4_only_a_failed_message_can_be_retried(admin_client, contact, enroll):
    enroll(contact)
    admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    mail = OutboundMail.objects.get()
    response = admin_client.post(f"/agent/admin/mail/{mail.pk}/retry/", follow=True)
    assert b"Only a message that failed can be sent again." in response.content
    assert admin_client.post("/agent/admin/mail/999999/retry/").status_code == 404
    assert admin_client.get(f"/agent/admin/mail/{mail.pk}/retry/").status_code == 405


@pytest.mark.parametrize("path", ["/agent/admin/mail/", "/agent/admin/mail/1/"])
def test_h4_only_administrators_see_the_mail_queue(client, agent, path):
    assert Client().get(path)["Location"].startswith("/agent/signin/")
    signin(client, agent)
    assert client.get(path).status_code == 403
