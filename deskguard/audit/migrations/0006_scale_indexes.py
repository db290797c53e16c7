"""J1/J2: audit log indexes for keyset pages, filters and the account search.

- (at DESC, id DESC): the log's order; a page (first or ten-millionth) reads 51
  entries. It also answers the date filters, so the index on `at` alone goes.
- (event, at DESC, id DESC): the event filter in the same order; replaces the
  index on `event` (and its varchar_pattern_ops copy, never used: no LIKE on it).
- Trigram indexes on upper(actor_label) and upper(subject_label) (PostgreSQL,
  pg_trgm): the account filter is a case-insensitive contains on both labels.
- The index on subject_id alone goes: (subject_id, at DESC) starts with it.

Non-atomic, so PostgreSQL builds the indexes CONCURRENTLY: the log keeps taking
rows (every sign-in appends one) while a ten-million-row index is built. See
deskguard/migrationops.py, and accounts/0003 for the pg_trgm privilege note.
The append-only trigger (0003) is untouched: indexes change no row.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from deskguard.migrationops import PostgresSQLOrOperations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0005_sudo_event"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        PostgresSQLOrOperations(
            operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="at",
                    field=models.DateTimeField(default=django.utils.timezone.now),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="event",
                    field=models.CharField(
                        choices=[
                            ("signin.succeeded", "Sign-in succeeded"),
                            ("signin.failed", "Sign-in failed"),
                            ("signin.throttled", "Sign-in throttled"),
                            ("signout", "Signed out"),
                            ("2fa.passed", "Second factor passed"),
                            ("2fa.failed", "Second factor failed"),
                            ("2fa.replayed", "Second factor code replayed"),
                            ("2fa.throttled", "Second factor throttled"),
                            ("2fa.locked", "Second factor locked"),
                            ("2fa.enrolled", "2FA enabled"),
                            ("2fa.replaced", "Authenticator replaced"),
                            ("2fa.disabled", "2FA disabled by user"),
                            ("2fa.admin_disabled", "2FA disabled by administrator"),
                            ("2fa.break_glass_reset", "2FA reset from the command line"),
                            ("recovery.generated", "Recovery codes generated"),
                            ("recovery.regenerated", "Recovery codes regenerated"),
                            ("recovery.resent", "Recovery codes resent by administrator"),
                            ("recovery.used", "Recovery code used"),
                            ("policy.changed", "Security policy changed"),
                            ("password.changed", "Password changed"),
                            ("password.reset_requested", "Password reset requested"),
                            ("password.reset", "Password reset"),
                            ("account.created", "Account created"),
                            ("account.deactivated", "Account deactivated"),
                            ("sso.failed", "SSO sign-in failed"),
                            ("sso.provider_changed", "SSO provider changed"),
                            ("audit.downloaded", "Audit log downloaded"),
                        ],
                        max_length=40,
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="subject",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["-at", "-id"], name="audit_at_id"),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["event", "-at", "-id"], name="audit_event_at_id"),
                ),
            ],
            forward_sql=[
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_at_id "
                "ON audit_auditevent (at DESC, id DESC)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_event_at_id "
                "ON audit_auditevent (event, at DESC, id DESC)",
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_subject_label_trgm "
                "ON audit_auditevent USING gin (upper(subject_label) gin_trgm_ops)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_actor_label_trgm "
                "ON audit_auditevent USING gin (upper(actor_label) gin_trgm_ops)",
                "DROP INDEX CONCURRENTLY IF EXISTS audit_auditevent_at_f461ba89",
                "DROP INDEX CONCURRENTLY IF EXISTS audit_auditevent_event_469439ac",
                "DROP INDEX CONCURRENTLY IF EXISTS audit_auditevent_event_469439ac_like",
                "DROP INDEX CONCURRENTLY IF EXISTS audit_auditevent_subject_id_1173988d",
            ],
            backward_sql=[
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_auditevent_subject_id_1173988d "
                "ON audit_auditevent (subject_id)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_auditevent_event_469439ac_like "
                "ON audit_auditevent (event varchar_pattern_ops)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_auditevent_event_469439ac "
                "ON audit_auditevent (event)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_auditevent_at_f461ba89 "
                "ON audit_auditevent (at)",
                "DROP INDEX CONCURRENTLY IF EXISTS audit_actor_label_trgm",
                "DROP INDEX CONCURRENTLY IF EXISTS audit_subject_label_trgm",
                "DROP INDEX CONCURRENTLY IF EXISTS audit_event_at_id",
                "DROP INDEX CONCURRENTLY IF EXISTS audit_at_id",
            ],
        ),
    ]
