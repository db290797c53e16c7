"""Put back in the queue the messages a dead worker left "sending" (run it from cron
every few minutes; every delivery also does it on its way)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from deskguard.outbox.delivery import mail_requeue_stale


class Command(BaseCommand):
    help = "Requeue messages left 'sending' by a worker that died."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Requeued {mail_requeue_stale()} message(s).")
