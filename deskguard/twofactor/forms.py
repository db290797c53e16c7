"""Code forms. Malformed input is a form error (400) and never reaches the throttle:
it cannot be a guess."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from deskguard.accounts.forms import PASSWORD_MAX

from . import recovery, webauthn
from .verify import Factor

_SPACES = re.compile(r"[\s\-]+")
CODE_HELP = _("Enter the 6-digit code from your authenticator app, or one of your recovery codes.")


def _otp_widget() -> forms.TextInput:
    # One field, numeric keypad on phones, filled by password managers and
    # iOS/Android one-time-code autofill (C2). No placeholder: digits in grey
    # ("123 456") read as a code already filled in.
    return forms.TextInput(
        attrs={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autofocus": True,
            "class": "otp-input",
            "maxlength": 64,
            "spellcheck": "false",
            "autocapitalize": "off",
        }
    )


def totp_digits(raw: str) -> str | None:
    code = _SPACES.sub("", raw)
    return code if len(code) == 6 and code.isascii() and code.isdigit() else None


class CodeForm(forms.Form):
    """A form with a `code` field that the server can refuse after validation."""

    def code_refused(self, message: str) -> None:
        """L5: a refused code (wrong, used, or not judged while throttled) is not typed
        back into the field, and the message is the field's error, so the field is
        marked invalid and described by it (aria-invalid, aria-describedby)."""
        # A QueryDict is immutable; `**` reads the last value of each field.
        self.data = {**self.data, "code": ""}
        self.add_error("code", message)


class SecondFactorForm(CodeForm):
    """A TOTP code or a recovery code in one field (C1, C4)."""

    code = forms.CharField(max_length=64, label=_("Verification code"), widget=_otp_widget())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = data.get("code", "")
        if not raw:
            return data
        if digits := totp_digits(raw):
            data["factor"], data["code"] = Factor.TOTP, digits
        elif normalized := recovery.normalize(raw):
            data["factor"], data["code"] = Factor.RECOVERY, normalized
        else:
            self.add_error("code", CODE_HELP)
        return data


class EnrollForm(CodeForm):
    code = forms.CharField(
        max_length=64, label=_("6-digit code from your app"), widget=_otp_widget()
    )

    def clean_code(self) -> str:
        code = totp_digits(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(_("Enter the 6 digits your authenticator app shows."))
        return code


def _credential_field() -> forms.CharField:
    # Filled by static/deskguard/webauthn.js with the browser's reply (JSON).
    return forms.CharField(
        required=False,
        max_length=webauthn.MAX_RESPONSE_CHARS,
        strip=False,
        widget=forms.HiddenInput,
    )


def _reply(form: forms.Form, raw: str) -> webauthn.Reply | None:
    try:
        return webauthn.reply_parse(raw)
    except ValueError as error:
        form.add_error(None, str(error))
        return None


class KeyReplyForm(forms.Form):
    """A security key's reply (K2). A reply that is not one is a form error (400), never
    a counted guess."""

    credential = _credential_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = data.get("credential", "")
        if not raw:
            self.add_error(None, _("Your security key did not answer. Try again."))
        elif (reply := _reply(self, raw)) is not None:
            data["reply"] = reply
        return data


class KeyNameForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        label=_("Name of the key"),
        help_text=_("So you can tell your keys apart, e.g. “YubiKey on my keyring”."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class KeyAddForm(KeyNameForm, KeyReplyForm):
    """K1: a name for the key and the browser's registration reply."""

    field_order = ["name", "credential"]


class ReauthForm(SecondFactorForm):
    """Password and a current code, or a security key, before changing the second
    factor (B5-B7, K3)."""

    password = forms.CharField(
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    credential = _credential_field()
    field_order = ["password", "code", "credential"]

    ERROR_ID = "reauth-error"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False
        self.fields["code"].widget.attrs.pop("autofocus", None)
        self.fields["password"].widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("credential") or ""
        if raw:
            data = self.cleaned_data
            if (reply := _reply(self, raw)) is not None:
                data["factor"], data["reply"], data["code"] = Factor.KEY, reply, ""
            return data
        data = super().clean()
        if not data.get("code") and "code" not in self.errors:
            self.add_error("code", CODE_HELP)
        return data

    def both_refused(self) -> None:
        """L5: the page does not say which of the two was wrong, so its message (the
        element with ERROR_ID) describes both fields; the code is not typed back."""
        self.data = {**self.data, "code": ""}
        for name in ("password", "code"):
            self.fields[name].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": self.ERROR_ID}
            )


class ConfirmSavedForm(forms.Form):
    saved = forms.BooleanField(label=_("I have saved these codes somewhere safe"))
