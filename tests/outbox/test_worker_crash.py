"""H1: a worker that dies while "sending" loses nothing: after STALE the message goes
back to the queue and is delivered (possibly a second time: at least once)."""

from __future__ import annotations

import time_machine
from django.utils import timezone

from deskguard.accounts.models import Kind
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.outbox.delivery import STALE
from deskguard.outbox.models import MailStatus, OutboundMail
from tests.tasks import run_queued_tasks


def test_h1_a_message_left_sending_by_a_dead_worker_is_sent_after_a_while(make_user, mailoutbox):
    user = make_user(Kind.AGENT)
    security_event(event=Event.ENROLLED, subject=user)
    # A worker claimed it and died before it could say what happened.
    OutboundMail.objects.update(status=MailStatus.SENDING, claimed_at=timezone.now(), attempts=1)
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.update(status="RUNNING")
    assert run_queued_tasks() == 0
    with time_machine.travel(timezone.now() + STALE + timezone.timedelta(minutes=1)):
        security_event(event=Event.ENROLLED, subject=make_user(Kind.AGENT))  # any later task
        run_queued_tasks()
        run_queued_tasks()
    assert OutboundMail.objects.filter(status=MailStatus.SENT).count() == 2
    assert [m.to for m in mailoutbox].count([user.email]) == 1
