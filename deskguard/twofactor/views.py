"""Security pages, mounted in both portals (thin views over flows.py): status,
enrol, recovery codes, replace, regenerate, disable."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from deskguard.accounts.models import User
from deskguard.accounts.portal import Portal, current_portal
from deskguard.audit.activity import security_activity
from deskguard.httputil import form_data
from deskguard.portals.access import portal_refusal
from deskguard.signin.session import is_password_login, session_method

from . import flows, key_flows, recovery, services, totp
from .forms import ConfirmSavedForm, EnrollForm, ReauthForm
from .models import FactorKind
from .policy import (
    active_factors,
    enrolment_allowed,
    keys_offered,
    policy_current,
    twofactor_active,
    twofactor_allowed,
    twofactor_enforced,
)
from .verify import verdict_message

LOW_CODES = 3  # C7: warn when this few recovery codes remain


View = Callable[..., HttpResponseBase]


def security_view(view: View) -> View:
    """Signed-in account of this portal, and 2FA allowed for it (D2: when contacts
    are not allowed 2FA, their Security page does not exist)."""

    @wraps(view)
    @never_cache
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        portal = current_portal(request)
        if (refusal := portal_refusal(request, portal)) is not None:
            return refusal
        user = cast(User, request.user)  # portal_refusal returned None: signed in
        if not twofactor_allowed(user, policy_current(request)):
            raise Http404("Two-factor authentication is not available.")
        return view(request, portal, user, *args, **kwargs)

    return wrapped


@security_view
def security(request: HttpRequest, portal: Portal, user: User) -> HttpResponse:
    """B1, K3: whether 2FA is on, the account's factors, and what can be done."""
    factors = list(active_factors().filter(user=user))
    app = next((f for f in factors if f.kind == FactorKind.APP), None)
    remaining = services.recovery_codes_remaining(user=user) if factors else 0
    # C7: signed in with a recovery code, and the app not replaced since: the page
    # leads to a new app, in the words of the banner the sign-in showed.
    after_recovery = (
        app is not None
        and session_method(request) == "password+recovery"
        and (user.last_login is None or app.created_at <= user.last_login)
    )
    return render(
        request,
        "twofactor/security.html",
        {
            "tab": "security",
            "factors": factors,
            "device": app,
            "keys_offered": keys_offered(user, policy_current(request)),
            "remaining": remaining,
            "low_codes": bool(factors) and remaining <= LOW_CODES,
            "after_recovery": after_recovery,
            "enforced": twofactor_enforced(user, policy_current(request)),
            # I11: an enrolled contact keeps 2FA after "allow" was switched off; the
            # page says that turning it off now cannot be undone by them.
            "enrolment_allowed": enrolment_allowed(user, policy_current(request)),
            "sso_session": not is_password_login(session_method(request)),
            "activity": security_activity(user=user),
        },
    )


@security_view
@require_http_methods(["GET", "POST"])
def enable(request: HttpRequest, portal: Portal, user: User) -> HttpResponse:
    """B2/B7: QR code and key; active only after a valid code. With security keys and
    no app yet, this adds the app (after re-authentication, like any factor change)."""
    replacing = services.app_factor_of(user) is not None
    if twofactor_active(user) and not flows.reauth_recent(request):
        return redirect(portal.url("security-replace"))
    form = EnrollForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        if flows.enrollment_confirm(request, user=user, code=form.cleaned_data["code"]):
            if flows.fresh_codes(request) is None:
                messages.success(request, gettext("Your authenticator app was added."))
                return redirect(portal.url("security"))
            return redirect(portal.url("security-codes"))
        form.code_refused(
            gettext(
                "That code does not match. Check that your phone's clock is set "
                "automatically and enter the newest code."
            )
        )
    secret = flows.enrollment_secret(request)
    uri = totp.provisioning_uri(secret, user.email)
    return render(
        request,
        "twofactor/enable.html",
        {
            "tab": "security",
            "form": form,
            "replacing": replacing,
            "qr_svg": totp.qr_svg(uri),
            "secret": secret,
            "secret_grouped": totp.grouped(secret),
            "uri": uri,
            "enforced": twofactor_enforced(user, policy_current(request)) and not replacing,
            # Forced enrollment offers a key too where the portal allows keys (K3, K4).
            "keys_offered": not twofactor_active(user)
            and keys_offered(user, policy_current(request)),
        },
        status=400 if request.method == "POST" else 200,
    )


