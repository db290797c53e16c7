"""The audit log's filter form (E2): every field optional, every length bounded."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from .models import Event

# Audit rows cannot predate the product, and the upper bound keeps "the day after
# date_to" (the selector's exclusive end) far from datetime's year-9999 overflow.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2999, 12, 31)
RANGE_MESSAGE = _("Enter a date between 2000-01-01 and 2999-12-31.")


DATE_MESSAGE = _("Enter a date as YYYY-MM-DD, for example 2026-03-01.")


class IsoDateInput(forms.TextInput):
    """ISO dates as the pages print them (L2). A type=date picker shows the browser's
    locale order (mm/dd/yyyy in an English browser) next to ISO dates in the table."""

    def __init__(self) -> None:
        super().__init__(
            attrs={
                "pattern": r"\d{4}-\d{2}-\d{2}",
                "placeholder": _("YYYY-MM-DD"),
                "size": "10",
                "maxlength": "10",
                "title": _("A date as YYYY-MM-DD"),
            }
        )


def _iso_date_field(label: StrPromise) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=IsoDateInput(),
        validators=[_in_range],
        error_messages={"invalid": DATE_MESSAGE},
    )


def _in_range(value: dt.date) -> None:
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(RANGE_MESSAGE, code="out_of_range")


class AuditFilterForm(forms.Form):
    event = forms.ChoiceField(
        label=_("Event"), required=False, choices=[("", _("All events")), *Event.choices]
    )
    account = forms.CharField(
        label=_("Account"),
        required=False,
        max_length=254,  # the longest e-mail address (RFC 5321) and the label columns
        # Three characters make a trigram, the least the index can search by (J2);
        # a shorter search would read the whole log.
        min_length=3,
        error_messages={"min_length": _("Type at least 3 characters of the email address.")},
        # Matches the actor or the subject: the placeholder says so, as the filter
        # row has no room for help text under the input.
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Actor or subject email")}
        ),
    )
    date_from = _iso_date_field(_("From"))
    date_to = _iso_date_field(_("To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def submitted(self) -> dict[str, str]:
        """The submitted filter values as typed (only this form's own fields)."""
        if not self.is_bound:
            return {}
        return {name: str(self.data[name]) for name in self.fields if self.data.get(name)}

    def query_string(self) -> str:
        """The submitted filters as a query string, for pagination and export links:
        only this form's own fields, so a page cursor or `format` never leak into them."""
        return urlencode(list(self.submitted().items()))
