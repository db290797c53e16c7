"""The error pages (400, 403, 404, 500) in the theme of the portal whose address was
asked for (L1, L5): a 404 under /agent/ is an Agent Portal page.

Django's own handlers render 400 and 500 without any context, and 404 without a
resolved portal (nothing matched), so the portal is read from the path here. Nothing
here touches the database or the session: a 500 may be answering a database outage.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

AGENT_PREFIX = "/agent/"


def error_context(path: str) -> dict[str, Any]:
    """What the error layout shows: the theme and the home link of the path's portal."""
    agent = path.startswith(AGENT_PREFIX)
    return {
        "agent_theme": agent,
        "home": AGENT_PREFIX if agent else "/",
        "site_name": settings.SITE_NAME,
    }


def error_page(
    request: HttpRequest, template: str, status: int, context: dict[str, Any] | None = None
) -> HttpResponse:
    page = render_to_string(template, {**error_context(request.path), **(context or {})})
    return HttpResponse(page, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Echoes nothing the client sent (a foreign Host header, too many fields).
    return error_page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    # The reason is one of ours (portal_required): "This page belongs to the ...".
    return error_page(request, "403.html", 403, {"exception": str(exception)})


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, "500.html", 500)
