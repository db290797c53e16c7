"""Account forms. Every field is bounded so oversized input is a form error, not work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.validators import MaxLengthValidator

from .models import Kind, User, normalize_email

# Long enough for any passphrase, short enough that hashing it is not a DoS.
PASSWORD_MAX = 1024


if TYPE_CHECKING:
    # Generic in django-stubs only; at run time Django's classes take no parameters.
    _SetPasswordForm = SetPasswordForm[User]
    _ModelForm = forms.ModelForm[User]
else:
    _SetPasswordForm = SetPasswordForm
    _ModelForm = forms.ModelForm


def _bound_passwords(form: forms.Form) -> None:
    for name in ("old_password", "new_password1", "new_password2"):
        if name in form.fields:
            field = form.fields[name]
            assert isinstance(field, forms.CharField)
            field.max_length = PASSWORD_MAX
            field.validators.append(MaxLengthValidator(PASSWORD_MAX))


class BoundedSetPasswordForm(_SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bound_passwords(self)


class BoundedPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bound_passwords(self)


class ProfileForm(_ModelForm):
    class Meta:
        model = User
        fields = ["name"]

    def clean(self) -> dict[str, Any]:
        # A blank name is a choice; an absent one means the request did not come
        # from this form, and saving it would silently erase the name.
        if "name" not in self.data:
            self.add_error("name", "This field is required.")
        return super().clean() or {}


class AccountCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices)
    email = forms.EmailField(max_length=254)
    name = forms.CharField(max_length=150, required=False)
    is_admin = forms.BooleanField(required=False, label="Administrator (agents only)")

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_admin") and data.get("kind") != Kind.AGENT:
            self.add_error("is_admin", "Only agents can be administrators.")
        return data
