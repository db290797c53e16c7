"""SSO start and callback (thin: parse, call one flow, redirect)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from deskguard.accounts.portal import Portal
from deskguard.limits.throttle import retry_message
from deskguard.security import safe_next

from . import flows
from .errors import SSOError
from .models import SSOProvider


def _provider(slug: str) -> SSOProvider:
    # A disabled or removed provider has no button and no URLs.
    return get_object_or_404(SSOProvider, slug=slug, enabled=True)


@never_cache
@require_GET
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """A GET link, not a form: the CSP's form-action 'self' would block a form
    whose redirect leaves the site."""
    provider = _provider(slug)
    try:
        portal = Portal(request.GET.get("portal", ""))
    except ValueError:
        raise Http404("No such portal.") from None
    if not provider.shown_on(portal):
        raise Http404("This provider is not offered on this portal.")
    home = reverse(portal.url("home"))
    next_url = safe_next(request, request.GET.get("next"), home)
    retry_at = flows.sso_start_quota(request, provider=provider)
    if retry_at is not None:
        context = {
            "provider": provider,
            "portal": portal,
            # The context processor cannot tell the portal from an /sso/ URL.
            "portal_base": f"{portal.value}/base.html",
            "retry": retry_message(retry_at),
            "signin_url": reverse(portal.url("signin")),
        }
        return render(request, "sso/start_throttled.html", context, status=429)
    try:
        url = flows.sso_start(request, provider=provider, portal=portal, next_url=next_url)
    except SSOError as error:
        flows.sso_fail(request, provider=provider, portal=portal, error=error)
        return redirect(portal.url("signin"))
    return redirect(url)


@never_cache
@require_GET
def callback(request: HttpRequest, slug: str) -> HttpResponse:
    provider = _provider(slug)
    result = flows.sso_finish(request, provider=provider)
    if isinstance(result, flows.Refused):
        flows.sso_fail(request, provider=provider, portal=result.portal, error=result.error)
        return redirect(result.portal.url("signin"))
    return redirect(result.next_url or reverse(result.portal.url("home")))
