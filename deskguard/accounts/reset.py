"""Password-reset limits (A3, F3, I2).

In the request, only the client is limited (RESET_ADDRESS: a visible 429). Whether a
mail goes out is decided by the mail worker, which alone looks the address up (F3) and
counts only mails it actually sends (I2): each requesting client, or the owner's known
browser, has its own budget for an address, so a stranger's requests use up only the
stranger's own; all untrusted clients together have a cap, so nobody floods a mailbox.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest

from deskguard.audit.models import Event
from deskguard.limits.clients import request_client_group
from deskguard.limits.refusals import limit_use
from deskguard.limits.rules import RESET_ADDRESS, RESET_MAIL_ADDRESS, RESET_MAIL_CLIENT, Key

from .models import normalize_email


def password_reset_refusal(request: HttpRequest, *, email: str) -> datetime | None:
    """Count this request against the client's limit; when to retry if it is over."""
    key = RESET_ADDRESS.of(request_client_group(request))
    return limit_use(request, key, event=Event.PASSWORD_RESET_REQUESTED, email=email)


def reset_mail_budget(
    request: HttpRequest, *, email: str, device_nonce: str | None
) -> dict[str, str]:
    """What the mail worker counts this request's mail against, stored with the event
    (keyed hashes only): this browser's budget if it knows the account, else this
    client group's budget and the address-wide cap."""
    email = normalize_email(email)
    if device_nonce:
        return {"mail_limit": RESET_MAIL_CLIENT.of(f"device:{device_nonce}:{email}").key}
    client = RESET_MAIL_CLIENT.of(f"{request_client_group(request)}:{email}").key
    return {"mail_limit": client, "mail_cap": RESET_MAIL_ADDRESS.of(email).key}


def reset_mail_keys(detail: dict[str, object]) -> list[Key]:
    """The keys `reset_mail_budget` stored, as the worker counts them."""
    keys = []
    for name, limit in (("mail_limit", RESET_MAIL_CLIENT), ("mail_cap", RESET_MAIL_ADDRESS)):
        value = detail.get(name)
        if isinstance(value, str) and value.startswith(f"{limit.prefix}:"):
            keys.append(Key(value, limit.rule, limit.prefix))
    return keys
