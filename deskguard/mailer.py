"""Rendering and sending account mail: a text part and an HTML part per message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


def after_response(response: HttpResponseBase, tasks: list[Callable[[], None]]) -> None:
    """Run `tasks` once the response is sent, where the request's duration must not
    depend on them (F3: mail goes only to real accounts, and SMTP takes time).

    WSGI servers (and Django's test client) call response.close() after the last
    byte; Django runs the response's resource closers there.
    """

    def run() -> None:
        for task in tasks:
            try:
                task()
            except Exception:
                log.exception("deferred task failed")

    # Django has kept this list of closers since 3.0; the stubs do not declare it.
    response._resource_closers.append(run)  # type: ignore[attr-defined]


def mail_send(*, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    context = {"site_name": settings.SITE_NAME, "base_url": settings.BASE_URL, **context}
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"mail/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"mail/{template}.html", context), "text/html")
    message.send()
