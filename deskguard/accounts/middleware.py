"""Every page in the reader's time zone (L2) and language (L4)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from .models import User


class TimeZoneMiddleware:
    """Activates the signed-in account's zone for the request (templates, `localtime`,
    the audit log's day filters); anonymous pages keep the helpdesk's. Reads the
    account the authentication middleware loads anyway: no query of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User):
            timezone.activate(user.zone)
        try:
            return self.get_response(request)
        finally:
            # The zone is per thread: the next request of this worker starts afresh.
            timezone.deactivate()


def request_language(request: HttpRequest) -> str:
    """L4: the signed-in account's language, else the browser's (Accept-Language, as
    Django's LocaleMiddleware reads it but without language prefixes in URLs), else
    the site's LANGUAGE_CODE."""
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.language:
        return user.language
    return translation.get_language_from_request(request, check_path=False)


class LanguageMiddleware:
    """Activates the request's language (`request_language`) beside the time zone.
    Responses say which language they are in and that it may follow Accept-Language,
    so a shared cache never serves one visitor's German page to another."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        translation.activate(request_language(request))
        try:
            response = self.get_response(request)
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", translation.get_language())
            return response
        finally:
            translation.deactivate()
