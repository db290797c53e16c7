"""Confirmation pages of administrator actions that weaken an account or the policy
(I10): one page layout, and the submitted form a confirmation is about.

A form (a policy tab, an SSO provider, an invitation of an administrator) is submitted
first; when its change needs confirming, the submitted data waits in the session and
the browser goes to the confirmation page (through the re-authentication page if
needed, so nothing typed is lost). The page re-validates the data against the state
of that moment and records that it was shown; only a shown confirmation is applied,
so a POST that skipped the page does nothing but show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from deskguard.accounts.models import User
from deskguard.sessionvalues import timed_get, timed_put

_KEY = "dg.confirm.{}"
# Long enough to set up 2FA or re-authenticate on the way; short like every
# pending value (sessionvalues.py).
TTL = 900


@dataclass(frozen=True)
class Submitted:
    data: dict[str, Any]
    # What the confirmation page showed (None until it was shown): the caller applies
    # the change only if it still is what was shown.
    shown: Any = None


def submitted_put(
    request: HttpRequest, name: str, data: dict[str, Any], *, shown: Any = None, secret: bool
) -> None:
    """`secret`: the data holds a secret (an SSO client secret) and is encrypted."""
    timed_put(request.session, _KEY.format(name), {"data": data, "shown": shown}, encrypt=secret)


def submitted_get(request: HttpRequest, name: str, *, secret: bool) -> Submitted | None:
    stored = timed_get(request.session, _KEY.format(name), ttl=TTL, encrypted=secret)
    if not isinstance(stored, dict) or not isinstance(stored.get("data"), dict):
        return None
    return Submitted(stored["data"], stored.get("shown"))


def submitted_clear(request: HttpRequest, name: str) -> None:
    request.session.pop(_KEY.format(name), None)


def confirmation_page(
    request: HttpRequest,
    *,
    title: str,
    consequences: list[str],
    button: str,
    cancel: str,
    tab: str,
    target: User | None = None,
    refusal: str | None = None,
    notice: str = "",
    danger: bool = True,
) -> HttpResponse:
    """What will happen, stated exactly: the account, what is removed, who is told."""
    return render(
        request,
        "agent/admin/confirm.html",
        {
            "title": title,
            "target": target,
            "consequences": consequences,
            "button": button,
            "cancel": cancel,
            "tab": tab,
            "refusal": refusal,
            "notice": notice,
            "danger": danger,
        },
        status=403 if refusal else 200,
    )
