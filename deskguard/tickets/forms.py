from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Status


class TicketForm(forms.Form):
    subject = forms.CharField(max_length=200, label=_("Subject"))
    body = forms.CharField(max_length=20000, widget=forms.Textarea, label=_("Message"))


class ReplyForm(forms.Form):
    body = forms.CharField(
        max_length=20000, widget=forms.Textarea(attrs={"rows": 4}), label=_("Reply")
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices, label=_("Status"))
