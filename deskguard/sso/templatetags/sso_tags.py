from __future__ import annotations

from django import template

from deskguard.accounts.portal import Portal
from deskguard.sso.models import SSOProvider
from deskguard.sso.services import sso_providers_for_portal

register = template.Library()


@register.simple_tag
def sso_providers(portal: Portal | str | None) -> list[SSOProvider]:
    """The enabled providers of a sign-in page: one database query, no network."""
    if portal is None or str(portal) not in {p.value for p in Portal}:
        return []
    return list(sso_providers_for_portal(portal=Portal(str(portal))))
