"""Queueing mail (H1) and what administrators do with the queue (H4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext

from deskguard.accounts.models import User
from deskguard.audit.models import AuditEvent

from .models import MailKind, MailStatus, OutboundMail
from .tasks import mail_deliver


@transaction.atomic(savepoint=False)
def mail_enqueue(
    *, kind: MailKind, to_address: str, recipient: User | None, event: AuditEvent | None
) -> OutboundMail:
    """Queue one message. The row and its task are written in the caller's transaction
    (its own when there is none), so they commit with the change they announce or not
    at all; nothing waits on the mail server."""
    mail = OutboundMail.objects.create(
        kind=kind, to_address=to_address, recipient=recipient, event=event
    )
    mail_deliver.enqueue(mail.pk)
    return mail


class RetryRefused(Exception):
    pass


@transaction.atomic
def mail_retry(*, mail_id: int) -> OutboundMail:
    """An administrator sends a failed message again (H4): one more delivery task,
    now. A message that is waiting or on its way is left alone."""
    updated = OutboundMail.objects.filter(pk=mail_id, status=MailStatus.FAILED).update(
        status=MailStatus.WAITING, next_attempt_at=None
    )
    if not updated:
        raise RetryRefused(gettext("Only a message that failed can be sent again."))
    mail_deliver.enqueue(mail_id)
    return OutboundMail.objects.get(pk=mail_id)


@dataclass(frozen=True)
class QueueState:
    waiting: int
    oldest_waiting_at: datetime | None

    @property
    def oldest_waiting_seconds(self) -> int | None:
        if self.oldest_waiting_at is None:
            return None
        return max(0, int((timezone.now() - self.oldest_waiting_at).total_seconds()))


def mail_queue_state() -> QueueState:
    """How many messages wait, and since when (G4: on /healthz). One indexed query."""
    row = OutboundMail.objects.filter(
        status__in=[MailStatus.WAITING, MailStatus.SENDING]
    ).aggregate(waiting=Count("id"), oldest=Min("created_at"))
    return QueueState(waiting=row["waiting"], oldest_waiting_at=row["oldest"])
