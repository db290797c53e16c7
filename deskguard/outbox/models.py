"""The outgoing mail queue (H1-H4): one row per message, written in the same
transaction as the change it announces, delivered by the task worker.

A row holds what to send and to whom, never a secret: recovery codes and reset or
invitation links are produced when the message is sent (H3).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskguard.audit.models import AuditEvent


class MailKind(models.TextChoices):
    NOTICE = "notice", _("Security notice")
    INVITATION = "invitation", _("Invitation")
    PASSWORD_RESET = "password_reset", _("Password reset link")
    RECOVERY_CODES = "recovery_codes", _("Recovery codes")


class MailStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Nothing to send any more when its turn came (the account was deactivated, the
    # typed address has no account, 2FA was turned off before the codes went out).
    SKIPPED = "skipped", _("Not sent")


class OutboundMail(models.Model):
    kind = models.CharField(max_length=20, choices=MailKind.choices)
    status = models.CharField(max_length=10, choices=MailStatus.choices, default=MailStatus.WAITING)
    # The address at the time of the event; the account, when there is one.
    to_address = models.CharField(max_length=254)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The security event the message announces: its time, address and browser are
    # what the notice tells the reader.
    event = models.ForeignKey(AuditEvent, null=True, on_delete=models.PROTECT, related_name="+")
    # Filled when the message is rendered, for the administrator's list.
    subject = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The mail server's last answer, or why nothing was sent.
    last_answer = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"], name="outbox_status_id")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address} ({self.status})"
