"""Admin Settings -> Single sign-on (A4, D5): list, create, edit, delete providers.

A provider is a way into accounts that skips the second factor, so every change to
one (add, change, remove) needs sudo mode and a confirmation page that says what will
happen (I10). A submitted form waits in the session, encrypted (it may hold the
client secret), until the administrator confirms it.
"""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.forms.utils import pretty_name
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from deskguard.httputil import AuthenticatedHttpRequest, form_data
from deskguard.portals.access import admin_required
from deskguard.portals.agent.confirmation import (
    confirmation_page,
    submitted_clear,
    submitted_get,
    submitted_put,
)
from deskguard.portals.agent.sudo import sudo_required
from deskguard.twofactor.policy import policy_current

from . import services
from .flows import callback_url
from .forms import SUGGESTED_ISSUERS, ProviderForm
from .models import ProviderPortals, SSOProvider

TAB = "sso"
PENDING = "sso-provider"
NO_MAIL = _("No email is sent.")


@admin_required
def provider_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    providers = [(p, callback_url(p)) for p in SSOProvider.objects.all()]
    return render(request, "sso/admin/list.html", {"providers": providers, "tab": TAB})


@sensitive_post_parameters("client_secret")
@admin_required
@require_http_methods(["GET", "POST"])
def provider_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProviderForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        return _submit(request, provider=None)
    return _form_page(request, form, provider=None)


@sensitive_post_parameters("client_secret")
@admin_required
@require_http_methods(["GET", "POST"])
def provider_edit(request: AuthenticatedHttpRequest, provider_id: int) -> HttpResponse:
    provider = get_object_or_404(SSOProvider, pk=provider_id)
    form = ProviderForm(form_data(request), instance=provider)
    if request.method == "POST" and form.is_valid():
        if not _changes(provider, form):
            messages.info(request, gettext("Nothing changed."))
            return redirect("agent:admin-sso")
        return _submit(request, provider=provider)
    return _form_page(request, form, provider=provider)


def _submit(request: HttpRequest, *, provider: SSOProvider | None) -> HttpResponse:
    data = {name: value for name in ProviderForm.base_fields if (value := request.POST.get(name))}
    submitted_put(
        request, PENDING, {"provider": provider.pk if provider else None, **data}, secret=True
    )
    return redirect("agent:admin-sso-confirm")


