from __future__ import annotations

from django import forms

from .models import Status


class TicketForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(max_length=20000, widget=forms.Textarea, label="Message")


class ReplyForm(forms.Form):
    body = forms.CharField(
        max_length=20000, widget=forms.Textarea(attrs={"rows": 4}), label="Reply"
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
