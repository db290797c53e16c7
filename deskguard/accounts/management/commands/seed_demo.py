"""Create the demo accounts and tickets once, and print how to sign in (G1).

Passwords are random, generated on the first run and kept in var/demo-accounts.txt
(never committed), so every `make run` can print them again.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from deskguard.accounts.models import Kind, User
from deskguard.tickets.services import ticket_create, ticket_reply

DEMO = [
    ("admin@example.com", "Ada Admin", Kind.AGENT, True),
    ("agent@example.com", "Alan Agent", Kind.AGENT, False),
    ("carol@example.com", "Carol Contact", Kind.CONTACT, False),
    ("dave@example.com", "Dave Contact", Kind.CONTACT, False),
]
TICKETS = [
    (
        "carol@example.com",
        "Cannot download my invoice",
        "The PDF link in my account gives an error.",
    ),
    ("carol@example.com", "Change of billing address", "We moved; please update our address."),
    ("dave@example.com", "Password reset email not arriving", "I asked twice, nothing came."),
]


class Command(BaseCommand):
    help = "Create demo accounts and tickets if the database has no accounts; print them."

    def handle(self, *args: Any, **options: Any) -> None:
        path = settings.VAR_DIR / "demo-accounts.txt"
        if not User.objects.exists():
            with transaction.atomic():
                lines = self._create()
            path.write_text("\n".join(lines) + "\n")
            path.chmod(0o600)
        if path.exists():
            self.stdout.write("\nDemo accounts (email / password):\n" + path.read_text())
            self.stdout.write(
                f"Agent Portal:    {settings.BASE_URL}/agent/\n"
                f"Customer Portal: {settings.BASE_URL}/portal/\n"
                f"{self._mail_note()}\n"
            )

    def _mail_note(self) -> str:
        if settings.EMAIL_HOST:
            return f"Mail goes out through {settings.EMAIL_HOST}."
        return (
            f"Mail (no SMTP server configured): read it in Admin Settings -> Mail delivery, "
            f"{settings.BASE_URL}/agent/admin/mail/ (files in {settings.EMAIL_FILE_PATH})."
        )

    def _create(self) -> list[str]:
        lines = []
        users = {}
        for email, name, kind, is_admin in DEMO:
            password = secrets.token_urlsafe(9)
            users[email] = User.objects.create_user(
                email, password, name=name, kind=kind, is_admin=is_admin
            )
            role = "administrator" if is_admin else kind
            lines.append(f"  {role:<14} {email:<22} {password}")
        for email, subject, body in TICKETS:
            ticket = ticket_create(contact=users[email], subject=subject, body=body)
        ticket_reply(
            ticket=ticket,
            author=users["agent@example.com"],
            body="Thanks for telling us. Could you check your spam folder?",
        )
        return lines
