"""What the sign-in pages say. The same failure text for every wrong email, password,
portal or inactive account (F3)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

GENERIC_FAILURE = _("The email address or password is not correct.")
EXPIRED = _("Your sign-in expired or was not started. Please sign in again.")
SIGNED_OUT = _("You have signed out.")


def recovery_code_used(remaining: int, *, has_app: bool = True) -> str:
    """C7: after a recovery code, lead the user to set up a new authenticator (or, for
    an account with only security keys, to replace a lost key)."""
    if not has_app:
        return ngettext(
            "You signed in with a recovery code; %(count)d remains. "
            "If you lost a security key, remove it below and add a new one.",
            "You signed in with a recovery code; %(count)d remain. "
            "If you lost a security key, remove it below and add a new one.",
            remaining,
        ) % {"count": remaining}
    return ngettext(
        "You signed in with a recovery code; %(count)d remains. If you lost your "
        "phone, press “Set up your authenticator app again” below.",
        "You signed in with a recovery code; %(count)d remain. If you lost your "
        "phone, press “Set up your authenticator app again” below.",
        remaining,
    ) % {"count": remaining}
