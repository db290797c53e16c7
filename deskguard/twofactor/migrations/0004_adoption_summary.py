"""J5: the adoption overview's counts, kept by triggers instead of counted per view.

One row per (kind, shard) holds the active accounts and those with an authenticator;
triggers on accounts_user and twofactor_totpdevice update it in the transaction of the
change, on PostgreSQL (PL/pgSQL) and on SQLite alike, so no code path (bulk inserts,
raw SQL, the admin shell) can leave it behind. The rows are then filled from a full
count, in the same transaction as the triggers' creation.

On PostgreSQL the device trigger reads the account row FOR SHARE: a device added while
the account is being deactivated waits for (and then sees) the deactivation, and the
deactivation's own count of devices then sees the device, so the two never miss each
other under READ COMMITTED.

SQLite's trigger only ever creates a row when adding; a decrement with no row does
nothing. Django's test flush there deletes tables in no fixed order, and this keeps the
summary empty (not negative) after it.
"""

from django.db import migrations, models

SHARDS = 16

POSTGRES = f"""
CREATE FUNCTION deskguard_adoption_add(k varchar, s integer, d_total bigint, d_with bigint)
RETURNS void AS $$
BEGIN
    IF d_total = 0 AND d_with = 0 THEN
        RETURN;
    END IF;
    INSERT INTO twofactor_adoptioncount (kind, shard, total, with_2fa)
    VALUES (k, s, d_total, d_with)
    ON CONFLICT (kind, shard) DO UPDATE
    SET total = twofactor_adoptioncount.total + EXCLUDED.total,
        with_2fa = twofactor_adoptioncount.with_2fa + EXCLUDED.with_2fa;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION deskguard_adoption_user() RETURNS trigger AS $$
DECLARE
    devices bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.is_active THEN
        SELECT count(*) INTO devices FROM twofactor_totpdevice WHERE user_id = OLD.id;
        PERFORM deskguard_adoption_add(OLD.kind, (OLD.id % {SHARDS})::integer, -1, -devices);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.is_active THEN
        SELECT count(*) INTO devices FROM twofactor_totpdevice WHERE user_id = NEW.id;
        PERFORM deskguard_adoption_add(NEW.kind, (NEW.id % {SHARDS})::integer, 1, devices);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION deskguard_adoption_device() RETURNS trigger AS $$
DECLARE
    account_id bigint;
    delta bigint;
    account record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        account_id := NEW.user_id; delta := 1;
    ELSE
        account_id := OLD.user_id; delta := -1;
    END IF;
    SELECT kind, is_active INTO account FROM accounts_user WHERE id = account_id FOR SHARE;
    IF FOUND AND account.is_active THEN
        PERFORM deskguard_adoption_add(account.kind, (account_id % {SHARDS})::integer, 0, delta);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER adoption_user_insert_delete
    AFTER INSERT OR DELETE ON accounts_user
    FOR EACH ROW EXECUTE FUNCTION deskguard_adoption_user();
CREATE TRIGGER adoption_user_update
    AFTER UPDATE OF kind, is_active ON accounts_user
    FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION deskguard_adoption_user();
CREATE TRIGGER adoption_device_insert_delete
    AFTER INSERT OR DELETE ON twofactor_totpdevice
    FOR EACH ROW EXECUTE FUNCTION deskguard_adoption_device();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS adoption_device_insert_delete ON twofactor_totpdevice;
DROP TRIGGER IF EXISTS adoption_user_update ON accounts_user;
DROP TRIGGER IF EXISTS adoption_user_insert_delete ON accounts_user;
DROP FUNCTION IF EXISTS deskguard_adoption_device();
DROP FUNCTION IF EXISTS deskguard_adoption_user();
DROP FUNCTION IF EXISTS deskguard_adoption_add(varchar, integer, bigint, bigint);
"""


