"""Template filters for audit values in words (L2)."""

from __future__ import annotations

from django import template

from deskguard.audit.words import method_in_words
from deskguard.useragent import browser_in_words

register = template.Library()


@register.filter
def browser(user_agent: str) -> str:
    """'Firefox 128 on Windows 10'; empty for an empty string."""
    return browser_in_words(user_agent) if user_agent else ""


@register.filter
def method_words(method: str) -> str:
    return method_in_words(method)
