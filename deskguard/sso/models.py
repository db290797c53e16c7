"""SSO providers configured by an administrator (A4).

Google- and Microsoft-style social buttons are OpenID Connect providers too; the
kind only changes the button and the suggested issuer. The client secret is kept
encrypted with the same MultiFernet keys as TOTP secrets (F1).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskguard.accounts.portal import Portal
from deskguard.crypto import secret_decrypt, secret_encrypt

WELL_KNOWN = "/.well-known/openid-configuration"
DEFAULT_SCOPES = "openid email profile"


class ProviderKind(models.TextChoices):
    CUSTOM = "custom", _("Custom OpenID Connect")
    GOOGLE = "google", _("Google-style social login")
    MICROSOFT = "microsoft", _("Microsoft-style social login")


class ProviderPortals(models.TextChoices):
    AGENT = "agent", _("Agent Portal")
    CUSTOMER = "customer", _("Customer Portal")
    BOTH = "both", _("Both portals")


class SSOProvider(models.Model):
    name = models.CharField(max_length=100)
    # The slug is part of the callback URL registered at the provider and of the
    # audit method "sso:<slug>" (C8).
    slug = models.SlugField(max_length=50, unique=True)
    kind = models.CharField(
        max_length=10, choices=ProviderKind.choices, default=ProviderKind.CUSTOM
    )
    # The issuer ("https://accounts.google.com") or its full discovery URL.
    issuer = models.URLField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField(blank=True)
    scopes = models.CharField(max_length=255, default=DEFAULT_SCOPES)
    portals = models.CharField(
        max_length=10, choices=ProviderPortals.choices, default=ProviderPortals.BOTH
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "SSO provider"

    def __str__(self) -> str:
        return self.name

    @property
    def method(self) -> str:
        """The sign-in method recorded in the audit log (C8)."""
        return f"sso:{self.slug}"

    @property
    def issuer_url(self) -> str:
        return self.issuer.removesuffix(WELL_KNOWN).rstrip("/")

    @property
    def discovery_url(self) -> str:
        return self.issuer_url + WELL_KNOWN

    @property
    def scope_list(self) -> list[str]:
        # Without "openid" the provider sends no ID token and nothing is verified.
        scopes = self.scopes.split()
        return scopes if "openid" in scopes else ["openid", *scopes]

    @property
    def has_client_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    def client_secret_set(self, plaintext: str) -> None:
        self.client_secret_encrypted = secret_encrypt(plaintext) if plaintext else ""

    def client_secret_get(self) -> str:
        """Raises deskguard.crypto.InvalidToken when no configured key decrypts it."""
        return secret_decrypt(self.client_secret_encrypted) if self.client_secret_encrypted else ""

    def shown_on(self, portal: Portal) -> bool:
        return self.portals in {ProviderPortals.BOTH, portal.value}


class ProviderState(models.Model):
    """What deskguard remembers about a provider between requests (I3), in the
    database so that every server process on every machine shares it: the
    discovery document and key set (a cache, dropped when an administrator saves
    the provider) and the provider's recent failures (the circuit breaker)."""

    provider = models.OneToOneField(
        SSOProvider, on_delete=models.CASCADE, primary_key=True, related_name="state"
    )
    # The discovery URL the cached documents came from: if the issuer changes by
    # any path, the old provider's endpoints and keys are never used for the new one.
    source = models.CharField(max_length=600, blank=True)
    metadata = models.JSONField(null=True)
    metadata_fetched_at = models.DateTimeField(null=True)
    jwks = models.JSONField(null=True)
    jwks_fetched_at = models.DateTimeField(null=True)
    # The last refetch of the keys for an ID token with an unknown key id.
    jwks_forced_at = models.DateTimeField(null=True)
    # Consecutive failed calls; at SSO_BREAKER_FAILURES calls fail fast until open_until.
    failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "SSO provider state"

    def __str__(self) -> str:
        return f"state of provider {self.pk}"


class ProviderCallSlot(models.Model):
    """One of the SSO_MAX_CONCURRENT_CALLS calls that may wait on a provider at once,
    across all processes (I3). A call takes a free slot with a conditional UPDATE and
    gives it back when it ends; `held_until` is a lease, so the slot of a process
    that died mid-call frees itself."""

    provider = models.ForeignKey(SSOProvider, on_delete=models.CASCADE, related_name="slots")
    number = models.PositiveSmallIntegerField()
    holder = models.CharField(max_length=32, blank=True)
    held_until = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "number"], name="sso_slot_unique")
        ]

    def __str__(self) -> str:
        return f"call slot {self.number} of provider {self.provider_id}"