@admin_required
@sudo_required
@require_http_methods(["GET", "POST"])
def provider_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The submitted provider, validated again now, stated, then saved as shown."""
    submitted = submitted_get(request, PENDING, secret=True)
    provider_id = submitted.data.get("provider") if submitted else None
    provider = SSOProvider.objects.filter(pk=provider_id).first() if provider_id else None
    form = ProviderForm(submitted.data if submitted else None, instance=provider)
    if submitted is None or (provider_id and provider is None) or not form.is_valid():
        # Nothing waiting, or no longer valid (the slug was taken, the provider removed).
        submitted_clear(request, PENDING)
        messages.info(
            request, gettext("There is no provider change waiting for your confirmation.")
        )
        return redirect("agent:admin-sso")
    if request.method == "POST" and submitted.shown:
        submitted_clear(request, PENDING)
        if provider is None:
            provider = services.sso_provider_create(
                settings=form.provider_settings(),
                client_secret=form.new_client_secret() or "",
                by=request.user,
                request=request,
            )
            messages.success(
                request,
                gettext("%(name)s is added. Register its callback URL.") % {"name": provider.name},
            )
        else:
            services.sso_provider_update(
                provider=provider,
                settings=form.provider_settings(),
                client_secret=form.new_client_secret(),
                by=request.user,
                request=request,
            )
            messages.success(request, gettext("%(name)s is saved.") % {"name": provider.name})
        return redirect("agent:admin-sso")
    submitted_put(request, PENDING, submitted.data, shown=True, secret=True)
    name = form.cleaned_data["name"]
    return confirmation_page(
        request,
        title=gettext("Change %(name)s") % {"name": provider.name}
        if provider
        else gettext("Add %(name)s") % {"name": name},
        consequences=_describe(request, form, provider),
        button=gettext("Save") if provider else gettext("Add the provider"),
        cancel=reverse("agent:admin-sso-edit", args=[provider.pk])
        if provider
        else reverse("agent:admin-sso-new"),
        tab=TAB,
    )


@admin_required
@sudo_required
@require_http_methods(["GET", "POST"])
def provider_delete(request: AuthenticatedHttpRequest, provider_id: int) -> HttpResponse:
    provider = get_object_or_404(SSOProvider, pk=provider_id)
    if request.method == "POST":
        services.sso_provider_delete(provider=provider, by=request.user, request=request)
        messages.success(request, gettext("%(name)s is removed.") % {"name": provider.name})
        return redirect("agent:admin-sso")
    return confirmation_page(
        request,
        title=gettext("Remove %(name)s") % {"name": provider.name},
        consequences=[
            gettext(
                "%(name)s is removed and its “Sign in with %(name)s” button "
                "disappears from the sign-in pages at once."
            )
            % {"name": provider.name},
            gettext(
                "Accounts keep their password and second factor. Those who only ever signed "
                "in with %(name)s have no password: they choose one with “Forgot your "
                "password?” on the sign-in page."
            )
            % {"name": provider.name},
            str(NO_MAIL),
        ],
        button=gettext("Remove"),
        cancel=reverse("agent:admin-sso"),
        tab=TAB,
    )


def _changes(provider: SSOProvider, form: ProviderForm) -> list[str]:
    changed = [
        field
        for field, value in asdict(form.provider_settings()).items()
        if getattr(provider, field) != value
    ]
    return changed + (["client_secret"] if form.new_client_secret() is not None else [])


def _describe(request: HttpRequest, form: ProviderForm, provider: SSOProvider | None) -> list[str]:
    settings = form.provider_settings()
    name = settings.name
    shown_on = dict(ProviderPortals.choices)[settings.portals]
    if provider is None:
        lines = [
            gettext(
                "%(name)s is added as a single sign-on provider: issuer %(issuer)s, "
                "client ID %(client_id)s."
            )
            % {"name": name, "issuer": settings.issuer, "client_id": settings.client_id},
        ]
    else:
        labels = {
            field: str(f.label or pretty_name(field))
            for field, f in ProviderForm.base_fields.items()
        }
        lines = [
            f"{labels[field]}: "
            + (
                gettext("a new secret replaces the stored one")
                if field == "client_secret"
                else f"{getattr(provider, field)} → {getattr(settings, field)}"
            )
            + "."
            for field in _changes(provider, form)
        ]
    if settings.enabled:
        lines.append(
            gettext(
                "Its “Sign in with %(name)s” button is shown on: %(shown_on)s. Whoever "
                "%(name)s signs in with a verified email address of an account here is signed "
                "in to that account without a second factor: two-factor authentication "
                "covers password sign-in only."
            )
            % {"name": name, "shown_on": shown_on}
        )
        if (
            settings.portals != ProviderPortals.AGENT
            and policy_current(request).sso_create_contacts
        ):
            lines.append(
                gettext(
                    "A first sign-in with an address that has no account creates a contact "
                    "(Customer Portal · Security)."
                )
            )
    else:
        lines.append(gettext("It is disabled: no button and no sign-in until it is enabled."))
    lines.append(str(NO_MAIL))
    return lines


def _form_page(
    request: HttpRequest, form: ProviderForm, *, provider: SSOProvider | None
) -> HttpResponse:
    return render(
        request,
        "sso/admin/form.html",
        {
            "form": form,
            "provider": provider,
            "callback": callback_url(provider) if provider else "",
            "suggested": SUGGESTED_ISSUERS,
            "tab": TAB,
        },
        status=400 if form.errors else 200,
    )
