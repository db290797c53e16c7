"""F1: re-encrypt every stored secret under the newest key of TOTP_ENCRYPTION_KEYS.

Rotation: put a new key first in TOTP_ENCRYPTION_KEYS (keep the old ones after it),
deploy, run this command, then drop the old keys. No enrollment is lost: each
secret is decrypted with whichever key works and written back under the newest.

J4: the work goes in short batches (twofactor/rotation.py), so sign-ins go on during
a rotation of any size; a run that stops halfway is resumed by running it again.
A secret no configured key decrypts is left as it is, and the command fails naming
it after the others are done.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskguard.twofactor.rotation import BATCH_SIZE, RotationProgress, totp_secrets_rotate

# A progress line at most this often (and after the last batch).
REPORT_EVERY_SECONDS = 5.0


class Command(BaseCommand):
    help = "Re-encrypt TOTP secrets (and SSO client secrets) with the newest key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"devices per transaction (default {BATCH_SIZE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000.")
        last_report = time.monotonic()

        def report(progress: RotationProgress) -> None:
            nonlocal last_report
            if time.monotonic() - last_report >= REPORT_EVERY_SECONDS:
                last_report = time.monotonic()
                self.stdout.write(_line(progress, "so far"))

        progress = totp_secrets_rotate(batch_size=batch_size, on_batch=report)
        self.stdout.write(_line(progress, "done"))
        sso = self._rotate_sso()
        self.stdout.write(
            f"Re-encrypted {progress.rotated} TOTP secret(s) and {sso} SSO "
            "client secret(s) with the newest key."
        )
        if progress.undecryptable:
            shown = ", ".join(str(pk) for pk in progress.undecryptable[:20])
            raise CommandError(
                f"{len(progress.undecryptable)} TOTP device(s) cannot be decrypted with any "
                f"configured key (ids {shown}{'...' if len(progress.undecryptable) > 20 else ''}); "
                "they were left unchanged. Add the missing key and run again."
            )

    def _rotate_sso(self) -> int:
        from deskguard.sso.services import sso_provider_rotate_secrets

        rotated, undecryptable = sso_provider_rotate_secrets()
        if undecryptable:
            raise CommandError(
                f"SSO client secret(s) of {', '.join(undecryptable)} cannot be decrypted with "
                "any configured key; they were left unchanged. Add the missing key and run again."
            )
        return rotated


def _line(progress: RotationProgress, when: str) -> str:
    return (
        f"TOTP secrets {when}: {progress.checked} of {progress.total} checked, "
        f"{progress.rotated} re-encrypted, {progress.current} already under the newest key, "
        f"{len(progress.undecryptable)} undecryptable."
    )
