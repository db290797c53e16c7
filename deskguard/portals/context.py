from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from deskguard.accounts.portal import Portal, portal_of_request

# Which top-bar entry a page belongs to, by its URL name, so the layout can mark it
# with aria-current (L5). Names not listed here (sign-in, password reset) mark none.
_NAV_SECTIONS = {
    "home": "tickets",
    "ticket": "tickets",
    "ticket-new": "ticket-new",
    "profile": "settings",
    "password": "settings",
}


def nav_section(url_name: str) -> str:
    if url_name.startswith("security"):
        return "settings"
    if url_name == "admin" or url_name.startswith("admin-"):
        return "admin"
    return _NAV_SECTIONS.get(url_name, "")


def portal(request: HttpRequest) -> dict[str, Any]:
    """Which portal a page belongs to, for the layout and navigation (A2)."""
    current = portal_of_request(request)
    match = request.resolver_match
    url_name = (match.url_name or "") if match else ""
    return {
        "portal": current,
        # Shared pages extend the layout of the portal they are served in.
        "portal_base": f"{(current or Portal.CUSTOMER).value}/base.html",
        "site_name": settings.SITE_NAME,
        "nav_section": nav_section(url_name),
        "url_name": url_name,
    }
