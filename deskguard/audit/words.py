"""Audit values in the words a reader uses (L2): how someone signed in."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The second step's factor, as recorded after "password+" (twofactor.verify.Factor).
_FACTORS = {
    "totp": gettext_lazy("authenticator code"),
    "recovery": gettext_lazy("recovery code"),
    "webauthn": gettext_lazy("security key"),
    "key": gettext_lazy("security key"),
}


def method_in_words(method: str) -> str:
    """'password+totp' -> 'Password and authenticator code', 'sso:acme' -> 'Single
    sign-on (acme)'; an unknown method is shown as recorded rather than hidden."""
    if not method:
        return ""
    if method == "password":
        return _("Password")
    if method.startswith("password+"):
        factor = method.removeprefix("password+")
        return _("Password and %(factor)s") % {"factor": _FACTORS.get(factor, factor)}
    if method.startswith("sso:"):
        return _("Single sign-on (%(provider)s)") % {"provider": method.removeprefix("sso:")}
    return method
