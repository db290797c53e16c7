"""SSO providers configured by an administrator (A4).

Google- and Microsoft-style social buttons are OpenID Connect providers too; the
kind only changes the button and the suggested issuer. The client secret is kept
encrypted with the same MultiFernet keys as TOTP secrets (F1).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from deskguard.accounts.portal import Portal
from deskguard.crypto import secret_decrypt, secret_encrypt

WELL_KNOWN = "/.well-known/openid-configuration"
DEFAULT_SCOPES = "openid email profile"


class ProviderKind(models.TextChoices):
    CUSTOM = "custom", "Custom OpenID Connect"
    GOOGLE = "google", "Google-style social login"
    MICROSOFT = "microsoft", "Microsoft-style social login"


class ProviderPortals(models.TextChoices):
    AGENT = "agent", "Agent Portal"
    CUSTOMER = "customer", "Customer Portal"
    BOTH = "both", "Both portals"


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
