"""J1: the agent ticket list (all tickets, or one status) reads its page from an
index in its order, (updated_at DESC, id DESC), instead of sorting every ticket on
each view; the contact_id index goes, (contact_id, updated_at DESC) starts with it.

Non-atomic: CONCURRENTLY on PostgreSQL (see deskguard/migrationops.py)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from deskguard.migrationops import PostgresSQLOrOperations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        PostgresSQLOrOperations(
            operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddIndex(
                    model_name="ticket",
                    index=models.Index(fields=["-updated_at", "-id"], name="ticket_updated_id"),
                ),
                migrations.AddIndex(
                    model_name="ticket",
                    index=models.Index(
                        fields=["status", "-updated_at", "-id"], name="ticket_status_updated_id"
                    ),
                ),
            ],
            forward_sql=[
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ticket_updated_id "
                "ON tickets_ticket (updated_at DESC, id DESC)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ticket_status_updated_id "
                "ON tickets_ticket (status, updated_at DESC, id DESC)",
                "DROP INDEX CONCURRENTLY IF EXISTS tickets_ticket_contact_id_a9a8a57d",
            ],
            backward_sql=[
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_ticket_contact_id_a9a8a57d "
                "ON tickets_ticket (contact_id)",
                "DROP INDEX CONCURRENTLY IF EXISTS ticket_status_updated_id",
                "DROP INDEX CONCURRENTLY IF EXISTS ticket_updated_id",
            ],
        ),
    ]
