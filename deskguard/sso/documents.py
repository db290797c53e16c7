"""A provider's discovery document and key set (JWKS), cached in the database (I3).

Why the database and not Django's cache framework: the cache must be shared by
every server process (the default local-memory cache is per process, so each
gunicorn worker would fetch on its own), and the database is the one shared
service deskguard already has; the circuit breaker's state lives in the same row.
A start costs one SELECT of that row instead of an HTTP round trip.

- Both documents are reused for SSO_METADATA_CACHE_SECONDS, then fetched again
  through the breaker (breaker.provider_call).
- An expired copy is still used, for up to STALE_FOR, while a fresh one cannot be
  had (provider down, breaker open, all call slots busy): the provider's outage
  then costs its sign-ins, not every request that happens to find the copy expired.
- An ID token signed with a key id the cached set lacks (the provider rotated its
  keys) fetches the set again, at most once per KEYS_REFETCH_INTERVAL per provider
  across all processes, so forged tokens cannot turn callbacks into JWKS requests.
- Saving a provider in Admin Settings drops its row (`provider_cache_clear`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .breaker import provider_call, provider_state
from .errors import Reason, SSOError
from .models import ProviderState, SSOProvider

# How long past its expiry a copy may stand in while the provider cannot be reached.
STALE_FOR = timedelta(days=1)
# At most one refetch a minute for unknown key ids (the node-jwks-rsa library allows
# 10 a minute by default; providers announce new keys well before they use them).
KEYS_REFETCH_INTERVAL = timedelta(minutes=1)
# Raised when a refresh fails; an older copy may then stand in.
REFRESH_FAILURES = (SSOError, requests.RequestException)


def _ttl() -> timedelta:
    return timedelta(seconds=settings.SSO_METADATA_CACHE_SECONDS)


def _fetch_json(provider: SSOProvider, url: str) -> dict[str, Any]:
    with provider_call(provider):
        response = requests.get(
            url, timeout=float(settings.SSO_HTTP_TIMEOUT), headers={"Accept": "application/json"}
        )
        response.raise_for_status()
        document = response.json()
    if not isinstance(document, dict):
        raise SSOError(Reason.PROVIDER_ERROR, error="not_a_json_object")
    return document


def _copy(
    state: ProviderState,
    provider: SSOProvider,
    document: Any,
    fetched: datetime | None,
    *,
    max_age: timedelta,
) -> dict[str, Any] | None:
    """The cached `document` if it is this provider's and younger than `max_age`."""
    if not isinstance(document, dict) or fetched is None:
        return None
    if state.source != provider.discovery_url or timezone.now() - fetched >= max_age:
        return None
    return dict(document)


def provider_metadata(provider: SSOProvider) -> dict[str, Any]:
    """The provider's discovery document. Raises SSOError or a `requests` exception."""
    state = provider_state(provider)
    cached = state.metadata, state.metadata_fetched_at
    fresh = _copy(state, provider, *cached, max_age=_ttl())
    if fresh is not None:
        return fresh
    try:
        metadata = _fetch_json(provider, provider.discovery_url)
    except REFRESH_FAILURES:
        stale = _copy(state, provider, *cached, max_age=_ttl() + STALE_FOR)
        if stale is not None:
            return stale
        raise
    # OpenID Connect Discovery 4.3: the document must name the issuer we asked,
    # otherwise an ID token from another issuer could pass the `iss` check.
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer_url:
        raise SSOError(Reason.MISCONFIGURED, error="issuer_mismatch")
    changes: dict[str, Any] = {"metadata": metadata, "metadata_fetched_at": timezone.now()}
    if state.source != provider.discovery_url:
        # Keys cached for another discovery URL belong to another provider.
        changes.update(source=provider.discovery_url, jwks=None, jwks_fetched_at=None)
    ProviderState.objects.filter(pk=provider.pk).update(**changes)
    return metadata


def _keys_fetch(provider: SSOProvider, metadata: dict[str, Any]) -> dict[str, Any]:
    uri = metadata.get("jwks_uri")
    if not isinstance(uri, str) or not uri:
        raise SSOError(Reason.MISCONFIGURED, error="no_jwks_uri")
    keys = _fetch_json(provider, uri)
    ProviderState.objects.filter(pk=provider.pk).update(
        source=provider.discovery_url, jwks=keys, jwks_fetched_at=timezone.now()
    )
    return keys


def provider_keys(provider: SSOProvider, metadata: dict[str, Any]) -> dict[str, Any]:
    """The provider's key set, to verify ID tokens with."""
    state = provider_state(provider)
    cached = state.jwks, state.jwks_fetched_at
    fresh = _copy(state, provider, *cached, max_age=_ttl())
    if fresh is not None:
        return fresh
    try:
        return _keys_fetch(provider, metadata)
    except REFRESH_FAILURES:
        stale = _copy(state, provider, *cached, max_age=_ttl() + STALE_FOR)
        if stale is not None:
            return stale
        raise


def provider_keys_refetch(provider: SSOProvider, metadata: dict[str, Any]) -> dict[str, Any]:
    """The key set after an ID token named a key id the cached set lacks: fetched
    again if no refetch happened in the last KEYS_REFETCH_INTERVAL, else the cached set."""
    now = timezone.now()
    due = Q(jwks_forced_at__isnull=True) | Q(jwks_forced_at__lte=now - KEYS_REFETCH_INTERVAL)
    # One conditional UPDATE: of several processes seeing the same new key id, one refetches.
    if ProviderState.objects.filter(due, pk=provider.pk).update(jwks_forced_at=now):
        return _keys_fetch(provider, metadata)
    return provider_keys(provider, metadata)


def provider_cache_clear(provider: SSOProvider) -> None:
    """Forget the provider's documents and failures: an administrator changed it."""
    ProviderState.objects.filter(pk=provider.pk).delete()
