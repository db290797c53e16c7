"""Reading the audit log (E2)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEvent, Event


def _start_of(day: dt.date) -> dt.datetime:
    # Days are the administrator's days: midnight in the helpdesk's time zone.
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events_filtered(
    *,
    event: Event | str = "",
    account: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Events newest first; `account` is a case-insensitive substring of the actor's
    or the subject's e-mail as recorded; both dates are inclusive."""
    events = AuditEvent.objects.order_by("-at", "-id")
    if event:
        events = events.filter(event=event)
    if account:
        events = events.filter(
            Q(subject_label__icontains=account) | Q(actor_label__icontains=account)
        )
    # Half-open ranges on the raw column (not `at__date`), so the `at` index is usable.
    if date_from:
        events = events.filter(at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(at__lt=_start_of(date_to + dt.timedelta(days=1)))
    return events
