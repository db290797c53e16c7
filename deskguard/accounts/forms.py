"""Account forms. Every field is bounded so oversized input is a form error, not work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.validators import MaxLengthValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import Kind, Language, User, normalize_email
from .timezones import zone_choices, zone_valid

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


class TimeZoneField(forms.ChoiceField):
    """The zones of the list, plus any other name zoneinfo knows (an alias stored
    before keeps working); anything else is a form error, never a failing page."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=[
                ("", format_lazy(_("Same as the helpdesk ({zone})"), zone=settings.TIME_ZONE)),
                *zone_choices(),
            ],
            error_messages={
                "invalid_choice": _(
                    "%(value)s is not a time zone we know. Choose one from "
                    "the list, for example Europe/Berlin or America/New_York."
                )
            },
            **kwargs,
        )

    def valid_value(self, value: str) -> bool:
        return value == "" or zone_valid(value)


class ProfileForm(_ModelForm):
    time_zone = TimeZoneField(
        label=_("Time zone"),
        required=False,
        help_text=_(
            "Times on these pages and in the helpdesk's e-mails to you are shown in this zone."
        ),
    )

    class Meta:
        model = User
        fields = ["name", "time_zone", "language"]
        labels = {"name": _("Name"), "language": _("Language")}
        help_texts = {"language": _("Blank: the language your browser asks for.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("As my browser asks")), *Language.choices]

    def clean(self) -> dict[str, Any]:
        # A blank name is a choice; an absent one means the request did not come
        # from this form, and saving it would silently erase the name.
        if "name" not in self.data:
            self.add_error("name", _("This field is required."))
        data = super().clean() or {}
        # Settings a request does not mention keep their value (blank is a choice too).
        for name in ("time_zone", "language"):
            if name not in self.data:
                data[name] = getattr(self.instance, name)
        return data


class AccountCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices, label=_("Kind"))
    email = forms.EmailField(max_length=254, label=_("Email"))
    name = forms.CharField(max_length=150, required=False, label=_("Name"))
    is_admin = forms.BooleanField(required=False, label=_("Administrator (agents only)"))
    # L4: the invitation is the first mail; it should not wait for its reader to pick
    # a language on a profile page they can only reach through it.
    language = forms.ChoiceField(
        choices=[("", _("The helpdesk's default")), *Language.choices],
        required=False,
        label=_("Language of the mails"),
        help_text=_("The invitation and later mails; the person can change it on their profile."),
    )

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_admin") and data.get("kind") != Kind.AGENT:
            self.add_error("is_admin", _("Only agents can be administrators."))
        return data
