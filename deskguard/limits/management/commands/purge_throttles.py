"""Delete throttle rows that no longer hold anything back (run daily, e.g. from cron).

Password and reset counters are forgotten after a quiet day anyway; a second-factor
counter is kept while it holds failures, because its hard lock must not lapse.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from deskguard.limits.models import Throttle
from deskguard.limits.rules import KEPT_WHILE_FAILING


class Command(BaseCommand):
    help = "Delete idle throttle rows (empty counters, and rate-limit rows quiet for a day)."

    def handle(self, *args: Any, **options: Any) -> None:
        quiet_since = timezone.now() - timedelta(days=1)
        kept = Q()
        for limit in KEPT_WHILE_FAILING:
            kept |= Q(key__startswith=f"{limit.prefix}:")
        idle = Q(failures=0) | (Q(last_failure_at__lt=quiet_since) & ~kept)
        deleted, _ = Throttle.objects.filter(idle).delete()
        self.stdout.write(f"Deleted {deleted} idle throttle row(s).")
