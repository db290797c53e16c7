"""E1: the audit log is append-only. No ORM path rewrites or removes a row."""

from __future__ import annotations

import pytest

from deskguard.audit.models import AuditEvent, Event


@pytest.fixture
def event(record, agent) -> AuditEvent:
    return record(Event.SIGNIN_SUCCEEDED, subject=agent, method="password+totp")


def test_e1_saving_an_existing_row_raises_and_changes_nothing(event):
    event.method = "sso:evil"
    with pytest.raises(PermissionError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).method == "password+totp"


def test_e1_deleting_a_row_raises_and_keeps_it(event):
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_e1_a_queryset_update_raises_and_changes_nothing(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(subject_label="someone@else.example")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(method="")
    assert AuditEvent.objects.get(pk=event.pk).subject_label == "agent@example.com"


def test_e1_a_queryset_delete_raises_and_keeps_every_row(event, record):
    record(Event.SIGNOUT)
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 2


def test_e1_new_rows_can_still_be_appended(event, record):
    record(Event.SIGNOUT)
    assert AuditEvent.objects.count() == 2
