"""G4: a health endpoint for load balancers, with a database round trip."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from deskguard.outbox.services import mail_queue_state

log = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        queue = mail_queue_state()
    except DatabaseError as exc:
        log.warning("health check: database unreachable: %s", exc)
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
