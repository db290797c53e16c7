"""F5: the command-line break-glass reset."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from deskguard.audit.models import AuditEvent, Event
from deskguard.twofactor.models import RecoveryCode, TOTPDevice
from tests.conftest import PASSWORD, code_step


def test_f5_reset_2fa_removes_the_only_admins_second_factor_and_is_recorded(client, admin, enroll):
    enrollment = enroll(admin)
    url = code_step(client, admin)
    client.post(url, {"code": enrollment.code()})
    out = StringIO()
    call_command("reset_2fa", "  ADMIN@example.com ", stdout=out)
    assert "Removed the authenticator and recovery codes of admin@example.com" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=admin).exists()
    assert not RecoveryCode.objects.filter(user=admin).exists()
    assert client.get("/agent/")["Location"].startswith("/agent/signin/")  # signed out
    event = AuditEvent.objects.get(event=Event.BREAK_GLASS_RESET)
    assert event.actor is None and event.actor_label == "command line"
    assert event.subject == admin
    response = client.post("/agent/signin/", {"email": admin.email, "password": PASSWORD})
    assert response["Location"] == "/agent/"


def test_f5_reset_2fa_for_an_unknown_email_fails_clearly(db):
    with pytest.raises(CommandError, match=r"No account with the email nobody@example\.com"):
        call_command("reset_2fa", "nobody@example.com")
    assert not AuditEvent.objects.exists()
