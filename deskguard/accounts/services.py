"""Account services (A6)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext

from deskguard.audit.models import Event
from deskguard.events import security_event

from .models import Kind, User


@transaction.atomic
def user_create(
    *,
    email: str,
    kind: Kind,
    name: str = "",
    is_admin: bool = False,
    language: str = "",
    created_by: User | None,
) -> User:
    """Create an account without a password; the invitation (a set-password link made
    when the mail is sent, in the account's `language`) is queued with it
    (outbox/notices.py)."""
    user = User.objects.create_user(
        email, kind=kind, name=name, is_admin=is_admin, language=language
    )
    security_event(
        event=Event.ACCOUNT_CREATED,
        actor=created_by,
        subject=user,
        detail={"kind": kind, "is_admin": is_admin},
    )
    return user


def deactivate_refusal(*, admin: User, target: User) -> str | None:
    """Why `admin` may not deactivate `target`, or None if they may."""
    if not admin.is_admin:
        return gettext("Only administrators can do this.")
    if target.pk == admin.pk:
        return gettext("You cannot deactivate your own account.")
    if not target.is_active:
        return f"{target.email} is already deactivated."
    return None


@transaction.atomic
def user_deactivate(*, user: User, by: User, request: HttpRequest | None = None) -> None:
    """A deactivated account cannot sign in; its sessions stop at the next request
    because the session backend refuses inactive users."""
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    security_event(event=Event.ACCOUNT_DEACTIVATED, request=request, actor=by, subject=user)
