"""K1: second factors of two kinds, in one table. An account has at most one
authenticator app and any number of security keys; 2FA is on while it has any.

The one-per-account TOTPDevice table becomes SecondFactor (kind "app"), each device
copied with its secret, last accepted step and date; TOTPDevice and SecurityKey stay
as proxies filtered by kind. Going back copies the apps back (keys cannot be kept
there and are dropped).

The adoption summary (0004) counted devices; it now counts accounts with at least one
factor. The factor triggers change with_2fa when an account's first factor arrives or
its last one goes. On PostgreSQL (per statement) they first lock the accounts' rows
(FOR NO KEY UPDATE, in a statement of its own): two factors added at once to one
account, or a factor added while the account is deactivated, are then counted one
after the other, and the counting statement that follows takes a fresh snapshot
(PL/pgSQL under READ COMMITTED), so it sees what the other committed. SQLite runs one
writer at a time and counts per row.
"""

import importlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

SHARDS = 16
BEFORE = importlib.import_module("deskguard.twofactor.migrations.0004_adoption_summary")
UPSERT = BEFORE.UPSERT


def _has_factor(alias: str) -> str:
    return (
        "(CASE WHEN EXISTS (SELECT 1 FROM twofactor_secondfactor f "
        f"WHERE f.user_id = {alias}.id) THEN 1 ELSE 0 END)"
    )


def _factors(alias: str) -> str:
    return f"(SELECT count(*) FROM twofactor_secondfactor f WHERE f.user_id = {alias})"


POSTGRES = f"""
CREATE FUNCTION deskguard_adoption_users() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH deltas AS (
            SELECT n.kind, n.id % {SHARDS} AS shard, 1 AS total, {_has_factor("n")} AS with_2fa
            FROM new_rows n WHERE n.is_active
        ) {UPSERT}
    ELSIF TG_OP = 'DELETE' THEN
        WITH deltas AS (
            SELECT o.kind, o.id % {SHARDS} AS shard, -1 AS total, -{_has_factor("o")} AS with_2fa
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
                   -{_has_factor("changed")} AS with_2fa
            FROM changed WHERE old_active
            UNION ALL
            SELECT new_kind, id % {SHARDS}, 1, {_has_factor("changed")}
            FROM changed WHERE new_active
        ) {UPSERT}
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION deskguard_adoption_factors() RETURNS trigger AS $$
BEGIN
    -- One statement to lock, then one to count, with its own (newer) snapshot.
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM accounts_user u
        WHERE u.id IN (SELECT user_id FROM new_rows) ORDER BY u.id FOR NO KEY UPDATE OF u;
        WITH added AS (
            SELECT user_id, count(*) AS n FROM new_rows GROUP BY user_id
        ), deltas AS (
            -- The account's factors are exactly the ones this statement added: its first.
            SELECT u.kind, u.id % {SHARDS} AS shard, 0 AS total, 1 AS with_2fa
            FROM accounts_user u JOIN added a ON a.user_id = u.id
            WHERE u.is_active AND {_factors("u.id")} = a.n
        ) {UPSERT}
    ELSE
        PERFORM 1 FROM accounts_user u
        WHERE u.id IN (SELECT user_id FROM old_rows) ORDER BY u.id FOR NO KEY UPDATE OF u;
        WITH deltas AS (
            -- The account has none left: this statement removed its last.
            SELECT u.kind, u.id % {SHARDS} AS shard, 0 AS total, -1 AS with_2fa
            FROM accounts_user u
            WHERE u.id IN (SELECT user_id FROM old_rows) AND u.is_active
              AND {_factors("u.id")} = 0
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
CREATE TRIGGER adoption_factors_insert AFTER INSERT ON twofactor_secondfactor
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskguard_adoption_factors();
CREATE TRIGGER adoption_factors_delete AFTER DELETE ON twofactor_secondfactor
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deskguard_adoption_factors();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS adoption_factors_delete ON twofactor_secondfactor;
DROP TRIGGER IF EXISTS adoption_factors_insert ON twofactor_secondfactor;
DROP TRIGGER IF EXISTS adoption_users_update ON accounts_user;
DROP TRIGGER IF EXISTS adoption_users_delete ON accounts_user;
DROP TRIGGER IF EXISTS adoption_users_insert ON accounts_user;
DROP FUNCTION IF EXISTS deskguard_adoption_factors();
DROP FUNCTION IF EXISTS deskguard_adoption_users();
"""


def _sqlite_has(account_id: str) -> str:
    return f"(EXISTS (SELECT 1 FROM twofactor_secondfactor WHERE user_id = {account_id}))"


