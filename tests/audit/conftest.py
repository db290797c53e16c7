"""Audit fixtures: events are written through audit_record(), as the application does,
at a chosen moment and from a chosen browser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from deskguard.audit.models import AuditEvent, Event
from deskguard.audit.services import audit_record

AUDIT_URL = "/agent/admin/audit/"
EXPORT_URL = "/agent/admin/audit/export/"
EXPORTS_URL = "/agent/admin/audit/exports/"


def at(day: str, clock: str = "12:00") -> dt.datetime:
    """A moment in the helpdesk's time zone, e.g. at("2025-03-01", "23:59")."""
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{clock}"))


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    """Export files of each test in its own folder (J3)."""
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


@pytest.fixture
def record(db) -> Callable[..., AuditEvent]:
    def make(
        event: Event = Event.SIGNIN_FAILED,
        *,
        when: dt.datetime | None = None,
        ip: str = "203.0.113.7",
        user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        **kwargs: Any,
    ) -> AuditEvent:
        request = RequestFactory().get("/", REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)
        request.user = AnonymousUser()
        with time_machine.travel(when or timezone.now(), tick=False):
            return audit_record(event=event, request=request, **kwargs)

    return make
