"""Sudo mode in Admin Settings (I10): the re-authentication page, and the decorator
for the confirmation pages of actions that weaken an account or the policy. The rules
are in twofactor/sudo.py."""

from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from deskguard.httputil import AuthenticatedHttpRequest, form_data
from deskguard.portals.access import View, admin_required
from deskguard.security import safe_next
from deskguard.twofactor.forms import ReauthForm
from deskguard.twofactor.key_flows import reauth_key_options
from deskguard.twofactor.sudo import SUDO_TTL, sudo_active, sudo_block, sudo_enter
from deskguard.twofactor.verify import verdict_message


def sudo_url(next_path: str) -> str:
    return f"{reverse('agent:admin-sudo')}?{urlencode({'next': next_path}, safe='/')}"


def sudo_redirect(request: HttpRequest) -> HttpResponse:
    """To the re-authentication page, and back to this page (never to a POST)."""
    back = request.get_full_path() if request.method == "GET" else request.path
    return redirect(sudo_url(back))


def sudo_required(view: View) -> View:
    """Behind admin_required: outside sudo mode the page (GET) or the action (POST)
    is not reached; the administrator proves it is them and comes back to the page,
    which shows again what will happen. A POST changes nothing on its way."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if sudo_active(request):
            return view(request, *args, **kwargs)
        return sudo_redirect(request)

    return wrapped


@sensitive_post_parameters("password", "code", "credential")
@admin_required
@never_cache
@require_http_methods(["GET", "POST"])
def sudo_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    admin = request.user
    next_url = safe_next(request, request.GET.get("next"), reverse("agent:admin"))
    block = sudo_block(admin)
    if block is None and request.method == "GET" and sudo_active(request):
        return redirect(next_url)
    form = ReauthForm(form_data(request)) if block is None else None
    error, status = "", 200
    if request.method == "POST":
        status = 403 if block else 400
        if form is not None and form.is_valid():
            result = sudo_enter(request, user=admin, form=form)
            if result.passed:
                return redirect(next_url)
            error, status = verdict_message(result, with_password=True)
            form.both_refused()
    return render(
        request,
        "agent/admin/sudo.html",
        {
            "form": form,
            "error": error,
            # Not "block": inside {% block %} tags that name is the template block.
            "blocked": block.value if block else "",
            "minutes": SUDO_TTL // 60,
            "next": next_url,
            "key_options": reauth_key_options(request, admin) if block is None else "",
        },
        status=status,
    )
