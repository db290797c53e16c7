"""Second-factor storage: small models, no crypto here (see totp.py, recovery.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TOTPDevice(models.Model):
    """The account's confirmed authenticator. It exists only once verified (B2):
    a secret being enrolled lives, encrypted, in the enrolling session."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret_encrypted = models.TextField()
    # C3: the last accepted 30-second time step. A code is accepted only through
    # UPDATE ... WHERE last_step < :step, so the database decides replays and races.
    last_step = models.BigIntegerField(default=0)
    confirmed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"TOTP device of user {self.user_id}"


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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "security policy"

    def __str__(self) -> str:
        return "security policy"


class AdoptionCount(models.Model):
    """J5: how many active accounts of a kind there are and how many have 2FA, kept by
    database triggers (migration 0004) in the same transaction as every change that
    moves the numbers: account created, deleted, (de)activated or changing kind, an
    authenticator added or removed, through any code path (bulk inserts and raw SQL
    included). The adoption overview adds up a few of these rows instead of reading
    every account. Each kind is split over SHARDS rows (by account id), so concurrent
    sign-ups and enrolments rarely wait on the same row lock."""

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
