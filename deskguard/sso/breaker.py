"""Every call deskguard makes to a provider goes through `provider_call` (I3).

Two guards, both kept in the database so they hold across all server processes:

- A circuit breaker per provider. After SSO_BREAKER_FAILURES consecutive failed
  calls (timeouts, refused connections, error statuses, unreadable answers) every
  call fails at once for SSO_BREAKER_COOLDOWN seconds. Then exactly one caller
  wins a trial call (a conditional UPDATE that pushes the cool-down forward, so a
  trial whose process dies simply reopens it): success closes the breaker, failure
  reopens it. A provider that answers with an OAuth error ("invalid_grant") has
  answered: that is a success here, so a visitor sending bogus codes cannot open
  the breaker for everyone.
- A bound on waiting: at most SSO_MAX_CONCURRENT_CALLS calls to one provider at a
  time, across every process and machine (leased slot rows); a call that finds
  them all taken fails at once ("busy"). With gunicorn's sync workers a process
  serves one request at a time, so a per-process limit would bound nothing: with
  W workers and a bound of K, a provider that hangs can hold at most K workers,
  and W - K keep serving every other page (before the breaker opens; after that,
  one trial every cool-down).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .errors import Reason, SSOError
from .models import ProviderCallSlot, ProviderState, SSOProvider


def provider_state(provider: SSOProvider) -> ProviderState:
    """The provider's row, created on first use (a race is settled by the primary key)."""
    state, _ = ProviderState.objects.get_or_create(provider=provider)
    return state


def _cooldown() -> timedelta:
    return timedelta(seconds=settings.SSO_BREAKER_COOLDOWN)


def _breaker_admit(provider: SSOProvider) -> None:
    """Raise at once while the breaker is open; after the cool-down let one trial through."""
    row = ProviderState.objects.filter(pk=provider.pk).values_list("failures", "open_until")
    failures, open_until = row.first() or (0, None)
    if failures < settings.SSO_BREAKER_FAILURES:
        return
    now = timezone.now()
    if open_until is not None and open_until > now:
        raise SSOError(Reason.PROVIDER_UNREACHABLE, error="circuit_open")
    # Half-open: of all the requests that see the cool-down over, the one whose
    # UPDATE still finds the value it read makes the trial call.
    unchanged = Q(open_until=open_until) if open_until else Q(open_until__isnull=True)
    won = ProviderState.objects.filter(unchanged, pk=provider.pk).update(
        open_until=now + _cooldown()
    )
    if not won:
        raise SSOError(Reason.PROVIDER_UNREACHABLE, error="circuit_open")


def _breaker_failed(provider: SSOProvider) -> None:
    provider_state(provider)
    rows = ProviderState.objects.filter(pk=provider.pk)
    rows.update(failures=F("failures") + 1)
    rows.filter(failures__gte=settings.SSO_BREAKER_FAILURES).update(
        open_until=timezone.now() + _cooldown()
    )


def _breaker_succeeded(provider: SSOProvider) -> None:
    # No write when there is nothing to reset: the common case costs one cheap UPDATE.
    ProviderState.objects.filter(pk=provider.pk).exclude(failures=0, open_until=None).update(
        failures=0, open_until=None
    )


def _lease_end(now: datetime) -> datetime:
    """How long a slot stays taken if its process dies mid-call: a call is a connect
    and a read, each up to SSO_HTTP_TIMEOUT, so three times that is past any live call."""
    return now + timedelta(seconds=3 * float(settings.SSO_HTTP_TIMEOUT))


def _slot_take(provider: SSOProvider) -> str:
    bound = settings.SSO_MAX_CONCURRENT_CALLS
    slots = ProviderCallSlot.objects.filter(provider=provider, number__lt=bound)
    if slots.count() < bound:
        ProviderCallSlot.objects.bulk_create(
            [ProviderCallSlot(provider=provider, number=n) for n in range(bound)],
            ignore_conflicts=True,
        )
    now = timezone.now()
    free = Q(holder="") | Q(held_until__lt=now)
    holder = secrets.token_hex(16)
    for number in slots.filter(free).values_list("number", flat=True):
        # Another process may take the same slot between the read and here; the
        # UPDATE re-checks that it is free, so exactly one of them gets it.
        taken = slots.filter(free, number=number).update(holder=holder, held_until=_lease_end(now))
        if taken:
            return holder
    raise SSOError(Reason.PROVIDER_UNREACHABLE, error="busy")


def _slot_give_back(provider: SSOProvider, holder: str) -> None:
    # Matched on the holder: a slot whose lease ran out and was taken by another
    # call is not freed by this late one.
    ProviderCallSlot.objects.filter(provider=provider, holder=holder).update(
        holder="", held_until=None
    )


@contextmanager
def provider_call(provider: SSOProvider) -> Iterator[None]:
    """Guard one HTTP call to `provider`: raises SSOError(PROVIDER_UNREACHABLE) at once
    when the breaker is open or the provider has all the waiting calls it may have;
    records the call's outcome for the breaker. A `requests` exception is the
    provider's failure; anything else means it answered."""
    _breaker_admit(provider)
    holder = _slot_take(provider)
    failed = False
    try:
        yield
    except requests.RequestException:
        failed = True
        raise
    finally:
        _slot_give_back(provider, holder)
        if failed:
            _breaker_failed(provider)
        else:
            _breaker_succeeded(provider)
