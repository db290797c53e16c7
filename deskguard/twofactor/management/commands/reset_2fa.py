"""F5: break-glass reset of one account's second factor, for when the only
administrator lost their phone. Recorded in the audit log with actor "command line"."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskguard.accounts.models import User, normalize_email
from deskguard.twofactor.admin_flows import break_glass_reset


class Command(BaseCommand):
    help = "Remove the authenticator and recovery codes of one account (break glass)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the account's email address")

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalize_email(options["email"])
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"No account with the email {email}.")
        removed = break_glass_reset(target=user)
        if removed:
            self.stdout.write(
                f"Removed the authenticator and recovery codes of {user.email} and signed "
                "it out everywhere. It can now sign in with its password"
                " (and must enrol again if 2FA is enforced). Recorded in the audit log."
            )
        else:
            self.stdout.write(
                f"{user.email} had no authenticator; its sessions were ended. "
                "Recorded in the audit log."
            )
