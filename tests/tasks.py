"""Running the task queue inside a test, as `manage.py db_worker --batch` would.

The real worker closes "old" database connections between tasks, which would close
the connection holding a test's transaction; this runs the same claim and the same
`Worker.run_task` in the test's thread and connection instead.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

WORKER_ID = "pytest"


def run_queued_tasks(*, limit: int = 1000) -> int:
    """Run every task that is due now (retries scheduled later stay queued)."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=WORKER_ID,
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        with transaction.atomic():
            task = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if task is None:
                break
            task.claim(WORKER_ID)
        worker.run_task(task)
        ran += 1
    return ran
