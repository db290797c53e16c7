"""E1/E2: taking a copy of the security log is itself a recorded event."""

from __future__ import annotations

from deskguard.audit.models import AuditEvent, Event


def test_e2_an_export_is_recorded_with_its_format_and_filters(admin_client, admin):
    response = admin_client.get("/agent/admin/audit/export/?format=jsonl&event=signin.failed")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    event = AuditEvent.objects.get(event=Event.AUDIT_DOWNLOADED)
    assert event.actor == admin
    assert event.detail["format"] == "jsonl"
    assert "signin.failed" in event.detail["filters"]
