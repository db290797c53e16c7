"""Personal settings pages that look the same in both portals (A2 gives each its layout)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext

from deskguard.accounts.forms import BoundedPasswordChangeForm, ProfileForm
from deskguard.accounts.middleware import request_language
from deskguard.accounts.portal import Portal
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.httputil import AuthenticatedHttpRequest, form_data


def profile_page(request: AuthenticatedHttpRequest, portal: Portal) -> HttpResponse:
    user = request.user
    form = ProfileForm(form_data(request), instance=user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            # L4: a new language applies from this answer on, its message included.
            translation.activate(request_language(request))
            messages.success(request, gettext("Your profile is saved."))
            return redirect(portal.url("profile"))
    return render(
        request,
        "settings/profile.html",
        {"form": form, "tab": "profile"},
        status=400 if form.errors else 200,
    )


def password_page(request: AuthenticatedHttpRequest, portal: Portal) -> HttpResponse:
    user = request.user
    form = BoundedPasswordChangeForm(user, form_data(request))
    if request.method == "POST" and form.is_valid():
        form.save()
        # Keep this session; other sessions of the account end with the old hash.
        update_session_auth_hash(request, user)
        security_event(event=Event.PASSWORD_CHANGED, request=request, subject=user)
        messages.success(request, gettext("Your password is changed."))
        return redirect(portal.url("profile"))
    return render(
        request,
        "settings/password.html",
        {"form": form, "tab": "password"},
        status=400 if form.errors else 200,
    )
