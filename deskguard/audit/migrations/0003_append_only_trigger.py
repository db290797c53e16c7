"""E1: on PostgreSQL the database itself refuses to rewrite or delete audit rows, so
not even a raw SQL statement from the application (or a compromised one) can edit
history. The one change allowed is the foreign keys' ON DELETE SET NULL when an
account row is deleted: the e-mail labels keep saying who it was.

SQLite (the local demo database) has no such trigger: Django's test flush deletes
rows there with DELETE, which a trigger would block. The ORM guard in models.py
holds on both.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION deskguard_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit log is append-only (DELETE refused)';
    END IF;
    IF (NEW.id, NEW.event, NEW.at, NEW.actor_label, NEW.subject_label, NEW.method,
        NEW.ip, NEW.user_agent, NEW.detail::text)
       IS DISTINCT FROM
       (OLD.id, OLD.event, OLD.at, OLD.actor_label, OLD.subject_label, OLD.method,
        OLD.ip, OLD.user_agent, OLD.detail::text)
       OR (NEW.actor_id IS DISTINCT FROM OLD.actor_id AND NEW.actor_id IS NOT NULL)
       OR (NEW.subject_id IS DISTINCT FROM OLD.subject_id AND NEW.subject_id IS NOT NULL)
    THEN
        RAISE EXCEPTION 'the audit log is append-only (UPDATE refused)';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION deskguard_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS deskguard_audit_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_audit_downloaded_event")]

    operations = [migrations.RunPython(create, drop)]
