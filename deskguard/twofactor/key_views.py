"""Security pages for factors (K1, K3): add a security key, rename it, remove any
factor, and the re-authentication they share. Thin views over key_flows.py."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from deskguard.accounts.models import User
from deskguard.accounts.portal import Portal
from deskguard.httputil import form_data
from deskguard.security import safe_next

from . import flows, key_flows, keys
from .forms import KeyAddForm, KeyNameForm
from .models import FactorKind, SecondFactor, SecurityKey
from .policy import keys_offered, policy_current, twofactor_active, twofactor_enforced
from .views import reauth_page, security_view


def _confirm_first(request: HttpRequest, portal: Portal) -> HttpResponse:
    """To the re-authentication page, and back to this page afterwards."""
    back = request.path
    url = reverse(portal.url("security-confirm"))
    return redirect(f"{url}?{urlencode({'next': back}, safe='/')}")


@sensitive_post_parameters("password", "code", "credential")
@security_view
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, portal: Portal, user: User) -> HttpResponse:
    """K3: password + code or key, then on to the factor change that asked for it."""
    security = reverse(portal.url("security"))
    next_url = safe_next(request, request.GET.get("next"), security)
    if flows.reauth_recent(request):
        return redirect(next_url)

    def done() -> HttpResponse:
        flows.reauth_mark(request)
        return redirect(next_url)

    return reauth_page(request, portal, user, "confirm", done)


def _refused(request: HttpRequest, text: str, status: int = 403) -> HttpResponse:
    messages.error(request, text)
    return render(request, "twofactor/refused.html", {"tab": "security"}, status=status)


@sensitive_post_parameters("credential")
@security_view
@require_http_methods(["GET", "POST"])
def key_add(request: HttpRequest, portal: Portal, user: User) -> HttpResponse:
    """K1: name a key and register it with the browser. The account's first factor needs
    no re-authentication (like enabling the app); any later one does."""
    if not keys_offered(user, policy_current(request)):
        return _refused(request, gettext("Security keys are not offered on this helpdesk."))
    active = twofactor_active(user)
    if active and not flows.reauth_recent(request):
        return _confirm_first(request, portal)
    form = KeyAddForm(form_data(request))
    error, status = "", 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                key = key_flows.key_add(
                    request,
                    user=user,
                    name=form.cleaned_data["name"],
                    reply=form.cleaned_data["reply"],
                )
            except keys.RegistrationRefused as refusal:
                error = str(refusal)
            else:
                if flows.fresh_codes(request) is not None and not active:
                    return redirect(portal.url("security-codes"))
                messages.success(
                    request, gettext("The security key “%(name)s” was added.") % {"name": key.label}
                )
                return redirect(portal.url("security"))
    options = keys.registration_options(user=user, binding=key_flows.session_binding(request))
    return render(
        request,
        "twofactor/key_add.html",
        {
            "tab": "security",
            "form": form,
            "error": error,
            "options": options,
            "enforced": not active and twofactor_enforced(user, policy_current(request)),
        },
        status=status,
    )


def _factor_of(user: User, pk: int) -> SecondFactor:
    factor = SecondFactor.objects.filter(user=user, pk=pk).first()
    if factor is None:
        raise Http404("No such factor.")
    return factor


@security_view
@require_http_methods(["GET", "POST"])
def factor_rename(request: HttpRequest, portal: Portal, user: User, pk: int) -> HttpResponse:
    factor = _factor_of(user, pk)
    if factor.kind != FactorKind.KEY:
        raise Http404("Only security keys have names.")
    if not flows.reauth_recent(request):
        return _confirm_first(request, portal)
    form = KeyNameForm(form_data(request), initial={"name": factor.name})
    if request.method == "POST" and form.is_valid():
        key = SecurityKey.objects.get(pk=factor.pk)
        key_flows.key_rename(request, user=user, key=key, name=form.cleaned_data["name"])
        messages.success(request, gettext("The security key was renamed."))
        return redirect(portal.url("security"))
    return render(
        request,
        "twofactor/factor_rename.html",
        {"tab": "security", "form": form, "factor": factor},
        status=400 if form.errors else 200,
    )


LAST_FACTOR_ENFORCED = _(
    "This is your last second factor and your administrator requires two-factor "
    "authentication, so it cannot be removed. Add another one first."
)


@security_view
@require_http_methods(["GET", "POST"])
def factor_remove(request: HttpRequest, portal: Portal, user: User, pk: int) -> HttpResponse:
    factor = _factor_of(user, pk)
    enforced = twofactor_enforced(user, policy_current(request))
    last = SecondFactor.objects.filter(user=user).count() == 1
    if last and enforced:
        # K3/B6: the last factor cannot go while 2FA is enforced; a forged POST lands here.
        return _refused(request, str(LAST_FACTOR_ENFORCED))
    if not flows.reauth_recent(request):
        return _confirm_first(request, portal)
    if request.method == "POST":
        # Decided again under the lock on the account's factors (another tab may be
        # removing the other one right now).
        removal = key_flows.factor_remove(request, user=user, factor=factor, enforced=enforced)
        if removal is key_flows.Removal.REFUSED:
            return _refused(request, str(LAST_FACTOR_ENFORCED))
        if removal is key_flows.Removal.TURNED_OFF:
            messages.success(
                request, f"“{factor.label}” was removed. Two-factor authentication is off."
            )
        elif removal is key_flows.Removal.REMOVED:
            messages.success(request, f"“{factor.label}” was removed.")
        return redirect(portal.url("security"))
    return render(
        request,
        "twofactor/factor_remove.html",
        {"tab": "security", "factor": factor, "last": last},
    )
