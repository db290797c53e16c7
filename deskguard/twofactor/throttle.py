"""Database-backed throttling (C5).

A row per key counts consecutive failures. Callers lock the rows for the length
of one attempt (`throttle_lock`), so concurrent attempts against one account are
serialized across processes and a burst cannot slip past the delay.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Throttle


@dataclass(frozen=True)
class Rule:
    free_failures: int  # failures allowed before delays start
    base_delay: timedelta  # delay after the first throttled failure; doubles after
    max_delay: timedelta
    lock_after: int | None = None  # hard lock, lifted only by an explicit reset
    forget_after: timedelta | None = None  # a quiet period that clears the count


# C5: 5 free tries, then 30 s doubling to a 15-minute cap; after 100 consecutive
# failures the second factor locks (NIST SP 800-63B 5.2.2 caps failed attempts at 100).
SECOND_FACTOR = Rule(5, timedelta(seconds=30), timedelta(minutes=15), lock_after=100)
# Passwords: per account as above but without a hard lock (that would let anyone
# lock anyone out); per client address more generous for shared NATs.
PASSWORD_ACCOUNT = Rule(
    5, timedelta(seconds=30), timedelta(minutes=15), forget_after=timedelta(days=1)
)
PASSWORD_ADDRESS = Rule(
    20, timedelta(seconds=30), timedelta(minutes=15), forget_after=timedelta(days=1)
)
# Password-reset requests, counted whether or not the address has an account:
# 3 mails an hour per address typed, 10 requests before delays per client address.
RESET_EMAIL = Rule(3, timedelta(minutes=20), timedelta(hours=1), forget_after=timedelta(hours=1))
RESET_ADDRESS = Rule(
    10, timedelta(minutes=1), timedelta(minutes=30), forget_after=timedelta(hours=1)
)


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


def hashed_key(prefix: str, value: str) -> str:
    """Keys for e-mails and addresses are hashed: the table must not become a
    list of every address anyone ever typed."""
    return f"{prefix}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


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


def throttle_peek(key: str, rule: Rule) -> State:
    """The state without a lock, for limits where a burst of a few concurrent
    attempts past the threshold is acceptable (per client address)."""
    row = Throttle.objects.filter(key=key).first()
    return _state(row, rule, timezone.now()) if row else State(key, rule, 0, None)


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


def throttle_lock(rules: dict[str, Rule]) -> dict[str, State]:
    """Lock the rows of `rules`' keys (sorted, so two callers never deadlock) and
    return their state. Call inside `transaction.atomic()`."""
    for key in rules:
        _ensure(key)
    rows = Throttle.objects.select_for_update().filter(key__in=rules).order_by("key")
    now = timezone.now()
    return {row.key: _state(row, rules[row.key], now) for row in rows}


def throttle_fail(state: State) -> State:
    """Count one failure (or, for rate limits, one use) against the locked row."""
    now = timezone.now()
    failures = state.failures + 1
    Throttle.objects.filter(key=state.key).update(failures=failures, last_failure_at=now)
    return State(state.key, state.rule, failures, now)


def throttle_clear(key: str) -> None:
    Throttle.objects.filter(key=key).update(failures=0, last_failure_at=None)
