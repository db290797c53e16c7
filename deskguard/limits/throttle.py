"""Database-backed throttling (C5, I1, I7, I8): every decision is one conditional
UPDATE, so concurrent attempts in any number of processes are counted exactly and no
lock is held while a password is hashed (the Argon2 work happens between statements).

Two ways to count, by the cost of the check they guard:
- expensive checks (a password): `throttle_reserve` counts the attempt *before* the
  check, if the limit allows one now, then `throttle_settle_*` records the outcome;
- cheap checks (a 6-digit code): `throttle_fail` counts a failure after the check,
  in one statement that also refuses it when the limit was reached meanwhile, and
  `open_q` lets a success be accepted only while the limit is open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Case, DateTimeField, Exists, F, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import ngettext

from .models import Throttle
from .rules import Key, Rule


@dataclass(frozen=True)
class State:
    key: Key
    failures: int = 0
    blocked_until: datetime | None = None
    last_failure_at: datetime | None = None
    refused: int = 0
    refused_since: datetime | None = None
    exists: bool = False

    def forgotten(self, now: datetime) -> bool:
        forget = self.key.rule.forget_after
        return bool(forget and self.last_failure_at and now - self.last_failure_at >= forget)

    @property
    def locked(self) -> bool:
        lock_after = self.key.rule.lock_after
        return lock_after is not None and self.failures >= lock_after

    def retry_at(self, now: datetime) -> datetime | None:
        """When the next attempt is allowed, or None if it is allowed now."""
        if self.failures < self.key.rule.free_failures or self.forgotten(now):
            return None
        if self.blocked_until is None or self.blocked_until > now:
            # No end yet: an attempt is being judged; the usual delay is the best guess.
            delay = self.key.rule.delay(self.failures) or timedelta(0)
            return self.blocked_until or now + delay
        return None


def _forgotten_q(rule: Rule, now: datetime) -> Q:
    if rule.forget_after is None:
        return Q(pk__in=[])  # never
    return Q(last_failure_at__lte=now - rule.forget_after)


def open_q(rule: Rule, now: datetime, *, ignore_lock: bool = False) -> Q:
    """Rows whose limit lets an attempt be judged now."""
    allowed = Q(failures__lt=rule.free_failures) | Q(blocked_until__lte=now)
    allowed |= _forgotten_q(rule, now)
    if rule.lock_after is not None and not ignore_lock:
        allowed &= Q(failures__lt=rule.lock_after)
    return allowed


def _after_failures(rule: Rule, now: datetime, *, counted: int) -> Case:
    """`blocked_until` for a row that will hold `failures + counted` failures: the
    doubling delay as a CASE on the stored count, so one statement decides it."""
    whens = [When(failures__lt=rule.free_failures - counted, then=Value(None))]
    for step in range(rule.delay_steps()):
        delay = rule.delay(rule.free_failures + step)
        assert delay is not None
        whens.append(When(failures=rule.free_failures + step - counted, then=Value(now + delay)))
    return Case(*whens, default=Value(now + rule.max_delay), output_field=DateTimeField())


def _on(keys: Iterable[Key]) -> Q:
    return reduce(or_, (Q(key=key.key) for key in keys))


def throttle_closed(key: Key, *, ignore_lock: bool = False) -> Exists:
    """True (in SQL) while `key`'s limit refuses attempts: `.filter(~throttle_closed(k))`
    lets a cheap check's success count only while the limit is open, decided by the
    database in the same statement as the success (C3, C5)."""
    now = timezone.now()
    return Exists(
        Throttle.objects.filter(key=key.key).exclude(open_q(key.rule, now, ignore_lock=ignore_lock))
    )


def throttle_states(*keys: Key) -> list[State]:
    """The keys' states in one SELECT (in the order given; a missing row is empty)."""
    rows = {row.key: row for row in Throttle.objects.filter(_on(keys))}
    states = []
    for key in keys:
        row = rows.get(key.key)
        if row is None:
            states.append(State(key))
        else:
            states.append(
                State(
                    key,
                    row.failures,
                    row.blocked_until,
                    row.last_failure_at,
                    row.refused,
                    row.refused_since,
                    exists=True,
                )
            )
    return states


def throttle_create(*states: State) -> None:
    """Rows for keys seen for the first time (another process may create them too)."""
    missing = [Throttle(key=state.key.key) for state in states if not state.exists]
    if missing:
        Throttle.objects.bulk_create(missing, ignore_conflicts=True)


