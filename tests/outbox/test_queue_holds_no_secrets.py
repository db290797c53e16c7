"""H3: recovery codes and one-time links exist only in the message that was sent:
never in the queue row, the task arguments or the task result."""

from __future__ import annotations

import json
import re

from django.core import serializers
from django_tasks_db.models import DBTaskResult

from deskguard.outbox.models import OutboundMail
from deskguard.twofactor.models import RecoveryCode
from tests.tasks import run_queued_tasks

CODE = re.compile(r"\b[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}\b")
LINK = re.compile(r"http://testserver/(?:portal|agent)/(?:password-reset|invitation)/(\S+)/(\S+)/")


def queue_dump() -> str:
    """Every stored field of the mail queue and the task table, as text."""
    rows = list(OutboundMail.objects.all()) + list(DBTaskResult.objects.all())
    return serializers.serialize("json", rows) + json.dumps(
        list(DBTaskResult.objects.values_list("args_kwargs", "return_value"))
    )


def test_h3_resent_recovery_codes_are_made_at_send_time_and_only_mailed(
    admin_client, contact, enroll, mailoutbox
):
    enroll(contact)
    admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    before = queue_dump()
    run_queued_tasks()
    [message] = mailoutbox
    codes = set(CODE.findall(message.body))
    assert len(codes) == 10
    for code in codes:
        plain = code.replace("-", "")
        assert code not in before and plain not in before
        assert code not in queue_dump() and plain not in queue_dump()
    # Only keyed hashes in the database (F2).
    stored = "".join(RecoveryCode.objects.values_list("digest", flat=True))
    assert not any(code.replace("-", "") in stored for code in codes)


def test_h3_reset_and_invitation_links_are_made_at_send_time(
    client, admin_client, contact, mailoutbox
):
    client.post("/portal/password-reset/", {"email": contact.email})
    admin_client.post("/agent/admin/accounts/new/", {"kind": "agent", "email": "new@example.com"})
    run_queued_tasks()
    links = [LINK.search(message.body) for message in mailoutbox]
    assert all(links) and len(links) == 2
    dump = queue_dump()
    for match in links:
        assert match is not None
        _, token = match.groups()
        assert token not in dump
