"""F1: re-encrypt every stored secret under the newest key of TOTP_ENCRYPTION_KEYS.

Rotation: put a new key first in TOTP_ENCRYPTION_KEYS (keep the old ones after it),
deploy, run this command, then drop the old keys. No enrollment is lost: each
secret is decrypted with whichever key works and written back under the newest.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from deskguard.crypto import InvalidToken, secret_rotate
from deskguard.twofactor.models import TOTPDevice


class Command(BaseCommand):
    help = "Re-encrypt TOTP secrets (and SSO client secrets) with the newest key."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = 0
        with transaction.atomic():
            for device in TOTPDevice.objects.select_for_update().only("pk", "secret_encrypted"):
                try:
                    device.secret_encrypted = secret_rotate(device.secret_encrypted)
                except InvalidToken as exc:
                    raise CommandError(
                        f"TOTP device {device.pk} cannot be decrypted with any configured "
                        "key; nothing was changed. Add the missing key and run again."
                    ) from exc
                device.save(update_fields=["secret_encrypted"])
                rotated += 1
            rotated_sso = self._rotate_sso()
        self.stdout.write(
            f"Re-encrypted {rotated} TOTP secret(s) and {rotated_sso} SSO "
            "client secret(s) with the newest key."
        )

    def _rotate_sso(self) -> int:
        from deskguard.sso.services import sso_provider_rotate_secrets

        try:
            return sso_provider_rotate_secrets()
        except InvalidToken as exc:
            raise CommandError(
                "An SSO client secret cannot be decrypted with any configured key; nothing "
                "was changed. Add the missing key and run again."
            ) from exc
