"""Sign-in, second step and sign-out pages, mounted in both portals (thin views).

Each portal mounts these views under its own namespace; the namespace says which
portal (and so which kind of account) a request is for.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from deskguard.accounts.portal import current_portal, portal_of
from deskguard.httputil import form_data
from deskguard.limits.throttle import retry_message
from deskguard.security import safe_next
from deskguard.twofactor.forms import SecondFactorForm

from . import messages as texts
from .challenge import challenge_submit, code_step_get
from .device import device_remember
from .forms import SignInForm
from .password import Outcome, signin_with_password
from .pending import pending_clear, pending_start
from .session import session_logout


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    home = reverse(portal.url("home"))
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), home)
    if request.user.is_authenticated and portal_of(request.user) == portal:
        return redirect(next_url)
    form = SignInForm(form_data(request))
    error, status = "", 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        result = signin_with_password(
            request,
            portal=portal,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
        )
        if result.outcome is Outcome.SIGNED_IN and result.user is not None:
            response = redirect(next_url)
            device_remember(request, response, user=result.user)
            return response
        if result.outcome is Outcome.SECOND_FACTOR and result.user is not None:
            response = redirect(portal.url("challenge"))
            pending_start(request, response, user=result.user, portal=portal, next_url=next_url)
            return response
        if result.outcome is Outcome.THROTTLED and result.retry_at:
            error, status = retry_message(result.retry_at), 429
        else:
            error = str(texts.GENERIC_FAILURE)
    return render(
        request,
        "signin/signin.html",
        {"form": form, "error": error, "next": next_url, "portal": portal},
        status=status,
    )


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def challenge(request: HttpRequest) -> HttpResponse:
    """C1: the second step of a form sign-in."""
    portal = current_portal(request)
    step = code_step_get(request, portal=portal)
    if step is None:
        # The marker, if any, is left alone: it may belong to the other portal's
        # tab, and an expired one can do nothing.
        messages.error(request, texts.EXPIRED)
        return redirect(portal.url("signin"))
    # L4: the step belongs to the account whose password was right: its language,
    # when it chose one, rather than the browser's (the middleware ends it).
    if step.pending.user.language:
        translation.activate(step.pending.user.language)
    form = SecondFactorForm(form_data(request))
    status, retry_in = 200, 0
    if request.method == "POST":
        status = 400
        if form.is_valid():
            outcome = challenge_submit(
                request,
                portal=portal,
                step=step,
                factor=form.cleaned_data["factor"],
                code=form.cleaned_data["code"],
            )
            if outcome.redirect_to is not None:
                response = redirect(outcome.redirect_to)
                pending_clear(response)
                device_remember(request, response, user=step.pending.user)
                return response
            form.code_refused(outcome.error)
            status, retry_in = outcome.status, outcome.retry_in
    return render(
        request,
        "signin/challenge.html",
        # retry_in: the countdown (countdown.js) that re-enables Verify; the server
        # refuses an early code all the same (C5).
        {"form": form, "pending_email": step.pending.user.email, "retry_in": retry_in},
        status=status,
    )


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    session_logout(request)
    messages.info(request, texts.SIGNED_OUT)
    response = redirect(portal.url("signin"))
    pending_clear(response)  # "Cancel and sign in again" on the code step ends it too
    return response
