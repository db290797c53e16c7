"""The sign-in form. Every field is bounded so oversized input is a form error, not work."""

from __future__ import annotations

from django import forms

from deskguard.accounts.forms import PASSWORD_MAX


class SignInForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