def _sqlite_add(kind: str, account_id: str, total: str, with_2fa: str, when: str) -> str:
    """Statements adding to the row of (kind, account's shard), when `when` holds."""
    shard = f"{account_id} % {SHARDS}"
    return f"""
    INSERT OR IGNORE INTO twofactor_adoptioncount (kind, shard, total, with_2fa)
        SELECT {kind}, {shard}, 0, 0 WHERE {when};
    UPDATE twofactor_adoptioncount SET total = total + ({total}), with_2fa = with_2fa + ({with_2fa})
        WHERE {when} AND kind = {kind} AND shard = {shard};"""


def _sqlite_sub(kind: str, account_id: str, total: str, with_2fa: str, when: str) -> str:
    shard = f"{account_id} % {SHARDS}"
    return f"""
    UPDATE twofactor_adoptioncount SET total = total - ({total}), with_2fa = with_2fa - ({with_2fa})
        WHERE {when} AND kind = {kind} AND shard = {shard};"""


def _devices(account_id: str) -> str:
    return f"(SELECT count(*) FROM twofactor_totpdevice WHERE user_id = {account_id})"


SQLITE = [
    f"""CREATE TRIGGER adoption_user_insert AFTER INSERT ON accounts_user BEGIN
    {_sqlite_add("NEW.kind", "NEW.id", "1", _devices("NEW.id"), "NEW.is_active")}
    END""",
    f"""CREATE TRIGGER adoption_user_delete AFTER DELETE ON accounts_user BEGIN
    {_sqlite_sub("OLD.kind", "OLD.id", "1", _devices("OLD.id"), "OLD.is_active")}
    END""",
    f"""CREATE TRIGGER adoption_user_update AFTER UPDATE OF kind, is_active ON accounts_user
    WHEN OLD.kind IS NOT NEW.kind OR OLD.is_active IS NOT NEW.is_active BEGIN
    {_sqlite_sub("OLD.kind", "OLD.id", "1", _devices("OLD.id"), "OLD.is_active")}
    {_sqlite_add("NEW.kind", "NEW.id", "1", _devices("NEW.id"), "NEW.is_active")}
    END""",
    f"""CREATE TRIGGER adoption_device_insert AFTER INSERT ON twofactor_totpdevice BEGIN
    UPDATE twofactor_adoptioncount SET with_2fa = with_2fa + 1
        WHERE shard = NEW.user_id % {SHARDS} AND kind =
        (SELECT kind FROM accounts_user WHERE id = NEW.user_id AND is_active);
    END""",
    f"""CREATE TRIGGER adoption_device_delete AFTER DELETE ON twofactor_totpdevice BEGIN
    UPDATE twofactor_adoptioncount SET with_2fa = with_2fa - 1
        WHERE shard = OLD.user_id % {SHARDS} AND kind =
        (SELECT kind FROM accounts_user WHERE id = OLD.user_id AND is_active);
    END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "adoption_user_insert",
        "adoption_user_delete",
        "adoption_user_update",
        "adoption_device_insert",
        "adoption_device_delete",
    )
]

# The same full count as twofactor.admin_flows.adoption_recount, per shard.
FILL = f"""
INSERT INTO twofactor_adoptioncount (kind, shard, total, with_2fa)
SELECT u.kind, u.id % {SHARDS}, count(*), count(d.id)
FROM accounts_user u LEFT JOIN twofactor_totpdevice d ON d.user_id = u.id
WHERE u.is_active
GROUP BY u.kind, u.id % {SHARDS}
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE:
            schema_editor.execute(sql, params=None)
    schema_editor.execute("DELETE FROM twofactor_adoptioncount", params=None)
    schema_editor.execute(FILL, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("twofactor", "0003_security_policy_row"),
        ("accounts", "0003_scale_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AdoptionCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=10)),
                ("shard", models.PositiveSmallIntegerField()),
                ("total", models.BigIntegerField(default=0)),
                ("with_2fa", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "shard"), name="adoption_kind_shard_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
