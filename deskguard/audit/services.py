"""Writing the audit log (E1). Never pass codes, secrets or passwords in `detail`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from deskguard.accounts.models import User
from deskguard.netutil import client_ip

from .context import current_request
from .models import AuditEvent, Event

COMMAND_LINE = "command line"


def audit_record(
    *,
    event: Event,
    request: HttpRequest | None = None,
    subject: User | None = None,
    actor: User | None = None,
    actor_label: str = "",
    subject_label: str = "",
    method: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `request` defaults to the one being served; the actor
    defaults to its signed-in user."""
    request = request if request is not None else current_request.get()
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        event=event,
        actor=actor,
        actor_label=actor_label or (actor.email if actor else ""),
        subject=subject,
        subject_label=subject_label or (subject.email if subject else ""),
        method=method,
        ip=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        detail=detail or {},
    )
