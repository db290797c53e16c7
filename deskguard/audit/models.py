"""Append-only security log (E1).

The application only ever INSERTs rows: `save()` refuses updates and `delete()`
refuses deletion, and the queryset's bulk update/delete are disabled, so no code
path in deskguard can rewrite history.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    SIGNIN_SUCCEEDED = "signin.succeeded", _("Sign-in succeeded")
    SIGNIN_FAILED = "signin.failed", _("Sign-in failed")
    SIGNIN_THROTTLED = "signin.throttled", _("Sign-in throttled")
    SIGNOUT = "signout", _("Signed out")
    SECOND_FACTOR_PASSED = "2fa.passed", _("Second factor passed")
    SECOND_FACTOR_FAILED = "2fa.failed", _("Second factor failed")
    SECOND_FACTOR_REPLAYED = "2fa.replayed", _("Second factor code replayed")
    SECOND_FACTOR_THROTTLED = "2fa.throttled", _("Second factor throttled")
    SECOND_FACTOR_LOCKED = "2fa.locked", _("Second factor locked")
    ENROLLED = "2fa.enrolled", _("2FA enabled")
    AUTHENTICATOR_REPLACED = "2fa.replaced", _("Authenticator replaced")
    DISABLED = "2fa.disabled", _("2FA disabled by user")
    ADMIN_DISABLED = "2fa.admin_disabled", _("2FA disabled by administrator")
    BREAK_GLASS_RESET = "2fa.break_glass_reset", _("2FA reset from the command line")
    APP_ADDED = "2fa.app_added", _("Authenticator app added")
    APP_REMOVED = "2fa.app_removed", _("Authenticator app removed")
    KEY_ADDED = "key.added", _("Security key added")
    KEY_RENAMED = "key.renamed", _("Security key renamed")
    KEY_REMOVED = "key.removed", _("Security key removed")
    KEY_USED = "key.used", _("Security key used")
    KEY_CLONE_DETECTED = "key.clone_detected", _("Security key refused: possibly copied")
    RECOVERY_GENERATED = "recovery.generated", _("Recovery codes generated")
    RECOVERY_REGENERATED = "recovery.regenerated", _("Recovery codes regenerated")
    RECOVERY_RESENT = "recovery.resent", _("Recovery codes resent by administrator")
    RECOVERY_USED = "recovery.used", _("Recovery code used")
    POLICY_CHANGED = "policy.changed", _("Security policy changed")
    SUDO_ENTERED = "sudo.entered", _("Administrator confirmed it is them (sudo mode)")
    PASSWORD_CHANGED = "password.changed", _("Password changed")
    PASSWORD_RESET_REQUESTED = "password.reset_requested", _("Password reset requested")
    PASSWORD_RESET = "password.reset", _("Password reset")
    ACCOUNT_CREATED = "account.created", _("Account created")
    ACCOUNT_DEACTIVATED = "account.deactivated", _("Account deactivated")
    SSO_FAILED = "sso.failed", _("SSO sign-in failed")
    SSO_PROVIDER_CHANGED = "sso.provider_changed", _("SSO provider changed")
    AUDIT_DOWNLOADED = "audit.downloaded", _("Audit log downloaded")


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("the audit log is append-only")

    def delete(self) -> NoReturn:
        raise PermissionError("the audit log is append-only")


class AuditEvent(models.Model):
    event = models.CharField(max_length=40, choices=Event.choices)
    at = models.DateTimeField(default=timezone.now)
    # Actor and subject are kept as e-mail text too, so the record survives
    # the account and says who it was at that time.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    # No index of its own: (subject, -at) below starts with it.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    subject_label = models.CharField(max_length=254, blank=True)
    method = models.CharField(max_length=80, blank=True)
    ip = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict)

    objects: ClassVar[models.Manager[AuditEvent]] = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # J1: every list order and filter has its index, so a page reads ~50 entries.
        # The contains-search on the two labels has trigram indexes on PostgreSQL
        # (migration 0006; not part of the model, SQLite has no such index type).
        indexes = [
            models.Index(fields=["subject", "-at"]),
            models.Index(fields=["-at", "-id"], name="audit_at_id"),
            models.Index(fields=["event", "-at", "-id"], name="audit_event_at_id"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event} {self.subject_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("the audit log is append-only")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Removed (expired)")


class AuditExport(models.Model):
    """J3: one export of the audit log, written to a file by the task worker.

    The rows are the filter's match among events up to `upto_id`, the newest event
    when it was asked for: the log only grows, so that set never changes, and the
    file holds exactly `rows_total` rows. The file is written under a temporary name
    and renamed only once every row is in it and the count is checked, so no partial
    file is ever offered for download."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    format = models.CharField(max_length=10)
    # The filter form's submitted values (audit.forms.AuditFilterForm), as typed.
    filters = models.JSONField(default=dict)
    upto_id = models.BigIntegerField()
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_total = models.BigIntegerField(null=True)
    rows_written = models.BigIntegerField(default=0)
    size = models.BigIntegerField(null=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    expires_at = models.DateTimeField(null=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="audit_export_expiry")]

    def __str__(self) -> str:
        return f"audit export {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == ExportStatus.DONE else 0
        return min(100, int(100 * self.rows_written / self.rows_total))

    @property
    def in_progress(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
