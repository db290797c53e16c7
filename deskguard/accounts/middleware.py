"""Every page in the reader's time zone (L2)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

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
