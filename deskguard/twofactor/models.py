"""Second-factor storage: small models, no crypto here (see totp.py, recovery.py,
webauthn.py)."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar, cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FactorKind(models.TextChoices):
    APP = "app", _("Authenticator app")
    KEY = "key", _("Security key")


class SecondFactor(models.Model):
    """One second factor of an account (K1): its authenticator app (at most one) or
    one of its security keys / passkeys (any number, each named by its holder). A
    factor exists only once confirmed: a secret being enrolled lives, encrypted, in
    the enrolling session, and a key only after the browser's registration verified.
    2FA is on for an account that has any factor (policy.twofactor_active)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="second_factors"
    )
    kind = models.CharField(max_length=3, choices=FactorKind.choices)
    # The holder's name for a key ("YubiKey on my keyring"); empty for the app.
    name = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    # App: the TOTP secret, encrypted (F1), and C3's last accepted 30-second time step.
    # A code is accepted only through UPDATE ... WHERE last_step < :step, so the
    # database decides replays and races.
    secret_encrypted = models.TextField(blank=True)
    last_step = models.BigIntegerField(default=0)

    # Key: what py_webauthn verified at registration. The credential id (base64url) is
    # unique across the helpdesk, so one key cannot be registered twice; the sign
    # count only grows (UPDATE ... WHERE sign_count < :new), a lower one is a clone.
    credential_id = models.CharField(max_length=1400, blank=True)
    public_key = models.BinaryField(null=True, blank=True)
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(kind="app"), name="second_factor_one_app"
            ),
            models.UniqueConstraint(
                fields=["credential_id"],
                condition=Q(kind="key"),
                name="second_factor_credential_unique",
            ),
            models.CheckConstraint(
                condition=(Q(kind="app") & ~Q(secret_encrypted=""))
                | (Q(kind="key") & ~Q(credential_id="") & Q(public_key__isnull=False)),
                name="second_factor_kind_fields",
            ),
        ]

    # On a proxy of one kind: the kind its new rows get, and the only rows it manages.
    proxy_kind: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A new row (keyword arguments) of a proxy is of its kind; one read from the
        # database (positional values) keeps the kind it has.
        if not args and self.proxy_kind is not None:
            kwargs.setdefault("kind", self.proxy_kind)
        super().__init__(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of user {self.user_id}"

    @property
    def label(self) -> str:
        """What the holder reads in lists and mails."""
        return self.name or str(self.get_kind_display())


_F = TypeVar("_F", bound=SecondFactor)


class _KindManager(models.Manager[_F]):
    """The rows of the proxy's kind (`SecondFactor.proxy_kind`)."""

    def get_queryset(self) -> models.QuerySet[_F]:
        return super().get_queryset().filter(kind=self.model.proxy_kind)


class TOTPDevice(SecondFactor):
    """The account's authenticator app (B2): the factors of kind "app"."""

    proxy_kind = FactorKind.APP
    objects: ClassVar[_KindManager[TOTPDevice]] = cast("_KindManager[TOTPDevice]", _KindManager())

    class Meta:
        proxy = True


class SecurityKey(SecondFactor):
    """The account's security keys and passkeys (K1): the factors of kind "key"."""

    proxy_kind = FactorKind.KEY
    objects: ClassVar[_KindManager[SecurityKey]] = cast("_KindManager[SecurityKey]", _KindManager())

    class Meta:
        proxy = True


class WebAuthnChallenge(models.Model):
    """One challenge of a WebAuthn ceremony (K1, K2), single use: it is consumed by a
    DELETE ... RETURNING (services.challenge_consume), so of two replies that carry it
    the database lets exactly one through. It is bound to what asked for it: the
    pending sign-in (its nonce) or the signed-in session (registration,
    re-authentication), as a keyed hash, and dies after a few minutes; purge_throttles
    deletes the expired ones. At most CHALLENGES_PER_ACCOUNT live per account."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("Register a key")
        SIGNIN = "signin", _("Second step of a sign-in")
        REAUTH = "reauth", _("Re-authentication")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    binding = models.CharField(max_length=64)
    challenge = models.CharField(max_length=64, unique=True)  # base64url of 32 bytes
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="webauthn_challenge_user"),
            models.Index(fields=["expires_at"], name="webauthn_challenge_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} challenge of user {self.user_id}"


class RecoveryCode(models.Model):
    """F2: only an HMAC-SHA256 of the normalized code is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code of user {self.user_id}"


class SecurityPolicy(models.Model):
    """Administrator policies (D1, D2), one row (pk=1, created by a migration). Read
    from the database on every request that needs it (policy.policy_current), so a
    change holds in every process at once."""

    agents_enforce_2fa = models.BooleanField(default=False)
    contacts_allow_2fa = models.BooleanField(default=True)
    contacts_enforce_2fa = models.BooleanField(default=False)
    sso_create_contacts = models.BooleanField(default=False)
    # K4: whether security keys are offered (to add; keys already added keep working).
    agents_allow_keys = models.BooleanField(default=True)
    contacts_allow_keys = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "security policy"

    def __str__(self) -> str:
        return "security policy"


class AdoptionCount(models.Model):
    """J5: how many active accounts of a kind there are and how many have 2FA, kept by
    database triggers (migrations 0004, 0005) in the same transaction as every change
    that moves the numbers: account created, deleted, (de)activated or changing kind,
    an account's first factor added or its last removed, through any code path (bulk
    inserts and raw SQL included). The adoption overview adds up a few of these rows
    instead of reading every account. Each kind is split over SHARDS rows (by account
    id), so concurrent sign-ups and enrolments rarely wait on the same row lock."""

    SHARDS = 16

    kind = models.CharField(max_length=10)
    shard = models.PositiveSmallIntegerField()
    total = models.BigIntegerField(default=0)
    with_2fa = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "shard"], name="adoption_kind_shard_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} shard {self.shard}: {self.with_2fa}/{self.total}"