@security_view
@require_http_methods(["GET", "POST"])
def codes(request: HttpRequest, portal: Portal, user: User) -> HttpResponse:
    """B3: the new recovery codes, once, until the user confirms they saved them."""
    fresh = flows.fresh_codes(request)
    if fresh is None:
        messages.info(
            request,
            gettext("Recovery codes are shown only once. Generate a new set if you lost them."),
        )
        return redirect(portal.url("security"))
    form = ConfirmSavedForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        flows.fresh_codes_confirm(request)
        messages.success(request, CODES_SAVED[fresh.after])
        return redirect(portal.url("security"))
    display = [recovery.display(code) for code in fresh.codes]
    return render(
        request,
        "twofactor/codes.html",
        {
            "tab": "security",
            "after": fresh.after.value,
            "codes": display,
            "codes_text": "\n".join(display),
            "form": form,
            "filename": f"{user.email}-recovery-codes.txt",
            "generated_at": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


CODES_SAVED = {
    flows.Fresh.ENROLLED: _("Two-factor authentication is on and your recovery codes are saved."),
    flows.Fresh.REPLACED: _(
        "Your new authenticator app is set up and your recovery codes are saved."
    ),
    flows.Fresh.REGENERATED: _("Your new recovery codes are saved. The old ones no longer work."),
}


REAUTH_PAGES = {
    "confirm": (
        _("Confirm it is you"),
        _(
            "Adding, renaming or removing a second factor needs a fresh proof of your "
            "password and a second factor."
        ),
        _("Continue"),
        False,
    ),
    "replace": (
        _("Replace your authenticator app"),
        _(
            "Confirm it is you. Then scan a new QR code with your new phone; the old "
            "app stops working as soon as the new one is verified."
        ),
        _("Continue"),
        False,
    ),
    "regenerate": (
        _("Generate new recovery codes"),
        _("Your current recovery codes stop working at once."),
        _("Generate new codes"),
        False,
    ),
    "disable": (
        _("Turn off two-factor authentication"),
        _(
            "Your authenticator and recovery codes will be removed. Signing in will "
            "ask only for your password."
        ),
        _("Turn off"),
        True,
    ),
}


def reauth_page(
    request: HttpRequest,
    portal: Portal,
    user: User,
    action: str,
    on_success: Callable[[], HttpResponse],
    *,
    cancel: str = "",
) -> HttpResponse:
    if not twofactor_active(user):
        return redirect(portal.url("security"))
    form = ReauthForm(form_data(request))
    error, status = "", 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result = key_flows.reauth_verify(request, user=user, form=form)
            if result.passed:
                return on_success()
            error, status = verdict_message(result, with_password=True)
            form.both_refused()
    title, text, button, danger = REAUTH_PAGES[action]
    return render(
        request,
        "twofactor/reauth.html",
        {
            "tab": "security",
            "form": form,
            "error": error,
            "title": title,
            "text": text,
            "button": button,
            "danger": danger,
            "key_options": key_flows.reauth_key_options(request, user),
            "cancel": cancel,
        },
        status=status,
    )


@sensitive_post_parameters("password", "code", "credential")
@security_view
@require_http_methods(["GET", "POST"])
def replace(request: HttpRequest, portal: Portal, user: User) -> HttpResponse:
    if flows.reauth_recent(request):
        return redirect(portal.url("security-enable"))

    def done() -> HttpResponse:
        flows.reauth_mark(request)
        return redirect(portal.url("security-enable"))

    return reauth_page(request, portal, user, "replace", done)


@sensitive_post_parameters("password", "code", "credential")
@security_view
@require_http_methods(["GET", "POST"])
def regenerate(request: HttpRequest, portal: Portal, user: User) -> HttpResponse:
    def done() -> HttpResponse:
        flows.recovery_codes_regenerate(request, user=user)
        return redirect(portal.url("security-codes"))

    return reauth_page(request, portal, user, "regenerate", done)


@sensitive_post_parameters("password", "code", "credential")
@security_view
@require_http_methods(["GET", "POST"])
def disable(request: HttpRequest, portal: Portal, user: User) -> HttpResponse:
    if twofactor_enforced(user, policy_current(request)):
        # B6/D1/D2: under enforcement there is no button, and a forged POST lands here.
        messages.error(
            request,
            gettext(
                "Two-factor authentication is required by your "
                "administrator, so it cannot be turned off. You can replace your "
                "authenticator app instead."
            ),
        )
        return render(request, "twofactor/refused.html", {"tab": "security"}, status=403)

    def done() -> HttpResponse:
        flows.twofactor_disable(request, user=user)
        messages.success(request, gettext("Two-factor authentication is off."))
        # I11: a contact whose 2FA outlived "allow" has no Security page once it is off.
        if twofactor_allowed(user, policy_current(request)):
            return redirect(portal.url("security"))
        return redirect(portal.url("profile"))

    return reauth_page(request, portal, user, "disable", done)
