from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from deskguard.accounts.portal import Portal, portal_of_request


def portal(request: HttpRequest) -> dict[str, Any]:
    """Which portal a page belongs to, for the layout and navigation (A2)."""
    current = portal_of_request(request)
    return {
        "portal": current,
        # Shared pages extend the layout of the portal they are served in.
        "portal_base": f"{(current or Portal.CUSTOMER).value}/base.html",
        "site_name": settings.SITE_NAME,
    }
