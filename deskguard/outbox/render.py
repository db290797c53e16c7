"""Turning a queued row into a message, at send time (H3).

Every text is produced here too, in the reader's language (L4): their account's
choice, or the helpdesk's LANGUAGE_CODE when they made none (a mail has no browser
to ask).

Secrets are produced here, never stored in the queue: the reset and invitation links
(Django's one-time tokens) and an administrator's resent recovery codes, which
replace the old set only once the mail server accepted them (`on_accepted`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from deskguard.accounts.models import User, normalize_email
from deskguard.accounts.portal import Portal, portal_of
from deskguard.accounts.reset import reset_mail_keys
from deskguard.audit.models import AuditEvent
from deskguard.limits.throttle import (
    throttle_create,
    throttle_reserve,
    throttle_settle_failure,
    throttle_settle_success,
    throttle_states,
)
from deskguard.twofactor import recovery
from deskguard.twofactor.policy import policy_current, twofactor_active, twofactor_allowed
from deskguard.twofactor.services import recovery_codes_set
from deskguard.useragent import browser_in_words

from .models import MailKind, OutboundMail
from .notices import CHANGE_PASSWORD, NOTICES, Action

MAIL_ID_HEADER = "X-Deskguard-Mail"


class NothingToSend(Exception):
    """When its turn came, the message had no reader or no purpose any more."""


def _nothing() -> None:
    return None


@dataclass
class Prepared:
    message: EmailMultiAlternatives
    on_accepted: Callable[[], None] = field(default=_nothing)
    on_not_sent: Callable[[], None] = field(default=_nothing)

    @property
    def accepted_answer(self) -> str:
        host = getattr(settings, "EMAIL_HOST", "")
        return f"accepted by {host}" if host else "delivered to the local mailbox"


def _message(
    mail: OutboundMail, *, template: str, context: dict[str, Any], reader: User
) -> Prepared:
    """Both parts rendered in the reader's time zone (L2); the caller has activated the
    reader's language (`_in_language`)."""
    context = {"site_name": settings.SITE_NAME, "base_url": settings.BASE_URL, **context}
    zone = reader.zone
    context["zone_name"] = zone.key
    with timezone.override(zone):
        text = render_to_string(f"mail/{template}.txt", context)
        html = render_to_string(f"mail/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {context['subject']}",
        body=text,
        to=[mail.to_address],
        headers={MAIL_ID_HEADER: str(mail.pk)},
    )
    message.attach_alternative(html, "text/html")
    return Prepared(message)


def _event(mail: OutboundMail) -> AuditEvent:
    if mail.event is None:
        raise NothingToSend("its event is gone")
    return mail.event


def _active_recipient(mail: OutboundMail) -> User:
    user = mail.recipient
    if user is None or not user.is_active:
        raise NothingToSend("the account is gone or deactivated")
    return user


def one_time_link(user: User, *, url_name: str, portal: Portal | None = None) -> str:
    """An absolute set-password link; it dies when the password changes (Django's token)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse((portal or portal_of(user)).url(url_name), args=[uid, token])
    return f"{settings.BASE_URL}{path}"


def portal_link(user: User, url_name: str) -> str:
    """An absolute link to a page of the account's own portal."""
    return f"{settings.BASE_URL}{reverse(portal_of(user).url(url_name))}"


def _action_link(user: User, action: Action) -> tuple[str, str]:
    """The button's words and absolute URL. The Security page exists only for an
    account that may have 2FA (D2); otherwise the profile is where it acts."""
    if action.url_name == "security" and not twofactor_allowed(user, policy_current()):
        return _("Open your profile"), portal_link(user, "profile")
    return str(action.label), portal_link(user, action.url_name)


