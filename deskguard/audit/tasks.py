"""The export task, run by `manage.py db_worker` (django-tasks' database backend)."""

from __future__ import annotations

from django_tasks import task

EXPORT_QUEUE = "exports"


@task(queue_name=EXPORT_QUEUE)
def audit_export_task(export_id: int) -> int:
    """Write one audit export (J3); see audit/exports.py."""
    from .exports import audit_export_run  # exports.py imports this module to enqueue

    return audit_export_run(export_id)
