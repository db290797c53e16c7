from __future__ import annotations

from django import template

from deskguard.accounts.models import User
from deskguard.twofactor.policy import policy_current, twofactor_allowed

register = template.Library()


@register.filter
def may_use_2fa(user: User) -> bool:
    """Whether the Security tab exists for this account (D2: contacts may be barred)."""
    return bool(user.is_authenticated) and twofactor_allowed(user, policy_current())
