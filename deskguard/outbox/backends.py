"""Local mail (G3, H4, H5): with no SMTP server configured (local mode only), each
message is written to the mail folder as one .eml file, readable only by its owner,
and the console gets one line saying where to read it. The bodies never reach the
console: they may hold recovery codes and one-time links."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from .render import MAIL_ID_HEADER

log = logging.getLogger("deskguard.mail")


def mail_folder() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def local_file(mail_id: int) -> Path:
    return mail_folder() / f"mail-{mail_id}.eml"


class LocalFolderBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = mail_folder()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)  # also a folder an older version made with wider rights
        for message in email_messages:
            mail_id = str(message.extra_headers.get(MAIL_ID_HEADER, ""))
            path = (
                local_file(int(mail_id))
                if mail_id.isdigit()
                else folder / f"mail-{time.time_ns()}.eml"
            )
            # O_CREAT with 0600: the file is never readable by others, not even briefly.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.message().as_bytes())
            where = (
                f"{settings.BASE_URL}/agent/admin/mail/{mail_id}/" if mail_id.isdigit() else path
            )
            log.info(
                "mail to %s: %s (read it at %s)", ", ".join(message.to), message.subject, where
            )
        return len(email_messages)
