"""E1, I6: on PostgreSQL the database refuses to rewrite, delete or truncate audit
rows, even through raw SQL and even for the table's owner; deleting an account only
clears the foreign key. (A role that owns nothing cannot even try: test_database_roles.)"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from deskguard.accounts.models import User
from deskguard.audit.models import AuditEvent, Event
from deskguard.audit.services import audit_record


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's; CI runs this file there")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET event = 'signin.succeeded'",
        "UPDATE audit_auditevent SET detail = '{}'",
        "UPDATE audit_auditevent SET subject_label = 'someone else'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_e1_raw_sql_cannot_rewrite_or_delete_audit_rows(postgres_only, contact, sql):
    event = audit_record(event=Event.SIGNIN_FAILED, subject=contact, detail={"reason": "x"})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.event, stored.detail, stored.subject_label) == (
        Event.SIGNIN_FAILED,
        {"reason": "x"},
        contact.email,
    )


def test_e1_deleting_an_account_keeps_its_audit_rows_and_labels(postgres_only, contact):
    audit_record(event=Event.SIGNIN_SUCCEEDED, subject=contact, actor=contact)
    User.objects.filter(pk=contact.pk).delete()
    event = AuditEvent.objects.get()
    assert event.subject is None and event.subject_label == "carol@example.com"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "sql",
    [
        # Alone it is refused anyway: the mail outbox refers to it.
        "TRUNCATE outbox_outboundmail, audit_auditevent",
        "TRUNCATE audit_auditevent RESTART IDENTITY CASCADE",
        # By CASCADE from the accounts table the log refers to.
        "TRUNCATE accounts_user CASCADE",
    ],
)
def test_i6_truncate_is_refused_even_for_the_tables_owner(contact, sql):
    """TRUNCATE fires no row trigger; a statement trigger refuses it. Committed rows
    (a transactional test): inside an open transaction with pending foreign-key
    checks PostgreSQL refuses TRUNCATE for that reason first, which proves nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's; CI runs this file there")
    audit_record(event=Event.SIGNIN_FAILED, subject=contact, detail={"reason": "x"})
    with pytest.raises(DatabaseError, match=r"append-only \(TRUNCATE refused\)"):
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.get().detail == {"reason": "x"}
    assert User.objects.filter(pk=contact.pk).exists()
