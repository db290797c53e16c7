"""G4, I5: a health endpoint for load balancers, with a database round trip.

It answers 503 only when the database is unreachable, not when this worker's
connection died: Django checks a kept connection at the first query of a request
(CONN_HEALTH_CHECKS), and a connection that dies after that check (a restart at the
wrong moment) gets one more try on a new connection. Taking a healthy server out of
the load balancer for a stale socket would turn one restart of PostgreSQL into an
outage of every server at once.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from deskguard.outbox.services import QueueState, mail_queue_state

log = logging.getLogger(__name__)


def _database_round_trip() -> QueueState:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return mail_queue_state()


def _database_state() -> QueueState | None:
    """The mail queue, read on this worker's connection or, if that one failed, on a
    new one; None when the database does not answer either."""
    try:
        return _database_round_trip()
    except DatabaseError as exc:
        if connection.in_atomic_block:  # not ours to close
            log.warning("health check: database unreachable: %s", exc)
            return None
        log.info("health check: connection lost (%s); trying a new one", exc)
    connection.close()
    try:
        return _database_round_trip()
    except DatabaseError as exc:
        log.warning("health check: database unreachable: %s", exc)
        return None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    queue = _database_state()
    if queue is None:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    # The mail queue does not decide the status: a slow mail server must not take the
    # site out of the load balancer. Monitoring alerts on the age of the oldest message.
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "mail_queue": {
                "waiting": queue.waiting,
                "oldest_waiting_seconds": queue.oldest_waiting_seconds,
            },
        }
    )
