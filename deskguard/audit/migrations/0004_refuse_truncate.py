"""I6: TRUNCATE empties a table without firing row triggers, so 0003's trigger did
not see it. A statement-level BEFORE TRUNCATE trigger refuses it, also when the
TRUNCATE reaches the log by CASCADE from the accounts table.

Like 0003, this stops the application and anyone using the table owner's role by
mistake. It cannot stop the owner on purpose (it may drop the trigger): that is what
the application role of README.md "Database roles" is for, which owns nothing and
has only SELECT and INSERT on this table, so PostgreSQL refuses it on privileges.

There is no bypass in the trigger (no session setting that would let TRUNCATE
through: any role may set a custom setting, the application's included). The test
suite empties tables between transactional tests with TRUNCATE; it does so with
PostgreSQL's session_replication_role = replica, which skips ordinary triggers and
which only a superuser may set (tests/conftest.py).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION deskguard_audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (TRUNCATE refused)';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditevent_refuse_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION deskguard_audit_refuse_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_auditevent_refuse_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS deskguard_audit_refuse_truncate();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_trigger")]

    operations = [migrations.RunPython(create, drop)]
