"""E1/E2/J3: taking a copy of the security log is itself a recorded event, at each
download of the file."""

from __future__ import annotations

from deskguard.audit.models import AuditEvent, Event
from tests.audit.test_export import download


def test_e2_an_export_is_recorded_with_its_format_and_filters(admin_client, admin):
    download(admin_client, format="jsonl", event="signin.failed")
    event = AuditEvent.objects.get(event=Event.AUDIT_DOWNLOADED)
    assert event.actor == admin
    assert event.detail["format"] == "jsonl"
    assert "signin.failed" in event.detail["filters"]


def test_j3_each_download_of_the_same_file_is_recorded(admin_client, other_client, make_user):
    from deskguard.accounts.models import Kind
    from tests.conftest import signin

    response = download(admin_client, format="csv")
    second_admin = make_user(Kind.AGENT, email="second@example.com", is_admin=True)
    signin(other_client, second_admin)
    again = other_client.get(response.request["PATH_INFO"])
    assert again.status_code == 200
    b"".join(again.streaming_content)
    recorded = AuditEvent.objects.filter(event=Event.AUDIT_DOWNLOADED).order_by("id")
    assert [event.actor_label for event in recorded] == ["admin@example.com", "second@example.com"]
    assert {event.detail["export"] for event in recorded} == {response.export.pk}
