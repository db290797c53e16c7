"""Audit values in the words a reader uses (L2): how someone signed in."""

from __future__ import annotations

# The second step's factor, as recorded after "password+" (twofactor.verify.Factor).
_FACTORS = {
    "totp": "authenticator code",
    "recovery": "recovery code",
    "webauthn": "security key",
    "key": "security key",
}


def method_in_words(method: str) -> str:
    """'password+totp' -> 'Password and authenticator code', 'sso:acme' -> 'Single
    sign-on (acme)'; an unknown method is shown as recorded rather than hidden."""
    if not method:
        return ""
    if method == "password":
        return "Password"
    if method.startswith("password+"):
        factor = method.removeprefix("password+")
        return f"Password and {_FACTORS.get(factor, factor)}"
    if method.startswith("sso:"):
        return f"Single sign-on ({method.removeprefix('sso:')})"
    return method
