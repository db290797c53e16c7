"""J5: the adoption overview's counts, kept by triggers instead of counted per view.

One row per (kind, shard) holds the active accounts and those with an authenticator;
triggers on accounts_user and twofactor_totpdevice update it in the transaction of the
change, on PostgreSQL (PL/pgSQL) and on SQLite alike, so no code path (bulk inserts,
raw SQL, the admin shell) can leave it behind. The rows are then filled from a full
count, in the same transaction as the triggers' creation.

On PostgreSQL the triggers are per statement (transition tables), so a bulk insert
of a million accounts updates each summary row once; the device trigger reads the
account rows FOR SHARE: a device added while its account is being deactivated waits
for (and then sees) the deactivation, and the deactivation's own count of devices
then sees the device, so the two never miss each other under READ COMMITTED.

SQLite's trigger only ever creates a row when adding; a decrement with no row does
nothing. Django's test flush there deletes tables in no fixed order, and this keeps the
summary empty (not negative) after it.
"""

from django.db import migrations, models

SHARDS = 16

# Statement-level triggers with transition tables: one summary UPDATE per shard per
# statement, however many rows it changed. (Row-level triggers updating the same few
# summary rows N times in one transaction cost O(N^2) on PostgreSQL, each update
# walking the versions the transaction already made: a 30k-row import took 35 s.)
UPSERT = """
INSERT INTO twofactor_adoptioncount AS c (kind, shard, total, with_2fa)
SELECT kind, shard, sum(total)::bigint, sum(with_2fa)::bigint FROM deltas
GROUP BY kind, shard HAVING sum(total) <> 0 OR sum(with_2fa) <> 0
ON CONFLICT (kind, shard) DO UPDATE
SET total = c.total + EXCLUDED.total, with_2fa = c.with_2fa + EXCLUDED.with_2fa;
"""


def _devices_of(alias: str) -> str:
    return f"(SELECT count(*) FROM twofactor_totpdevice d WHERE d.user_id = {alias}.id)"


POSTGRES = f"""
CREATE FUNCTION deskguard_adoption_users() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH deltas AS (
            SELECT n.kind, n.id % {SHARDS} AS shard, 1 AS total, {_devices_of("n")} AS with_2fa
            FROM new_rows n WHERE n.is_active
        ) {UPSERT}
    ELSIF TG_OP = 'DELETE' THEN
        WITH deltas AS (
            SELECT o.kind, o.id % {SHARDS} AS shard, -1 AS total, -{_devices_of("o")} AS with_2fa
            FROM old_rows o WHERE o.is_active
        ) {UPSERT}
    ELSE
        WITH changed AS (
            SELECT o.id, o.kind AS old_kind, o.is_active AS old_active,
                   n.kind AS new_kind, n.is_active AS new_active
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.kind IS DISTINCT FROM n.kind OR o.is_active IS DISTINCT FROM n.is_active
        ), deltas AS (
            SELECT old_kind AS kind, id % {SHARDS} AS shard, -1 AS total,
                   -{_devices_of("changed")} AS with_2fa
            FROM changed WHERE old_active
            UNION ALL
            SELECT new_kind, id % {SHARDS}, 1, {_devices_of("changed")}
            FROM changed WHERE new_active
        ) {UPSERT}
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION deskguard_adoption_devices() RETURNS trigger AS $$
BEGIN
    -- FOR SHARE: a device added or removed while its account is being deactivated
    -- waits for (and then sees) the deactivation, whose own count of devices then
    -- sees this change: the two never miss each other under READ COMMITTED.
    IF TG_OP = 'INSERT' THEN
        WITH accounts AS (
            SELECT u.kind, u.id FROM accounts_user u JOIN new_rows d ON d.user_id = u.id
            WHERE u.is_active FOR SHARE OF u
        ), deltas AS (
            SELECT kind, id % {SHARDS} AS shard, 0 AS total, 1 AS with_2fa FROM accounts
        ) {UPSERT}
    ELSE
        WITH accounts AS (
            SELECT u.kind, u.id FROM accounts_user u JOIN old_rows d ON d.user_id = u.id
            WHERE u.is_active FOR SHARE OF u
        ), deltas AS (
            SELECT kind, id % {SHARDS} AS shard, 0 AS total, -1 AS with_2fa FROM accounts
        ) {UPSERT}
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER adoption_users_insert AFTER INSERT ON accounts_user
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskguard_adoption_users();
CREATE TRIGGER adoption_users_delete AFTER DELETE ON accounts_user
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskguard_adoption_users();
CREATE TRIGGER adoption_users_update AFTER UPDATE ON accounts_user
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskguard_adoption_users();
CREATE TRIGGER adoption_devices_insert AFTER INSERT ON twofactor_totpdevice
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskguard_adoption_devices();
CREATE TRIGGER adoption_devices_delete AFTER DELETE ON twofactor_totpdevice
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskguard_adoption_devices();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS adoption_devices_delete ON twofactor_totpdevice;
DROP TRIGGER IF EXISTS adoption_devices_insert ON twofactor_totpdevice;
DROP TRIGGER IF EXISTS adoption_users_update ON accounts_user;
DROP TRIGGER IF EXISTS adoption_users_delete ON accounts_user;
DROP TRIGGER IF EXISTS adoption_users_insert ON accounts_user;
DROP FUNCTION IF EXISTS deskguard_adoption_devices();
DROP FUNCTION IF EXISTS deskguard_adoption_users();
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
