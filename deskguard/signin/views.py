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
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from deskguard.accounts.portal import current_portal, portal_of
from deskguard.httputil import form_data
from deskguard.limits.throttle import retry_message
from deskguard.security import safe_next
from deskguard.twofactor import keys
from deskguard.twofactor.forms import KeyReplyForm, SecondFactorForm
from deskguard.twofactor.verify import Factor

from . import messages as texts
from .challenge import CodeStep, challenge_submit, code_step_get
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
    """C1: the second step of a form sign-in: a code, a recovery code, or (K2) a key."""
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
                return _signed_in(request, step, outcome.redirect_to)
            form.code_refused(outcome.error)
            status, retry_in = outcome.status, outcome.retry_in
    return _challenge_page(request, step, form, status=status, retry_in=retry_in)


@sensitive_post_parameters("credential")
@never_cache
@require_POST
def challenge_key(request: HttpRequest) -> HttpResponse:
    """K2: the second step with a security key: the browser's answer to the challenge
    the second-step page gave it."""
    portal = current_portal(request)
    step = code_step_get(request, portal=portal)
    if step is None:
        messages.error(request, texts.EXPIRED)
        return redirect(portal.url("signin"))
    form = KeyReplyForm(form_data(request))
    error, status, retry_in = "", 400, 0
    if not step.keys_usable:
        error = gettext("This account has no security key that works on this site.")
    elif form.is_valid():
        outcome = challenge_submit(
            request, portal=portal, step=step, factor=Factor.KEY, reply=form.cleaned_data["reply"]
        )
        if outcome.redirect_to is not None:
            return _signed_in(request, step, outcome.redirect_to)
        error, status, retry_in = outcome.error, outcome.status, outcome.retry_in
    else:
        error = " ".join(str(e) for e in form.non_field_errors())
    return _challenge_page(
        request, step, SecondFactorForm(), status=status, retry_in=retry_in, key_error=error
    )


def _signed_in(request: HttpRequest, step: CodeStep, to: str) -> HttpResponse:
    response = redirect(to)
    pending_clear(response)
    device_remember(request, response, user=step.pending.user)
    return response


def _challenge_page(
    request: HttpRequest,
    step: CodeStep,
    form: SecondFactorForm,
    *,
    status: int,
    retry_in: int,
    key_error: str = "",
) -> HttpResponse:
    """A refused code is the code field's error (form.code_refused); a refused key has
    no field, so its message stands above the key's button."""
    user = step.pending.user
    key_options = ""
    if step.keys_usable:
        key_options = keys.authentication_options(
            user=user, purpose=keys.Purpose.SIGNIN, binding=step.binding
        )
        # The key's button has the focus: one click (or Enter) starts the prompt.
        form.fields["code"].widget.attrs.pop("autofocus", None)
    if not step.has_app:
        # Only keys: the field takes a recovery code (letters and digits).
        code = form.fields["code"]
        code.label = gettext("Recovery code")
        code.widget.attrs.update(inputmode="text")
    return render(
        request,
        "signin/challenge.html",
        # retry_in: the countdown (countdown.js) that re-enables Verify; the server
        # refuses an early code all the same (C5).
        {
            "form": form,
            "key_error": key_error,
            "pending_email": user.email,
            "key_options": key_options,
            "has_app": step.has_app,
            "retry_in": retry_in,
        },
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