def throttle_reserve(*keys: Key) -> bool:
    """Count one attempt on every key, as a failure until settled, if every key's limit
    allows one now: one UPDATE whose row count decides. The count that reaches a limit
    also delays the key at once (until the attempt is settled), so concurrent attempts
    are refused, not judged. On False nothing was counted."""
    now = timezone.now()
    allowed = reduce(or_, (Q(key=key.key) & open_q(key.rule, now) for key in keys))
    # All or nothing: if one key refuses, the others' counts are rolled back. The
    # transaction holds the rows for one UPDATE only, never across a password check.
    with transaction.atomic():
        updated = Throttle.objects.filter(allowed).update(
            failures=Case(
                *[When(Q(key=k.key) & _forgotten_q(k.rule, now), then=Value(1)) for k in keys],
                default=F("failures") + 1,
            ),
            blocked_until=Case(
                *[
                    When(
                        Q(key=k.key) & Q(failures__gte=k.rule.free_failures - 1),
                        then=Value(now + k.rule.max_delay),
                    )
                    for k in keys
                ],
                default=F("blocked_until"),
                output_field=DateTimeField(),
            ),
        )
        if updated != len(keys):
            transaction.set_rollback(True)
    return updated == len(keys)


def throttle_settle_failure(*keys: Key) -> None:
    """The reserved attempt failed: it stays counted, and its delay starts now."""
    now = timezone.now()
    Throttle.objects.filter(_on(keys)).update(
        last_failure_at=now,
        blocked_until=Case(
            *[
                When(Q(key=k.key) & Q(failures__lt=k.rule.free_failures), then=Value(None))
                for k in keys
            ],
            *[
                When(Q(key=k.key) & Q(failures=k.rule.free_failures + step), then=Value(now + d))
                for k in keys
                for step in range(k.rule.delay_steps())
                if (d := k.rule.delay(k.rule.free_failures + step)) is not None
            ],
            *[When(key=k.key, then=Value(now + k.rule.max_delay)) for k in keys],
            output_field=DateTimeField(),
        ),
    )


def throttle_settle_success(*, clear: Iterable[Key] = (), refund: Iterable[Key] = ()) -> None:
    """The reserved attempt succeeded: `clear` keys start over (the account's count);
    `refund` keys give the attempt back (a client's count of failures). One UPDATE."""
    clear, refund = list(clear), list(refund)
    if not clear and not refund:
        return
    now = timezone.now()
    Throttle.objects.filter(_on(clear + refund)).update(
        failures=Case(
            *[When(key=k.key, then=Value(0)) for k in clear],
            default=Greatest(F("failures") - 1, Value(0)),
        ),
        # A reserved key was open before the attempt, so it is open again now.
        blocked_until=Case(
            *[When(key=k.key, then=Value(None)) for k in clear],
            default=Value(now),
            output_field=DateTimeField(),
        ),
    )


def throttle_fail(key: Key, *, ignore_lock: bool = False) -> bool:
    """Count one failure, with its delay, if the limit is open now (one UPDATE). False:
    the limit closed meanwhile (or the row is missing), and this failure was not judged."""
    now = timezone.now()
    updated = Throttle.objects.filter(
        Q(key=key.key) & open_q(key.rule, now, ignore_lock=ignore_lock)
    ).update(
        failures=Case(When(_forgotten_q(key.rule, now), then=Value(1)), default=F("failures") + 1),
        last_failure_at=now,
        blocked_until=_after_failures(key.rule, now, counted=1),
    )
    return updated == 1


def throttle_clear(key: Key) -> None:
    Throttle.objects.filter(key=key.key).exclude(failures=0, blocked_until=None).update(
        failures=0, blocked_until=None
    )


def throttle_refused(state: State) -> None:
    """I7: one more attempt refused while delayed, counted on the row (no audit row)."""
    Throttle.objects.filter(key=state.key.key).update(
        refused=F("refused") + 1, refused_since=Coalesce(F("refused_since"), Value(timezone.now()))
    )


def throttle_refusals_reported(state: State) -> None:
    """The refusals counted in `state` are in the audit log now: take them off the row
    (attempts refused meanwhile stay counted)."""
    Throttle.objects.filter(key=state.key.key).update(
        refused=Greatest(F("refused") - state.refused, Value(0)),
        refused_since=Case(
            When(refused__lte=state.refused, then=Value(None)),
            default=F("refused_since"),
            output_field=DateTimeField(),
        ),
    )


def retry_message(retry_at: datetime) -> str:
    """What a throttled user reads (C5): when to retry, as a time and a duration."""
    seconds = max(1, int((retry_at - timezone.now()).total_seconds()))
    when = timezone.localtime(retry_at).strftime("%H:%M:%S %Z")
    return ngettext(
        "Too many attempts. Try again after %(when)s (in about %(seconds)d second).",
        "Too many attempts. Try again after %(when)s (in about %(seconds)d seconds).",
        seconds,
    ) % {"when": when, "seconds": seconds}