SQLITE = [
    f"""CREATE TRIGGER adoption_user_insert AFTER INSERT ON accounts_user BEGIN
    {BEFORE._sqlite_add("NEW.kind", "NEW.id", "1", _sqlite_has("NEW.id"), "NEW.is_active")}
    END""",
    f"""CREATE TRIGGER adoption_user_delete AFTER DELETE ON accounts_user BEGIN
    {BEFORE._sqlite_sub("OLD.kind", "OLD.id", "1", _sqlite_has("OLD.id"), "OLD.is_active")}
    END""",
    f"""CREATE TRIGGER adoption_user_update AFTER UPDATE OF kind, is_active ON accounts_user
    WHEN OLD.kind IS NOT NEW.kind OR OLD.is_active IS NOT NEW.is_active BEGIN
    {BEFORE._sqlite_sub("OLD.kind", "OLD.id", "1", _sqlite_has("OLD.id"), "OLD.is_active")}
    {BEFORE._sqlite_add("NEW.kind", "NEW.id", "1", _sqlite_has("NEW.id"), "NEW.is_active")}
    END""",
    f"""CREATE TRIGGER adoption_factor_insert AFTER INSERT ON twofactor_secondfactor
    WHEN {_factors("NEW.user_id")} = 1 BEGIN
    UPDATE twofactor_adoptioncount SET with_2fa = with_2fa + 1
        WHERE shard = NEW.user_id % {SHARDS} AND kind =
        (SELECT kind FROM accounts_user WHERE id = NEW.user_id AND is_active);
    END""",
    f"""CREATE TRIGGER adoption_factor_delete AFTER DELETE ON twofactor_secondfactor
    WHEN {_factors("OLD.user_id")} = 0 BEGIN
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
        "adoption_factor_insert",
        "adoption_factor_delete",
    )
]

# The same full count as twofactor.admin_flows.adoption_recount, per shard.
FILL = f"""
INSERT INTO twofactor_adoptioncount (kind, shard, total, with_2fa)
SELECT u.kind, u.id % {SHARDS}, count(*), sum({_has_factor("u")})
FROM accounts_user u
WHERE u.is_active
GROUP BY u.kind, u.id % {SHARDS}
"""

COPY_FORWARD = """
INSERT INTO twofactor_secondfactor (user_id, kind, name, created_at, last_used_at,
    secret_encrypted, last_step, credential_id, public_key, sign_count, transports, aaguid)
SELECT user_id, 'app', '', confirmed_at, NULL, secret_encrypted, last_step, '', NULL, 0,
    '[]', ''
FROM twofactor_totpdevice ORDER BY id
"""
COPY_BACK = """
INSERT INTO twofactor_totpdevice (user_id, secret_encrypted, last_step, confirmed_at)
SELECT user_id, secret_encrypted, last_step, created_at
FROM twofactor_secondfactor WHERE kind = 'app' ORDER BY id
"""


def devices_triggers_drop(apps, schema_editor):
    BEFORE.drop(apps, schema_editor)


def devices_triggers_create(apps, schema_editor):
    BEFORE.create(apps, schema_editor)


def copy_forward(apps, schema_editor):
    schema_editor.execute(COPY_FORWARD, params=None)


def copy_back(apps, schema_editor):
    schema_editor.execute(COPY_BACK, params=None)


def factors_triggers_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE:
            schema_editor.execute(sql, params=None)
    schema_editor.execute("DELETE FROM twofactor_adoptioncount", params=None)
    schema_editor.execute(FILL, params=None)


def factors_triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("twofactor", "0004_adoption_summary"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="securitypolicy",
            name="agents_allow_keys",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="securitypolicy",
            name="contacts_allow_keys",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(devices_triggers_drop, devices_triggers_create),
        migrations.CreateModel(
            name="SecondFactor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("app", "Authenticator app"), ("key", "Security key")],
                        max_length=3,
                    ),
                ),
                ("name", models.CharField(blank=True, max_length=60)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("secret_encrypted", models.TextField(blank=True)),
                ("last_step", models.BigIntegerField(default=0)),
                ("credential_id", models.CharField(blank=True, max_length=1400)),
                ("public_key", models.BinaryField(blank=True, null=True)),
                ("sign_count", models.BigIntegerField(default=0)),
                ("transports", models.JSONField(blank=True, default=list)),
                ("aaguid", models.CharField(blank=True, max_length=36)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="second_factors",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("kind", "app")),
                        fields=("user",),
                        name="second_factor_one_app",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("kind", "key")),
                        fields=("credential_id",),
                        name="second_factor_credential_unique",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("kind", "app"),
                                models.Q(("secret_encrypted", ""), _negated=True),
                            ),
                            models.Q(
                                ("kind", "key"),
                                models.Q(("credential_id", ""), _negated=True),
                                ("public_key__isnull", False),
                            ),
                            _connector="OR",
                        ),
                        name="second_factor_kind_fields",
                    ),
                ],
            },
        ),
        migrations.RunPython(copy_forward, copy_back),
        migrations.DeleteModel(name="TOTPDevice"),
        migrations.CreateModel(
            name="TOTPDevice",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("twofactor.secondfactor",),
        ),
        migrations.CreateModel(
            name="SecurityKey",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("twofactor.secondfactor",),
        ),
        migrations.CreateModel(
            name="WebAuthnChallenge",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "purpose",
                    models.CharField(
                        choices=[
                            ("register", "Register a key"),
                            ("signin", "Second step of a sign-in"),
                            ("reauth", "Re-authentication"),
                        ],
                        max_length=10,
                    ),
                ),
                ("binding", models.CharField(max_length=64)),
                ("challenge", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField()),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["user", "-created_at"], name="webauthn_challenge_user"),
                    models.Index(fields=["expires_at"], name="webauthn_challenge_expiry"),
                ],
            },
        ),
        migrations.RunPython(factors_triggers_create, factors_triggers_drop),
    ]
