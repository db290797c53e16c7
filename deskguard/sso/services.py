"""Provider administration (A4, D5): every change is recorded, never the secret."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from deskguard.accounts.models import User
from deskguard.accounts.portal import Portal
from deskguard.audit.models import Event
from deskguard.crypto import InvalidToken, secret_is_current, secret_rotate
from deskguard.events import security_event

from .documents import provider_cache_clear
from .models import ProviderPortals, SSOProvider


@dataclass(frozen=True)
class ProviderSettings:
    """Everything an administrator sets on a provider except the client secret."""

    name: str
    slug: str
    kind: str
    issuer: str
    client_id: str
    scopes: str
    portals: str
    enabled: bool


def sso_providers_for_portal(*, portal: Portal) -> QuerySet[SSOProvider]:
    """Enabled providers whose button the portal's sign-in page shows. Database
    only: the sign-in page never contacts a provider, so one that is down cannot
    slow password sign-in."""
    return SSOProvider.objects.filter(
        enabled=True, portals__in=[portal.value, ProviderPortals.BOTH]
    ).order_by("name", "pk")


def _record(
    *,
    provider: SSOProvider,
    action: str,
    by: User,
    changed: list[str],
    request: HttpRequest | None,
) -> None:
    security_event(
        event=Event.SSO_PROVIDER_CHANGED,
        request=request,
        actor=by,
        detail={"action": action, "provider": provider.slug, "changed": changed},
    )


@transaction.atomic
def sso_provider_create(
    *,
    settings: ProviderSettings,
    client_secret: str,
    by: User,
    request: HttpRequest | None = None,
) -> SSOProvider:
    provider = SSOProvider(**asdict(settings))
    provider.client_secret_set(client_secret)
    provider.save()
    changed = sorted(asdict(settings)) + (["client_secret"] if client_secret else [])
    _record(provider=provider, action="created", by=by, changed=changed, request=request)
    return provider


@transaction.atomic
def sso_provider_update(
    *,
    provider: SSOProvider,
    settings: ProviderSettings,
    client_secret: str | None,
    by: User,
    request: HttpRequest | None = None,
) -> SSOProvider:
    """`client_secret=None` keeps the stored secret (the form never shows it back)."""
    changed = [
        field for field, value in asdict(settings).items() if getattr(provider, field) != value
    ]
    for field, value in asdict(settings).items():
        setattr(provider, field, value)
    if client_secret is not None:
        provider.client_secret_set(client_secret)
        changed.append("client_secret")
    provider.save()
    # I3: the cached discovery document, keys and failures were about the provider as
    # it was; the next sign-in fetches afresh and the breaker starts closed.
    provider_cache_clear(provider)
    # The detail names the fields that changed, never their secret value.
    _record(provider=provider, action="updated", by=by, changed=sorted(changed), request=request)
    return provider


@transaction.atomic
def sso_provider_delete(
    *, provider: SSOProvider, by: User, request: HttpRequest | None = None
) -> None:
    _record(provider=provider, action="deleted", by=by, changed=[], request=request)
    provider.delete()


def sso_provider_rotate_secrets() -> tuple[int, list[str]]:
    """Re-encrypt every stored client secret under the newest key (F1), for the
    key-rotation command: one compare-and-set UPDATE per provider, no lock held across
    providers, a secret already under the newest key skipped (J4). Returns how many
    were re-encrypted and the slugs of those no configured key decrypts."""
    count, undecryptable = 0, []
    rows = SSOProvider.objects.exclude(client_secret_encrypted="").order_by("pk")
    for pk, slug, token in rows.values_list("pk", "slug", "client_secret_encrypted"):
        if secret_is_current(token):
            continue
        try:
            rotated = secret_rotate(token)
        except InvalidToken:
            undecryptable.append(slug)
            continue
        count += SSOProvider.objects.filter(pk=pk, client_secret_encrypted=token).update(
            client_secret_encrypted=rotated
        )
    return count, undecryptable
