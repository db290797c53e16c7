"""I6: the application can run as a database role that owns nothing.

`manage.py grant_app_role <role>` (run by the owner, after `migrate`) gives a role
what the application needs and no more: reading and writing its tables, but only
SELECT and INSERT on the audit log. The owner's table-level rights (ALTER, DISABLE
TRIGGER, DROP) never reach it, so an application (or an attacker in it) cannot edit,
empty or unguard the log: PostgreSQL refuses on privileges, before any trigger.

PostgreSQL only: SQLite has no roles. Each test creates its own role, with a password
so it also works where the server asks for one, and drops it at the end."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from deskguard.audit.models import AuditEvent, Event
from deskguard.outbox.models import MailStatus, OutboundMail
from deskguard.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.servers import database_url, form_token, gunicorn, manage, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Role:
    name: str
    password: str

    def connect(self) -> psycopg.Connection:
        s = connection.settings_dict
        return psycopg.connect(
            host=s["HOST"],
            port=s["PORT"],
            dbname=s["NAME"],
            user=self.name,
            password=self.password,
            autocommit=True,
        )


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("database roles and grants are PostgreSQL's; SQLite has none")


@pytest.fixture
def app_role(postgres) -> Iterator[Role]:
    role = Role(f"deskguard_app_{secrets.token_hex(4)}", secrets.token_urlsafe(16))
    name = sql.Identifier(role.name)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}")
            .format(name, sql.Literal(role.password))
            .as_string(cursor.connection)
        )
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                [role.name],
            )
            # DROP OWNED revokes its privileges in this database (it owns nothing).
            cursor.execute(sql.SQL("DROP OWNED BY {}").format(name).as_string(cursor.connection))
            cursor.execute(sql.SQL("DROP ROLE {}").format(name).as_string(cursor.connection))


INSERT = """
    INSERT INTO audit_auditevent (event, at, actor_label, subject_label, method, user_agent,
                                  detail)
    VALUES ('signin.failed', now(), '', 'carol@example.com', '', '', '{}') RETURNING id
"""


def test_i6_the_app_role_can_append_to_the_audit_log_and_read_it(app_role):
    call_command("grant_app_role", app_role.name)
    with app_role.connect() as app:
        [(row_id,)] = app.execute(INSERT).fetchall()
        rows = app.execute("SELECT id, subject_label FROM audit_auditevent").fetchall()
    assert rows == [(row_id, "carol@example.com")]


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE audit_auditevent SET subject_label = 'someone else'", "permission denied"),
        ("UPDATE audit_auditevent SET subject_id = NULL", "permission denied"),
        ("DELETE FROM audit_auditevent", "permission denied"),
        ("TRUNCATE audit_auditevent", "permission denied"),
        ("TRUNCATE accounts_user CASCADE", "permission denied"),
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL", "must be owner"),
        ("DROP TRIGGER audit_auditevent_append_only ON audit_auditevent", "must be owner"),
        ("ALTER TABLE audit_auditevent OWNER TO CURRENT_USER", "must be owner"),
        ("DROP TABLE audit_auditevent", "must be owner"),
    ],
)
def test_i6_the_app_role_cannot_edit_empty_or_unguard_the_audit_log(app_role, statement, refusal):
    call_command("grant_app_role", app_role.name)
    with app_role.connect() as app:
        app.execute(INSERT)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refusal):
            app.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject_label FROM audit_auditevent")
        assert cursor.fetchall() == [("carol@example.com",)], "the row is unchanged"


def test_i6_the_app_role_reads_and_writes_the_other_tables(app_role, contact):
    call_command("grant_app_role", app_role.name)
    with app_role.connect() as app:
        app.execute("UPDATE accounts_user SET name = 'Carol C.' WHERE id = %s", [contact.pk])
        app.execute("DELETE FROM django_session")
        [(version,)] = app.execute("SELECT count(*) FROM django_migrations").fetchall()
        assert version > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("DELETE FROM django_migrations")
    contact.refresh_from_db()
    assert contact.name == "Carol C."


def test_i6_granting_twice_gives_the_same_rights(app_role):
    """After every `migrate` the owner runs it again; nothing piles up or goes missing."""
    call_command("grant_app_role", app_role.name)
    call_command("grant_app_role", app_role.name)
    with app_role.connect() as app:
        app.execute(INSERT)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("DELETE FROM audit_auditevent")


def test_i6_a_role_that_does_not_exist_is_a_clear_error(postgres):
    with pytest.raises(CommandError, match="no role named 'nobody_here'"):
        call_command("grant_app_role", "nobody_here")


def test_i6_a_member_of_the_owners_role_cannot_be_the_app_role(app_role):
    """A member of the owner's role has the owner's rights, ALTER TABLE included."""
    owner = connection.settings_dict["USER"]
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("GRANT {} TO {}")
            .format(sql.Identifier(owner), sql.Identifier(app_role.name))
            .as_string(cursor.connection)
        )
    with pytest.raises(CommandError, match=f"or is a member of its owner, {owner}"):
        call_command("grant_app_role", app_role.name)


def test_i6_the_owner_cannot_be_made_the_app_role(postgres):
    """Granting to the owner (or a superuser) would change nothing it can do: the
    point is a role without the owner's rights."""
    owner = connection.settings_dict["USER"]
    with pytest.raises(CommandError, match="owns nothing"):
        call_command("grant_app_role", owner)


