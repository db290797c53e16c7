"""The one table behind every rate limit (C5)."""

from __future__ import annotations

from django.db import models


class Throttle(models.Model):
    """Consecutive failures (or uses) for one key, shared by every server process
    because it lives in the database. Keys are built only by `Limit.key`."""

    key = models.CharField(max_length=100, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
