"""The sign-in form. Every field is bounded so oversized input is a form error, not work."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from deskguard.accounts.forms import PASSWORD_MAX


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
