"""I4: request bodies are size-limited, and nothing a client sends is written to disk.

No form of deskguard takes a file, and the largest one (a 20,000-character ticket)
is about 240 kB even percent-encoded. So:

- `RequestBodyLimitMiddleware` refuses a body whose Content-Length is above
  settings.MAX_REQUEST_BODY_BYTES with a 413 before anything reads it (the CSRF
  middleware reads the form to find its token, so an anonymous client with a CSRF
  cookie used to have its whole body parsed). A body without a Content-Length
  (chunked) reaches Django as an empty one: WSGIRequest reads at most Content-Length.
- `RefuseFileUploads`, the only upload handler, refuses a file part in a smaller
  multipart body (400) before a byte of it is stored: Django's default handlers kept
  it in memory or, above 2.5 MB, in the temporary directory.

The reverse proxy should refuse the same size first (README.md: client_max_body_size).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from deskguard.errors import bad_request as generic_bad_request
from deskguard.errors import error_context


def size_label(size: int) -> str:
    """1048576 -> "1 MiB", 524288 -> "512 KiB"."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def _refusal(
    request: HttpRequest, status: int, title: StrPromise, reason: str | StrPromise
) -> HttpResponse:
    # No request context: the session and user are not loaded yet, and need not be. The
    # page speaks the browser's language (L4): no account is known this early.
    with translation.override(translation.get_language_from_request(request)):
        context = {
            **error_context(request.path),
            "status": status,
            "title": str(title),
            "reason": str(reason),
        }
        page = render_to_string("refused.html", context)
    return HttpResponse(page, status=status)


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            # Django itself answered a 500 to this (int() in HttpRequest.body).
            return _refusal(
                request, 400, _("Bad request"), _("The Content-Length header is not a number.")
            )
        limit: int = settings.MAX_REQUEST_BODY_BYTES
        if length > limit:
            return _refusal(
                request,
                413,
                _("Request too large"),
                format_lazy(
                    _("This site takes forms of at most {size} and no file uploads."),
                    size=size_label(limit),
                ),
            )
        return self.get_response(request)


class FileUploadRefused(SuspiciousOperation):
    """A file part in a form: no page has a file input. Django answers 400 through
    `bad_request` below, which says why."""


class RefuseFileUploads(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        raise FileUploadRefused(_("This site takes no file uploads."))

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        raise FileUploadRefused(_("This site takes no file uploads."))

    def file_complete(self, file_size: int) -> None:
        return None


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: our own refusal says what was wrong; any other (a foreign Host
    header, too many fields) keeps the generic page, which echoes nothing the
    client sent."""
    if isinstance(exception, FileUploadRefused):
        return _refusal(request, 400, _("Bad request"), exception.args[0])
    return generic_bad_request(request, exception)
