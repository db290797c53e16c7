"""Local mail (G3): every message is written to var/mail/ and echoed to the console,
so a demo user can open their invitation without an SMTP server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.message import EmailMessage


class FolderAndConsoleBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self.backends = [
            FileBackend(fail_silently=fail_silently, **kwargs),
            ConsoleBackend(fail_silently=fail_silently, **kwargs),
        ]

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for backend in self.backends:
            sent = backend.send_messages(email_messages) or 0
        return sent
