from __future__ import annotations

from django.http import HttpRequest, QueryDict

from deskguard.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind an access check (portals.access): its user is a
    signed-in account, never AnonymousUser."""

    user: User


def form_data(request: HttpRequest) -> QueryDict | None:
    """POST data to bind a form to, or None on GET. (`request.POST or None` would
    leave a form unbound, and so never invalid, for an empty POST.)"""
    return request.POST if request.method == "POST" else None
