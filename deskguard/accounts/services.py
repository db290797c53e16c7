"""Account services (A6)."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from deskguard.audit.models import Event
from deskguard.audit.services import audit_record
from deskguard.mailer import mail_send

from .models import Kind, User
from .portal import portal_of


def set_password_link(user: User, *, url_name: str) -> str:
    """An absolute one-time link; it dies when the password changes (Django's token)."""
    from django.conf import settings

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse(portal_of(user).url(url_name), args=[uid, token])
    return f"{settings.BASE_URL}{path}"


@transaction.atomic
def user_create(
    *, email: str, kind: Kind, name: str = "", is_admin: bool = False, created_by: User | None
) -> User:
    """Create an account without a password and e-mail it an invitation."""
    user = User.objects.create_user(email, kind=kind, name=name, is_admin=is_admin)
    audit_record(
        event=Event.ACCOUNT_CREATED,
        actor=created_by,
        subject=user,
        detail={"kind": kind, "is_admin": is_admin},
    )
    link = set_password_link(user, url_name="invitation")
    transaction.on_commit(
        lambda: mail_send(
            to=user.email,
            subject="You are invited",
            template="invitation",
            context={"user": user, "link": link, "invited_by": created_by},
        )
    )
    return user


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> None:
    """A deactivated account cannot sign in; its sessions stop at the next request
    because the session backend refuses inactive users."""
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(event=Event.ACCOUNT_DEACTIVATED, actor=by, subject=user)
