"""J1/J2: account indexes for the lists and the e-mail search.

- (kind, email): the agent and contact lists page by e-mail within one kind.
- A trigram index on upper(email) (PostgreSQL, pg_trgm): the contains-search
  (`email__icontains`, which PostgreSQL runs as UPPER(email) LIKE UPPER('%q%')).
- Redundant e-mail indexes go: the varchar_pattern_ops copy Django adds beside the
  unique index (the trigram index answers LIKE now), and the unique index on
  lower(email). Case-insensitive uniqueness (A1) stays: every address is stored
  lower-case (normalize_email), now also enforced by a check constraint, so the
  unique index on email itself refuses a second spelling.

Non-atomic, so PostgreSQL builds and drops the indexes CONCURRENTLY without blocking
sign-ins (see deskguard/migrationops.py). `CREATE EXTENSION IF NOT EXISTS pg_trgm`
needs a role that may create extensions in the database: pg_trgm is a trusted
extension, so the database owner (or any role with CREATE on the database) may;
otherwise a superuser runs it once before `migrate` (README.md, Production).
"""

import django.db.models.functions.text
from django.db import migrations, models

from deskguard.migrationops import PostgresSQLOrOperations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0002_session_version"),
    ]

    operations = [
        PostgresSQLOrOperations(
            operations=[
                migrations.AddConstraint(
                    model_name="user",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("email", django.db.models.functions.text.Lower("email"))),
                        name="user_email_lowercase",
                    ),
                ),
                migrations.RemoveConstraint(model_name="user", name="user_email_ci_unique"),
                migrations.AddIndex(
                    model_name="user",
                    index=models.Index(fields=["kind", "email"], name="user_kind_email"),
                ),
            ],
            forward_sql=[
                # The unique index on lower(email) guarantees this changes no address
                # into another's.
                "UPDATE accounts_user SET email = lower(email) WHERE email <> lower(email)",
                # NOT VALID + VALIDATE: the scan takes no lock that blocks writes.
                "ALTER TABLE accounts_user DROP CONSTRAINT IF EXISTS user_email_lowercase",
                "ALTER TABLE accounts_user ADD CONSTRAINT user_email_lowercase "
                "CHECK (email = lower(email)) NOT VALID",
                "ALTER TABLE accounts_user VALIDATE CONSTRAINT user_email_lowercase",
                "DROP INDEX CONCURRENTLY IF EXISTS user_email_ci_unique",
                "DROP INDEX CONCURRENTLY IF EXISTS accounts_user_email_b2644a56_like",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS user_kind_email "
                "ON accounts_user (kind, email)",
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS user_email_trgm "
                "ON accounts_user USING gin (upper(email) gin_trgm_ops)",
            ],
            backward_sql=[
                "DROP INDEX CONCURRENTLY IF EXISTS user_email_trgm",
                "DROP INDEX CONCURRENTLY IF EXISTS user_kind_email",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_user_email_b2644a56_like "
                "ON accounts_user (email varchar_pattern_ops)",
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS user_email_ci_unique "
                "ON accounts_user (lower(email))",
                "ALTER TABLE accounts_user DROP CONSTRAINT IF EXISTS user_email_lowercase",
            ],
        ),
    ]
