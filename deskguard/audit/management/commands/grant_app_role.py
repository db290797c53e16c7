"""I6: `manage.py grant_app_role <role>`, run as the owner after every `migrate`: the
application's role may read and write its tables, only read and append to the audit
log, and owns nothing (deskguard/audit/roles.py, README.md "Database roles")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskguard.audit.roles import AUDIT_TABLE, RoleRefused, app_role_grant


class Command(BaseCommand):
    help = (
        "Grant a PostgreSQL role that owns nothing what the application needs: "
        "read and write on its tables, read and append only on the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the application connects as")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        try:
            granted = app_role_grant(role)
        except RoleRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{role}: read and write on {len(granted.read_write)} tables; "
            f"read and append only on {AUDIT_TABLE}; read only on "
            f"{', '.join(granted.read_only) or 'nothing else'}."
        )
