"""One call for a security event (E1, E3, H1): the audit row, and the notice the event
calls for (outbox/notices.py), queued in the same transaction.

Call it inside the transaction of the change it records, so the change, its audit
row and its mail commit together or not at all.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from deskguard.accounts.models import User
from deskguard.audit.models import AuditEvent, Event
from deskguard.audit.services import audit_record
from deskguard.outbox.notices import NOTICES
from deskguard.outbox.services import mail_enqueue


# No savepoint inside the caller's transaction (it is the one that must commit or roll
# back as a whole); its own transaction when there is none.
@transaction.atomic(savepoint=False)
def security_event(
    *,
    event: Event,
    request: HttpRequest | None = None,
    subject: User | None = None,
    actor: User | None = None,
    actor_label: str = "",
    subject_label: str = "",
    method: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    record = audit_record(
        event=event,
        request=request,
        subject=subject,
        actor=actor,
        actor_label=actor_label,
        subject_label=subject_label,
        method=method,
        detail=detail,
    )
    notice = NOTICES.get(event)
    if notice is not None and notice.applies(record):
        if notice.to_typed_address:
            mail_enqueue(
                kind=notice.kind, to_address=record.subject_label, recipient=None, event=record
            )
        elif subject is not None:
            mail_enqueue(
                kind=notice.kind, to_address=subject.email, recipient=subject, event=record
            )
    return record
