"""Reading the audit log (E2)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from deskguard.pagination import Order

from .models import AuditEvent, Event

# Newest first; the indexes on (at, id) and (event, at, id) follow it (J1).
AUDIT_ORDER = Order(("at", "id"), descending=True)
# The list says "more than 1,000 events" rather than counting ten million rows (J1).
COUNT_CAP = 1000


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
    or the subject's e-mail as recorded (a trigram index answers it on PostgreSQL,
    J2); both dates are inclusive."""
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


def audit_events_count_capped(events: QuerySet[AuditEvent]) -> tuple[int, bool]:
    """How many events match, counted up to COUNT_CAP: (count, True) means "more than
    count". Reads at most COUNT_CAP + 1 index entries, whatever the size of the log."""
    # In the list's order, so the same index answers: without an order a rare event type
    # would be looked for by reading the table until COUNT_CAP rows turned up.
    found = events.order_by(*AUDIT_ORDER.order_by())[: COUNT_CAP + 1].count()
    return (COUNT_CAP, True) if found > COUNT_CAP else (found, False)
