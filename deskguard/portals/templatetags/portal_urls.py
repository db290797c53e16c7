"""`{% purl 'signin' %}`: a URL in the portal the page is served in (shared templates)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def purl(context: dict[str, Any], name: str, *args: Any) -> str:
    portal = context.get("portal")
    namespace = portal.value if portal else "customer"
    return reverse(f"{namespace}:{name}", args=args)
