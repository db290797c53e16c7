"""Delivering one queued message (H1-H3): claim it, render it, send it, record the
server's answer, and schedule a retry after a temporary failure.

Claiming is a conditional UPDATE (waiting -> sending), so two workers, or a retry
task and an administrator's Retry, never send one message twice while they run.
A worker that dies after the server accepted a message but before the row says
"sent" leaves it "sending"; after STALE it is sent again (at least once, not
exactly once: the reader may get that one message twice).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import MailStatus, OutboundMail
from .render import NothingToSend, prepare
from .tasks import mail_deliver

log = logging.getLogger(__name__)

# Temporary failures retry after 30 s, doubling to an hour, for about a day in all;
# then the message is marked failed and an administrator can retry it (H4).
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 30
# A message "sending" for this long belongs to a worker that died.
STALE = timedelta(minutes=15)


@dataclass(frozen=True)
class Failure:
    temporary: bool
    answer: str


def classify(exc: BaseException) -> Failure:
    """Temporary: no connection, a timeout, a dropped connection or a 4xx answer.
    Permanent: a 5xx answer (the server refused this message), or a fault of ours."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        answers = "; ".join(f"{code} {_text(message)}" for code, message in exc.recipients.values())
        return Failure(all(400 <= code < 500 for code in codes), answers)
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        return Failure(400 <= exc.smtp_code < 500, answer)
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        # Connection refused, timed out, reset, DNS failure, or a server that hung up.
        return Failure(True, f"{type(exc).__name__}: {exc}"[:300])
    return Failure(False, f"{type(exc).__name__}: {exc}"[:300])


def _text(message: bytes | str) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return " ".join(text.split())[:200]


def backoff(attempts: int) -> timedelta:
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY)


def deliver(mail_id: int) -> str:
    """Send message `mail_id` if it is waiting; the result says what happened."""
    mail_requeue_stale()
    now = timezone.now()
    claimed = OutboundMail.objects.filter(pk=mail_id, status=MailStatus.WAITING).update(
        status=MailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "not waiting"
    mail = OutboundMail.objects.select_related("recipient", "event", "event__actor").get(pk=mail_id)
    try:
        prepared = prepare(mail)
    except NothingToSend as reason:
        _finish(mail, MailStatus.SKIPPED, str(reason))
        return "skipped"
    except Exception as exc:  # a bug of ours: keep the row, say why, never retry blindly
        log.exception("rendering mail %s failed", mail_id)
        _finish(mail, MailStatus.FAILED, f"{type(exc).__name__}: {exc}"[:300])
        return "failed"
    mail.subject = prepared.message.subject[:200]
    try:
        prepared.message.send()
    except Exception as exc:
        prepared.on_not_sent()
        return _failed(mail, classify(exc))
    # The server has the message: only now do its side effects happen (H2: an
    # administrator's resend kills the old recovery codes once the new ones went out).
    with transaction.atomic():
        prepared.on_accepted()
        _finish(mail, MailStatus.SENT, prepared.accepted_answer)
    return "sent"


def _failed(mail: OutboundMail, failure: Failure) -> str:
    if failure.temporary and mail.attempts < MAX_ATTEMPTS:
        retry_at = timezone.now() + backoff(mail.attempts)
        with transaction.atomic():
            OutboundMail.objects.filter(pk=mail.pk).update(
                status=MailStatus.WAITING,
                subject=mail.subject,
                last_answer=failure.answer[:500],
                next_attempt_at=retry_at,
            )
            mail_deliver.using(run_after=retry_at).enqueue(mail.pk)
        log.warning("mail %s: temporary failure, retry at %s: %s", mail.pk, retry_at, failure)
        return "retry"
    _finish(mail, MailStatus.FAILED, failure.answer)
    log.warning("mail %s failed: %s", mail.pk, failure.answer)
    return "failed"


def _finish(mail: OutboundMail, status: MailStatus, answer: str) -> None:
    OutboundMail.objects.filter(pk=mail.pk).update(
        status=status,
        subject=mail.subject,
        last_answer=answer[:500],
        next_attempt_at=None,
        sent_at=timezone.now() if status == MailStatus.SENT else None,
    )


def mail_requeue_stale() -> int:
    """Messages left "sending" by a worker that died go back to the queue."""
    cutoff = timezone.now() - STALE
    stale = list(
        OutboundMail.objects.filter(status=MailStatus.SENDING, claimed_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:100]
    )
    for mail_id in stale:
        with transaction.atomic():
            requeued = OutboundMail.objects.filter(
                pk=mail_id, status=MailStatus.SENDING, claimed_at__lt=cutoff
            ).update(status=MailStatus.WAITING)
            if requeued:
                mail_deliver.enqueue(mail_id)
    return len(stale)
