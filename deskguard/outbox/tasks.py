"""The delivery task, run by `manage.py db_worker` (django-tasks' database backend)."""

from __future__ import annotations

from django_tasks import task

MAIL_QUEUE = "mail"


@task(queue_name=MAIL_QUEUE)
def mail_deliver(mail_id: int) -> str:
    """Send one queued message; retries are new tasks scheduled by the delivery."""
    from .delivery import deliver  # the delivery imports this module to re-enqueue

    return deliver(mail_id)