def _notice_context(mail: OutboundMail, event: AuditEvent, user: User) -> dict[str, Any]:
    notice = NOTICES[event.event]
    action = _action_link(user, notice.action) if notice.action else None
    return {
        "user": user,
        "subject": notice.subject(event),
        "headline": notice.subject(event),
        "lines": notice.lines(event),
        "action_label": action[0] if action else "",
        "action_url": action[1] if action else "",
        # "If this was not you, change your password now" links to that page, unless
        # the button already does (an account signing in only through SSO has none).
        "password_url": (
            portal_link(user, "password")
            if user.has_usable_password() and notice.action != CHANGE_PASSWORD
            else ""
        ),
        "when": event.at,
        "ip": event.ip,
        "browser": browser_in_words(event.user_agent) if event.user_agent else None,
    }


def mail_language(user: User) -> str:
    """L4: the language of the account's mails; blank (follow the browser) has no
    browser here and falls back to the helpdesk's."""
    return user.language or settings.LANGUAGE_CODE


def _notice(mail: OutboundMail) -> Prepared:
    event, user = _event(mail), _active_recipient(mail)
    with translation.override(mail_language(user)):
        context = _notice_context(mail, event, user)
        return _message(mail, template="security_notice", context=context, reader=user)


def _recovery_codes(mail: OutboundMail) -> Prepared:
    """D4/H2/H3: a fresh set made now, shown only in this message; the old set dies
    when the server accepted it, in the worker's own short transaction."""
    event, user = _event(mail), _active_recipient(mail)
    if not twofactor_active(user):
        raise NothingToSend("two-factor authentication was turned off since")
    codes = recovery.codes_new()
    with translation.override(mail_language(user)):
        context = _notice_context(mail, event, user)
        context["codes"] = [recovery.display(code) for code in codes]
        prepared = _message(mail, template="security_notice", context=context, reader=user)
    prepared.on_accepted = lambda: recovery_codes_set(user=user, codes=codes)
    return prepared


def _invitation(mail: OutboundMail) -> Prepared:
    event, user = _event(mail), _active_recipient(mail)
    if user.has_usable_password():
        raise NothingToSend("the account already has a password")
    link = one_time_link(user, url_name="invitation")
    with translation.override(mail_language(user)):
        context = {
            "user": user,
            "link": link,
            "invited_by": event.actor,
            "subject": _("You are invited"),
        }
        return _message(mail, template="invitation", context=context, reader=user)


def _password_reset(mail: OutboundMail) -> Prepared:
    """A3/F3: the request was queued whatever the address; only here is it decided
    whether an active account of that portal exists."""
    event = _event(mail)
    try:
        portal = Portal(event.detail.get("portal", ""))
    except ValueError as exc:
        raise NothingToSend("no portal") from exc
    user = User.objects.filter(
        email=normalize_email(mail.to_address), kind=portal.kind, is_active=True
    ).first()
    if user is None:
        raise NothingToSend(f"no active {portal.label} account has this address")
    # I2: counted only now, for a mail that will really be sent.
    keys = reset_mail_keys(event.detail)
    throttle_create(*throttle_states(*keys))
    if not keys or not throttle_reserve(*keys):
        raise NothingToSend("the reset mails this requester may cause are used up for now")
    link = one_time_link(user, url_name="password-reset-confirm", portal=portal)
    with translation.override(mail_language(user)):
        context = {"user": user, "link": link, "subject": _("Reset your password")}
        prepared = _message(mail, template="password_reset", context=context, reader=user)
    prepared.on_accepted = lambda: throttle_settle_failure(*keys)  # a use, with its delay
    prepared.on_not_sent = lambda: throttle_settle_success(refund=keys)
    return prepared


RENDERERS: dict[str, Callable[[OutboundMail], Prepared]] = {
    MailKind.NOTICE: _notice,
    MailKind.RECOVERY_CODES: _recovery_codes,
    MailKind.INVITATION: _invitation,
    MailKind.PASSWORD_RESET: _password_reset,
}


def prepare(mail: OutboundMail) -> Prepared:
    return RENDERERS[mail.kind](mail)
