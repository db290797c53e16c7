"""Database-backed throttling (C5): counting, locking and clearing `Key`s.

A row per key counts consecutive failures. Callers lock the rows for the length
of one attempt (`throttle_lock`), so concurrent attempts against one account are
serialized across processes and a burst cannot slip past the delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Throttle
from .rules import Key, Rule


@dataclass(frozen=True)
class State:
    key: str
    rule: Rule
    failures: int
    last_failure_at: datetime | None

    @property
    def locked(self) -> bool:
        return self.rule.lock_after is not None and self.failures >= self.rule.lock_after

    def blocked_until(self, now: datetime) -> datetime | None:
        """When the next attempt is allowed, or None if it is allowed now."""
        if self.last_failure_at is None or self.failures < self.rule.free_failures:
            return None
        exponent = min(self.failures - self.rule.free_failures, 20)
        delay = min(self.rule.base_delay * (2**exponent), self.rule.max_delay)
        until = self.last_failure_at + delay
        return until if until > now else None


def _ensure(key: str) -> None:
    if not Throttle.objects.filter(key=key).exists():
        try:
            with transaction.atomic():
                Throttle.objects.create(key=key)
        except IntegrityError:
            pass  # another process created it first


def _state(row: Throttle, rule: Rule, now: datetime) -> State:
    failures = row.failures
    if rule.forget_after and row.last_failure_at and now - row.last_failure_at >= rule.forget_after:
        failures = 0
    return State(row.key, rule, failures, row.last_failure_at)


def throttle_peek(key: Key) -> State:
    """The state without a lock, for limits where a burst of a few concurrent
    attempts past the threshold is acceptable (per client address)."""
    row = Throttle.objects.filter(key=key.key).first()
    return _state(row, key.rule, timezone.now()) if row else State(key.key, key.rule, 0, None)


def throttle_count(state: State) -> None:
    """Count one failure without holding a lock: one atomic UPDATE either restarts a
    forgotten count or adds one, so concurrent counts are never lost."""
    _ensure(state.key)
    now = timezone.now()
    rows = Throttle.objects.filter(key=state.key)
    if state.rule.forget_after:
        restarted = rows.filter(last_failure_at__lte=now - state.rule.forget_after).update(
            failures=1, last_failure_at=now
        )
        if restarted:
            return
    rows.update(failures=F("failures") + 1, last_failure_at=now)


def throttle_lock(*keys: Key) -> list[State]:
    """Lock the rows of `keys` (in sorted order, so two callers never deadlock) and
    return their states in the order given. Call inside `transaction.atomic()`."""
    for key in keys:
        _ensure(key.key)
    wanted = [key.key for key in keys]
    rows = {
        row.key: row
        for row in Throttle.objects.select_for_update().filter(key__in=wanted).order_by("key")
    }
    now = timezone.now()
    return [_state(rows[key.key], key.rule, now) for key in keys]


def throttle_fail(state: State) -> State:
    """Count one failure (or, for rate limits, one use) against the locked row."""
    now = timezone.now()
    failures = state.failures + 1
    Throttle.objects.filter(key=state.key).update(failures=failures, last_failure_at=now)
    return State(state.key, state.rule, failures, now)


def throttle_clear(key: Key) -> None:
    Throttle.objects.filter(key=key.key).update(failures=0, last_failure_at=None)


def retry_message(retry_at: datetime) -> str:
    """What a throttled user reads (C5): when to retry, as a time and a duration."""
    seconds = max(1, int((retry_at - timezone.now()).total_seconds()))
    when = timezone.localtime(retry_at).strftime("%H:%M:%S %Z")
    return f"Too many attempts. Try again after {when} (in about {seconds} seconds)."
