"""Response headers and redirect-target checks (F4)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

# No inline script or style anywhere: every script is a static file, so an
# injected <script> cannot run. Inline <svg> elements (the QR code) are markup,
# not images, and need nothing here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Pages of a signed-in user hold ticket data and codes: keep them out of
            # shared caches and the back-button cache after sign-out.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    """Only same-site paths are followed (F4): no scheme, no host, no '//' or '\\'."""
    if (
        candidate
        and len(candidate) <= 2000
        and candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default
