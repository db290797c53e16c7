from __future__ import annotations

from typing import Any

from django import template

from deskguard.twofactor.policy import policy_current, twofactor_allowed

register = template.Library()


@register.simple_tag(takes_context=True)
def may_use_2fa(context: dict[str, Any]) -> bool:
    """Whether the Security tab exists for the signed-in account (D2: contacts may be
    barred), with the policy the request already read."""
    request = context["request"]
    user = request.user
    return bool(user.is_authenticated) and twofactor_allowed(user, policy_current(request))
