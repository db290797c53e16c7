"""The one table behind every rate limit (C5)."""

from __future__ import annotations

from django.db import models


class Throttle(models.Model):
    """Consecutive failures (or uses) for one key, shared by every server process
    because it lives in the database. Keys are built only by `Limit.of`.

    Every change is one conditional UPDATE (throttle.py), so the database decides
    races: no lock is held while a password is hashed."""

    key = models.CharField(max_length=100, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    # No attempt is judged before this time (None: not delayed).
    blocked_until = models.DateTimeField(null=True, blank=True)
    # I7: attempts refused while delayed are counted here, not written one by one.
    refused = models.PositiveIntegerField(default=0)
    refused_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
