"""I4: the e-mail and name a provider asserts, checked as the account form checks
what an administrator types (accounts.forms.AccountCreateForm): a provider is
outside input like any other, and a signature only says who sent it.

Django's form fields bring the EmailValidator, the length limits of the User
columns (254 and 150) and the refusal of NUL; control characters are refused on
top, since the EmailValidator lets them through inside a quoted local part and a
name is shown in pages, mail and the audit log.
"""

from __future__ import annotations

import unicodedata

from django import forms

# The same fields as the account form's.
EMAIL_FIELD = forms.EmailField(max_length=254)
NAME_FIELD = forms.CharField(max_length=150, required=False)

# Line and paragraph separators, and the bidirectional overrides that make a name
# read differently from what it is ("Trojan Source", CVE-2021-42574).
FORBIDDEN = {"\u2028", "\u2029", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}


def _has_control_characters(text: str) -> bool:
    # Cc: C0 controls (NUL, tab, line breaks, ESC...), DEL and C1 controls.
    return any(unicodedata.category(ch) == "Cc" or ch in FORBIDDEN for ch in text)


def email_clean(value: str) -> str | None:
    """The address as the form would keep it, or None when the form would refuse it."""
    if _has_control_characters(value):
        return None
    try:
        return str(EMAIL_FIELD.clean(value))
    except forms.ValidationError:
        return None


def name_clean(value: str) -> str | None:
    """The name as the form would keep it (stripped), or None when it would refuse it."""
    if _has_control_characters(value):
        return None
    try:
        return str(NAME_FIELD.clean(value))
    except forms.ValidationError:
        return None
