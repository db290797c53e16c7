"""Admin Settings -> Single sign-on (A4, D5): list, create, edit, delete providers."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from deskguard.httputil import AuthenticatedHttpRequest, form_data
from deskguard.portals.access import admin_required

from . import services
from .flows import callback_url
from .forms import SUGGESTED_ISSUERS, ProviderForm
from .models import SSOProvider

TAB = "sso"


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
        provider = services.sso_provider_create(
            settings=form.provider_settings(),
            client_secret=form.new_client_secret() or "",
            by=request.user,
        )
        messages.success(request, f"{provider.name} is added. Register its callback URL below.")
        return redirect("agent:admin-sso")
    return _form_page(request, form, provider=None)


@sensitive_post_parameters("client_secret")
@admin_required
@require_http_methods(["GET", "POST"])
def provider_edit(request: AuthenticatedHttpRequest, provider_id: int) -> HttpResponse:
    provider = get_object_or_404(SSOProvider, pk=provider_id)
    form = ProviderForm(form_data(request), instance=provider)
    if request.method == "POST" and form.is_valid():
        services.sso_provider_update(
            provider=provider,
            settings=form.provider_settings(),
            client_secret=form.new_client_secret(),
            by=request.user,
        )
        messages.success(request, f"{provider.name} is saved.")
        return redirect("agent:admin-sso")
    return _form_page(request, form, provider=provider)


@admin_required
@require_http_methods(["GET", "POST"])
def provider_delete(request: AuthenticatedHttpRequest, provider_id: int) -> HttpResponse:
    provider = get_object_or_404(SSOProvider, pk=provider_id)
    if request.method == "POST":
        services.sso_provider_delete(provider=provider, by=request.user)
        messages.success(request, f"{provider.name} is removed.")
        return redirect("agent:admin-sso")
    return render(request, "sso/admin/delete.html", {"provider": provider, "tab": TAB})


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
