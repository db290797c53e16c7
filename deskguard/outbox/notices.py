"""Which security event tells whom what (E3, H1): one table.

`security_event()` (deskguard/events.py) records the audit row and, when the event is
in this table and `applies` to it, queues the message in the same transaction. The
texts are produced when the message is sent, from the recorded event.

Each notice names the one page where the reader acts on it (L2), as a URL name inside
the reader's portal; outbox/render.py makes it an absolute link. The texts are
gettext calls made by the worker inside the reader's language (L4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_stubs_ext import StrPromise

from deskguard.audit.models import AuditEvent, Event
from deskguard.limits.rules import SECOND_FACTOR

from .models import MailKind

Lines = Callable[[AuditEvent], list[str]]


def _always(event: AuditEvent) -> bool:
    return True


@dataclass(frozen=True)
class Action:
    """The button of a mail: its words and the page (a URL name of the portal)."""

    label: str | StrPromise
    url_name: str


SECURITY_PAGE = Action(gettext_lazy("Open your Security page"), "security")
CHANGE_PASSWORD = Action(gettext_lazy("Change your password"), "password")


@dataclass(frozen=True)
class Notice:
    kind: MailKind
    subject: Callable[[AuditEvent], str]
    lines: Lines = lambda event: []
    applies: Callable[[AuditEvent], bool] = _always
    action: Action | None = None
    # Who is told: the event's subject account, or (a reset request) the address typed.
    to_typed_address: bool = False


def _admin_name(event: AuditEvent) -> str:
    return (event.actor.display_name if event.actor else "") or event.actor_label


def _disabled_lines(event: AuditEvent) -> list[str]:
    """Whole sentences per actor: a translation cannot glue a subject to a verb."""
    if event.event == Event.ADMIN_DISABLED:
        who = _(
            "An administrator (%(name)s) turned off two-factor authentication for your account."
        ) % {"name": _admin_name(event)}
    elif event.event == Event.BREAK_GLASS_RESET:
        who = _(
            "The helpdesk's operator, from the command line, turned off two-factor "
            "authentication for your account."
        )
    else:
        who = _("You turned off two-factor authentication for your account.")
    return [
        who
        + " "
        + _(
            "Your authenticator app, security keys and recovery codes no longer work: your "
            "password alone now signs you in. You can turn it on again on your Security page."
        )
    ]


def _throttle_starts_or_locks(event: AuditEvent) -> bool:
    """Tell the holder once when delays start and once when codes lock (C5), not at
    every wrong code."""
    failures = event.detail.get("failures")
    return failures in (SECOND_FACTOR.rule.free_failures, SECOND_FACTOR.rule.lock_after)


def _locked(event: AuditEvent) -> bool:
    return bool(event.detail.get("failures") == SECOND_FACTOR.rule.lock_after)


def _throttle_lines(event: AuditEvent) -> list[str]:
    """L2: the password was right (the code step comes only after it), so the real
    news is that someone knows it; a re-authentication counts a wrong password too
    and cannot say so."""
    if event.detail.get("reauth"):
        opening = _(
            "Several wrong passwords or codes were entered to confirm your identity in a "
            "signed-in session of your account."
        )
    else:
        opening = _(
            "Someone entered your password correctly, then several wrong codes from an "
            "authenticator app. The second step kept them out, but whoever it was knows "
            "your password."
        )
    if _locked(event):
        state = _(
            "After too many wrong codes, sign-in with authenticator codes is locked for "
            "your account. You can still sign in with a recovery code, or ask an "
            "administrator to help."
        )
    else:
        state = _(
            "Further attempts are paused for a while, and the pause grows with each wrong code."
        )
    return [
        opening,
        state,
        _(
            "If this was not you, change your password now. If it was you, check that your "
            "phone sets its clock automatically and enter the newest code."
        ),
    ]


def _throttle_subject(event: AuditEvent) -> str:
    if _locked(event):
        return _("Sign-in locked after wrong codes")
    if event.detail.get("reauth"):
        return _("Several wrong sign-in codes")
    return _("Wrong sign-in codes after your correct password")


def _remaining(event: AuditEvent) -> int:
    value = event.detail.get("remaining")
    return value if isinstance(value, int) else 0


_DISABLED = Notice(
    MailKind.NOTICE,
    subject=lambda event: _("Two-factor authentication is off"),
    lines=_disabled_lines,
    action=SECURITY_PAGE,
)
_THROTTLED = Notice(
    MailKind.NOTICE,
    subject=_throttle_subject,
    lines=_throttle_lines,
    applies=_throttle_starts_or_locks,
    action=CHANGE_PASSWORD,
)


def _key_name(event: AuditEvent) -> str:
    name = event.detail.get("key")
    if isinstance(name, str) and name:
        return _("“%(name)s”") % {"name": name}
    return _("without a name")


def _enrolled_lines(event: AuditEvent) -> list[str]:
    if event.detail.get("factor") == "key":
        return [
            _(
                "A security key (%(key)s) now protects your account: signing in "
                "with your password also asks for it. You also received recovery codes."
            )
            % {"key": _key_name(event)}
        ]
    return [
        _(
            "Signing in with your password now also asks for a code from your authenticator "
            "app. Keep your recovery codes somewhere safe: they let you in if you lose your phone."
        )
    ]


def _not_last(event: AuditEvent) -> bool:
    """Removing the last factor turns 2FA off: that mail (DISABLED) says it all."""
    return not event.detail.get("last")


NOTICES: dict[str, Notice] = {
    Event.ENROLLED: Notice(
        MailKind.NOTICE,
        subject=lambda event: _("Two-factor authentication is on"),
        lines=_enrolled_lines,
        action=SECURITY_PAGE,
    ),
    # K5: factor changes. The first key's mail is ENROLLED's.
    Event.KEY_ADDED: Notice(
        MailKind.NOTICE,
        subject=lambda event: _("A security key was added"),
        lines=lambda event: [
            _(
                "A security key (%(key)s) was added to your account. It can now "
                "be used as your second factor when you sign in. If this was not you, sign "
                "in, remove it under Security and change your password."
            )
            % {"key": _key_name(event)}
        ],
        applies=lambda event: not event.detail.get("first"),
        action=SECURITY_PAGE,
    ),
    Event.KEY_REMOVED: Notice(
        MailKind.NOTICE,
        subject=lambda event: _("A security key was removed"),
        lines=lambda event: [
            _("The security key %(key)s was removed from your account and no longer signs you in.")
            % {"key": _key_name(event)}
        ],
        applies=_not_last,
        action=SECURITY_PAGE,
    ),
    Event.APP_ADDED: Notice(
        MailKind.NOTICE,
        subject=lambda event: _("An authenticator app was added"),
        lines=lambda event: [
            _(
                "An authenticator app was added to your account. Its codes can now be used "
                "as your second factor when you sign in, besides your security keys."
            )
        ],
        action=SECURITY_PAGE,
    ),
    Event.APP_REMOVED: Notice(
        MailKind.NOTICE,
        subject=lambda event: _("Your authenticator app was removed"),
        lines=lambda event: [
            _(
                "The authenticator app was removed from your account; its codes no longer "
                "work. Your security keys and recovery codes still do."
            )
        ],
        applies=_not_last,
        action=SECURITY_PAGE,
    ),
    Event.KEY_CLONE_DETECTED: Notice(
        MailKind.NOTICE,
        subject=lambda event: _("A security key was refused"),
        lines=lambda event: [
            _(
                "A sign-in with your security key %(key)s was refused: the key's "
                "use counter went backwards, which happens when a key was copied. If you did "
                "not just sign in, remove the key under Security and change your password."
            )
            % {"key": _key_name(event)}
        ],
        action=SECURITY_PAGE,
    ),
    Event.AUTHENTICATOR_REPLACED: Notice(
        MailKind.NOTICE,
        subject=lambda event: _("Your authenticator app was replaced"),
        lines=lambda event: [
            _(
                "A new authenticator app now protects your account; the old one stopped "
                "working. You also received a new set of recovery codes."
            )
        ],
        action=SECURITY_PAGE,
    ),
    Event.DISABLED: _DISABLED,
    Event.ADMIN_DISABLED: _DISABLED,
    Event.BREAK_GLASS_RESET: _DISABLED,
    Event.RECOVERY_REGENERATED: Notice(
        MailKind.NOTICE,
        subject=lambda event: _("New recovery codes were generated"),
        lines=lambda event: [
            _("A new set of recovery codes was generated. The previous codes no longer work.")
        ],
        action=SECURITY_PAGE,
    ),
    Event.RECOVERY_USED: Notice(
        MailKind.NOTICE,
        subject=lambda event: _("A recovery code was used"),
        lines=lambda event: [
            ngettext(
                "A recovery code was used to sign in to your account. %(count)d unused "
                "code remains.",
                "A recovery code was used to sign in to your account. %(count)d unused "
                "codes remain.",
                _remaining(event),
            )
            % {"count": _remaining(event)},
            _(
                "If you no longer have your authenticator app, set up a new one on your "
                "Security page; running low on codes, generate a new set there."
            ),
        ],
        action=SECURITY_PAGE,
    ),
    Event.SECOND_FACTOR_FAILED: _THROTTLED,
    Event.SECOND_FACTOR_REPLAYED: _THROTTLED,
    # The codes themselves are generated by the worker, when the message is sent (H3).
    Event.RECOVERY_RESENT: Notice(
        MailKind.RECOVERY_CODES,
        subject=lambda event: _("Your new recovery codes"),
        lines=lambda event: [
            _(
                "An administrator (%(name)s) sent you a new set of recovery codes. Each "
                "works once; the previous codes no longer work."
            )
            % {"name": _admin_name(event)},
            _(
                "Sign in with your password and one of these codes, then set up your "
                "authenticator app again on your Security page."
            ),
        ],
        action=SECURITY_PAGE,
    ),
    # Accounts an administrator created; a contact created at its first SSO sign-in
    # signs in through its provider and gets no invitation.
    Event.ACCOUNT_CREATED: Notice(
        MailKind.INVITATION,
        subject=lambda event: _("You are invited"),
        applies=lambda event: "via" not in event.detail,
    ),
    # Queued for every request within the client's limit, whether or not the address
    # has an account (F3): the worker finds the account and counts the mail against the
    # requester's budget (I2), or sends nothing. A refusal's record queues nothing.
    Event.PASSWORD_RESET_REQUESTED: Notice(
        MailKind.PASSWORD_RESET,
        subject=lambda event: _("Reset your password"),
        applies=lambda event: "mail_limit" in event.detail,
        to_typed_address=True,
    ),
}
