"""I6: the database role the application runs as, granted by the role that owns the
tables (README.md "Database roles").

The owner runs `migrate`; the application connects as a role that owns nothing and
may read and write the application's tables, but only read and append to the audit
log and only read the migration history. Without ownership it cannot ALTER, DISABLE
TRIGGER or DROP anything, so the append-only triggers (0003, 0004) stay in force and
PostgreSQL refuses UPDATE, DELETE and TRUNCATE of the log on privileges already.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from psycopg import sql

from deskguard.audit.models import AuditEvent

AUDIT_TABLE = AuditEvent._meta.db_table
READ_WRITE = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
# The audit log: read (the admin pages, export) and append, nothing else.
READ_APPEND = {AUDIT_TABLE: sql.SQL("SELECT, INSERT")}
# Written by `migrate` only, which the owner runs.
READ_ONLY = {"django_migrations": sql.SQL("SELECT")}


class RoleRefused(Exception):
    """The role cannot be the application's role; the message says why."""


@dataclass(frozen=True)
class Granted:
    read_write: list[str]
    read_append: list[str]
    read_only: list[str]


def _role_checked(cursor: CursorWrapper, role: str) -> None:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    if row is None:
        raise RoleRefused(
            f"There is no role named {role!r}; create it first, e.g. "
            f"CREATE ROLE {role} LOGIN PASSWORD '...'"
        )
    must = "the application role must be an ordinary role that owns nothing"
    if row[0]:
        raise RoleRefused(f"{role} is a superuser, which bypasses every privilege: {must}.")
    # Owning a table, or being a member of its owner, brings the owner's rights.
    cursor.execute(
        """
        SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND pg_has_role(%s, c.relowner, 'MEMBER')
        ORDER BY c.relname LIMIT 1
        """,
        [role],
    )
    owned = cursor.fetchone()
    if owned is not None:
        raise RoleRefused(
            f"{role} owns {owned[0]} (or is a member of its owner, {owned[1]}): {must}. "
            "Run migrate as the owner and grant to another role."
        )


def app_role_grant(role: str) -> Granted:
    """Give `role` exactly the application's rights on the current schema's tables and
    sequences; what it had before is revoked in the same transaction, so running it
    again after each `migrate` converges and the application never sees a gap."""
    if connection.vendor != "postgresql":
        raise RoleRefused("Database roles are PostgreSQL's; SQLite has nothing to grant.")
    granted = Granted([], [], [])
    with transaction.atomic(), connection.cursor() as cursor:
        _role_checked(cursor, role)
        tables = connection.introspection.table_names(cursor)
        cursor.execute("SELECT current_schema()")
        schema = sql.Identifier(cursor.fetchone()[0])
        grantee = sql.Identifier(role)
        statements = [
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, grantee),
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, grantee),
            sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema, grantee),
            # Identity columns (Django's ids) need no grant on their sequence; a serial
            # column (a table made by hand or an older Django) needs USAGE for nextval().
            # No UPDATE: setval() stays the owner's.
            sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, grantee),
        ]
        for table in tables:
            if table in READ_APPEND:
                rights, kind = READ_APPEND[table], granted.read_append
            elif table in READ_ONLY:
                rights, kind = READ_ONLY[table], granted.read_only
            else:
                rights, kind = READ_WRITE, granted.read_write
            statements.append(
                sql.SQL("GRANT {} ON TABLE {} TO {}").format(rights, sql.Identifier(table), grantee)
            )
            kind.append(table)
        for statement in statements:
            cursor.execute(statement.as_string(cursor.connection))
    return granted
