"""F3 with a slow mail server: a reset request makes no SMTP connection at all, for a
known and an unknown address alike, so its timing cannot tell them apart; the worker
then mails the known address only (A3)."""

from __future__ import annotations

from deskguard.outbox.models import MailStatus, OutboundMail
from tests.tasks import run_queued_tasks


def test_f3_h1_a_reset_request_opens_no_smtp_connection_whatever_the_address(
    client, contact, smtp_server
):
    smtp_server.hang("CONNECT", delay=0.3)  # a slow server: 0.3 s before it greets
    for email in (contact.email, "nobody@example.com") * 3:
        response = client.post("/portal/password-reset/", {"email": email})
        assert response.status_code == 302
        assert response["Location"] == "/portal/password-reset/sent/"
        # No request reached the mail server, so none waited on it (the worker does).
        assert smtp_server.connections == 0
    # Both addresses queued the same way (the 3-an-hour limit allows 3 each).
    assert OutboundMail.objects.filter(to_address=contact.email).count() == 3
    assert OutboundMail.objects.filter(to_address="nobody@example.com").count() == 3
    smtp_server.accept()
    run_queued_tasks()
    assert {m.rcpt_tos[0] for m in smtp_server.messages} == {contact.email}
    for skipped in OutboundMail.objects.filter(to_address="nobody@example.com"):
        assert skipped.status == MailStatus.SKIPPED
        assert "no active Customer Portal account" in skipped.last_answer
