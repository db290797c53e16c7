"""Rendering and sending account mail: a text part and an HTML part per message."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def mail_send(*, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    context = {"site_name": settings.SITE_NAME, "base_url": settings.BASE_URL, **context}
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"mail/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"mail/{template}.html", context), "text/html")
    message.send()
