"""J3: delete the files of expired audit exports (run hourly or daily, e.g. from cron,
next to purge_throttles), and fail exports whose worker stopped halfway."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from deskguard.audit.exports import audit_exports_purge


class Command(BaseCommand):
    help = "Delete expired audit export files and fail exports abandoned by their worker."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_exports_purge()
        self.stdout.write(
            f"Removed {result.expired} expired export file(s); "
            f"{result.stale} abandoned export(s) marked failed."
        )
