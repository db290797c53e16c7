"""Delete throttle rows that no longer hold anything back, and expired security-key
challenges (run daily, e.g. from cron).

Password and reset counters are forgotten after a quiet day anyway; a second-factor
counter is kept while it holds failures, because its hard lock must not lapse.

J4: rows go in batches of a few hundred, each its own short transaction, walking the
table by id: a sign-in that locks its throttle row never waits behind one huge
DELETE, and rows a sign-in holds right now are skipped (on PostgreSQL) rather than
waited for. A run that stops halfway is simply run again.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from deskguard.limits.models import Throttle
from deskguard.limits.rules import KEPT_WHILE_FAILING
from deskguard.twofactor.keys import challenges_purge

BATCH_SIZE = 500
REPORT_EVERY_SECONDS = 5.0


def idle_rows(now: Any) -> Q:
    quiet_since = now - timedelta(days=1)
    kept = Q()
    for limit in KEPT_WHILE_FAILING:
        kept |= Q(key__startswith=f"{limit.prefix}:")
    return Q(failures=0) | (Q(last_failure_at__lt=quiet_since) & ~kept)


class Command(BaseCommand):
    help = "Delete idle throttle rows (empty counters, and rate-limit rows quiet for a day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"rows per transaction (default {BATCH_SIZE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000.")
        # K2: security-key challenges nobody answered (each lives a few minutes).
        self.stdout.write(f"Deleted {challenges_purge()} expired security-key challenge(s).")
        idle = idle_rows(timezone.now())
        deleted, last_pk, last_report = 0, 0, time.monotonic()
        while True:
            with transaction.atomic():
                # The condition is checked again under the lock, by the DELETE itself.
                pks = list(
                    Throttle.objects.select_for_update(skip_locked=True)
                    .filter(idle, pk__gt=last_pk)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:batch_size]
                )
                if not pks:
                    break
                last_pk = pks[-1]
                count, _ = Throttle.objects.filter(idle, pk__in=pks).delete()
                deleted += count
            if time.monotonic() - last_report >= REPORT_EVERY_SECONDS:
                last_report = time.monotonic()
                self.stdout.write(f"Deleted {deleted} idle throttle row(s) so far ...")
        self.stdout.write(f"Deleted {deleted} idle throttle row(s).")
