"""Who may open a portal page: the portal's own kind of account, admins for admin pages.

Anonymous visitors (including a session still waiting for its second factor) go
to the portal's sign-in page; a signed-in account of the other kind gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext

from deskguard.accounts.portal import Portal

View = Callable[..., HttpResponseBase]


def portal_refusal(
    request: HttpRequest, portal: Portal, *, admin: bool = False
) -> HttpResponseBase | None:
    """None if the request may open a page of `portal`; else the sign-in redirect
    (or PermissionDenied for an account of the other kind, or a non-admin)."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse(portal.url("signin")))
    if user.kind != portal.kind:
        raise PermissionDenied(
            gettext("This page belongs to the %(portal)s.") % {"portal": portal.label}
        )
    if admin and not user.is_admin:
        raise PermissionDenied(gettext("Only administrators can open this page."))
    return None


def portal_required(portal: Portal, *, admin: bool = False) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            refusal = portal_refusal(request, portal, admin=admin)
            return refusal if refusal is not None else view(request, *args, **kwargs)

        return wrapped

    return decorator


agent_required = portal_required(Portal.AGENT)
admin_required = portal_required(Portal.AGENT, admin=True)
contact_required = portal_required(Portal.CUSTOMER)