@pytest.mark.real_hasher  # the server verifies with the production hasher only
def test_i6_the_application_and_its_mail_worker_run_as_the_app_role(app_role, contact, tmp_path):
    """Everything a request and the worker write (sessions, throttles, audit rows,
    tickets, the outbox and the task queue) works under the role's grants."""
    call_command("grant_app_role", app_role.name)
    as_app = {"DATABASE_URL": database_url(app_role.name, app_role.password)}
    with gunicorn(tmp_path, **as_app) as server:
        assert requests.get(f"{server.url}/healthz", timeout=10).json()["database"] == "ok"
        browser = signed_in(server, contact, PASSWORD)
        token = form_token(browser, f"{server.url}/portal/tickets/new/")
        opened = browser.post(
            f"{server.url}/portal/tickets/new/",
            {"subject": "Printer", "body": "On fire", "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=10,
        )
        assert opened.status_code == 302, opened.text[:500]

        stranger = requests.Session()
        token = form_token(stranger, f"{server.url}/portal/signin/")
        wrong = stranger.post(
            f"{server.url}/portal/signin/",
            {"email": contact.email, "password": "wrong", "csrfmiddlewaretoken": token},
            timeout=10,
        )
        assert wrong.status_code == 400 and "Server Error" not in wrong.text
        token = form_token(stranger, f"{server.url}/portal/password-reset/")
        reset = stranger.post(
            f"{server.url}/portal/password-reset/",
            {"email": contact.email, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=10,
        )
        assert reset.status_code == 302, reset.text[:500]
        assert "Traceback" not in server.log_text()

    worker = manage(
        tmp_path,
        "db_worker", "--queue-name", "*", "--batch", "--interval", "0", "--no-startup-delay",
        **as_app,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr[-3000:]
    assert "permission denied" not in worker.stderr
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {Event.SIGNIN_SUCCEEDED, Event.SIGNIN_FAILED} <= events
    assert Ticket.objects.get().subject == "Printer"
    assert set(OutboundMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}
    mailed = [path.read_text() for path in (tmp_path / "var" / "mail").iterdir()]
    assert any(contact.email in text and "password" in text.lower() for text in mailed)


@pytest.mark.django_db
def test_i6_on_sqlite_the_command_says_there_is_nothing_to_grant():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's answer; on PostgreSQL the tests above grant for real")
    with pytest.raises(CommandError, match="SQLite has nothing to grant"):
        call_command("grant_app_role", "deskguard_app")
