"""Security notices to the account holder (E3). Each says what happened, when, from
which address and browser, and what to do if it was not them. Codes appear only in
the administrator's resend mail, which exists to deliver them."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from deskguard.accounts.models import User
from deskguard.mailer import mail_send
from deskguard.netutil import client_ip

from . import recovery


def _send(
    *,
    user: User,
    request: HttpRequest | None,
    subject: str,
    lines: list[str],
    codes: list[str] | None = None,
    by_admin: User | None = None,
) -> None:
    context = {
        "user": user,
        "headline": subject,
        "lines": lines,
        "when": timezone.now(),
        "ip": client_ip(request) if request else None,
        "browser": (request.META.get("HTTP_USER_AGENT", "")[:200] if request else "") or None,
        "codes": [recovery.display(c) for c in codes] if codes else None,
        "by_admin": by_admin,
    }
    # Mail only once the change is committed: never announce what was rolled back.
    transaction.on_commit(
        lambda: mail_send(
            to=user.email, subject=subject, template="security_notice", context=context
        )
    )


def notify_enabled(*, user: User, request: HttpRequest, replaced: bool) -> None:
    if replaced:
        _send(
            user=user,
            request=request,
            subject="Your authenticator app was replaced",
            lines=[
                "A new authenticator app now protects your account; the old one "
                "stopped working. You also received a new set of recovery codes."
            ],
        )
    else:
        _send(
            user=user,
            request=request,
            subject="Two-factor authentication is on",
            lines=[
                "Signing in with your password now also asks for a code from your "
                "authenticator app."
            ],
        )


def notify_disabled(*, user: User, request: HttpRequest | None, by_admin: User | None) -> None:
    who = f"An administrator ({by_admin.display_name})" if by_admin else "You"
    _send(
        user=user,
        request=request,
        by_admin=by_admin,
        subject="Two-factor authentication is off",
        lines=[
            f"{who} turned off two-factor authentication for your account. Your "
            "authenticator and recovery codes no longer work."
        ],
    )


def notify_codes_regenerated(*, user: User, request: HttpRequest) -> None:
    _send(
        user=user,
        request=request,
        subject="New recovery codes were generated",
        lines=["A new set of recovery codes was generated. The previous codes no longer work."],
    )


def notify_codes_resent(
    *, user: User, request: HttpRequest | None, by_admin: User, codes: list[str]
) -> None:
    _send(
        user=user,
        request=request,
        by_admin=by_admin,
        codes=codes,
        subject="Your new recovery codes",
        lines=[
            f"An administrator ({by_admin.display_name}) sent you a new set of "
            "recovery codes. Each works once; the previous codes no longer work.",
            "Sign in with your password and one of these codes, then set up your "
            "authenticator app again under Security.",
        ],
    )


def notify_recovery_used(*, user: User, request: HttpRequest, remaining: int) -> None:
    _send(
        user=user,
        request=request,
        subject="A recovery code was used",
        lines=[
            f"A recovery code was used to sign in to your account. {remaining} "
            f"unused code{'s' if remaining != 1 else ''} remain."
        ],
    )


def notify_throttled(
    *, user: User, request: HttpRequest, locked: bool, retry_at: datetime | None
) -> None:
    if locked:
        lines = [
            "After too many wrong codes, sign-in with authenticator codes is locked "
            "for your account. Use a recovery code, or ask an administrator."
        ]
    else:
        when = timezone.localtime(retry_at).strftime("%Y-%m-%d %H:%M %Z") if retry_at else ""
        lines = [
            f"Several wrong two-factor codes were entered for your account. Further "
            f"attempts are paused until {when}."
        ]
    _send(
        user=user,
        request=request,
        lines=lines,
        subject="Sign-in locked" if locked else "Several wrong sign-in codes",
    )
