"""L2 in the audit log: compact rows an administrator reads at a glance (browser and
system in words, the full string on demand, one event name, "self" when the subject
acted, the method in words), ISO dates in the filters, days and times in the
administrator's own time zone."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from deskguard.audit.models import Event
from tests.audit.conftest import AUDIT_URL

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def row_of(page: str, marker: str) -> str:
    [row] = [r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if marker in r]
    return row


def test_l2_a_row_names_the_browser_in_words_with_the_full_string_on_demand(admin_client, record):
    record(Event.SIGNIN_FAILED, subject_label="ua@example.org", user_agent=FIREFOX)
    row = row_of(admin_client.get(AUDIT_URL).content.decode(), "ua@example.org")
    assert (
        '<td data-label="From">203.0.113.7'
        '<details class="ua"><summary>Firefox 128 on Windows 10</summary>'
        f'<code class="small">{FIREFOX}</code></details></td>'
    ) in row


def test_l2_a_row_shows_one_event_name_not_also_its_machine_code(admin_client, record):
    record(Event.SECOND_FACTOR_REPLAYED, subject_label="code@example.org")
    row = row_of(admin_client.get(AUDIT_URL).content.decode(), "code@example.org")
    assert "Second factor code replayed" in row
    assert "2fa.replayed" not in row


def test_l2_the_actor_reads_self_when_the_subject_acted(admin_client, admin, agent):
    # The administrator's own sign-in: actor and subject are the same account.
    page = admin_client.get(AUDIT_URL).content.decode()
    row = row_of(page, "Sign-in succeeded")
    assert f'<td data-label="Actor"><span title="{admin.email}">self</span></td>' in row
    assert '<small class="muted nowrap">Password</small>' in row


def test_l2_another_actor_is_named_and_an_anonymous_attempt_says_so(admin_client, record):
    record(Event.ADMIN_DISABLED, actor_label="boss@example.org", subject_label="bob@example.org")
    record(Event.SIGNIN_FAILED, subject_label="typed@example.org", method="password+totp")
    page = admin_client.get(AUDIT_URL).content.decode()
    assert '<td data-label="Actor">boss@example.org</td>' in row_of(page, "bob@example.org")
    anonymous = row_of(page, "typed@example.org")
    assert '<span class="muted nowrap">not signed in</span>' in anonymous
    assert (
        'Sign-in failed<br><small class="muted nowrap">Password and authenticator code' in anonymous
    )
    assert "password+totp" not in anonymous


def test_l2_the_date_filters_are_iso_text_not_locale_pickers(admin_client):
    page = admin_client.get(AUDIT_URL).content.decode()
    for name in ("date_from", "date_to"):
        [field] = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert 'type="text"' in field
        assert 'placeholder="YYYY-MM-DD"' in field
        assert r'pattern="\d{4}-\d{2}-\d{2}"' in field


def test_l2_a_us_style_date_is_refused_with_the_format_to_use(admin_client):
    response = admin_client.get(AUDIT_URL, {"date_from": "03/01/2021"})
    assert response.status_code == 400
    assert b"Enter a date as YYYY-MM-DD, for example 2026-03-01." in response.content


@pytest.fixture
def late_in_new_york(admin, record, settings):
    """An administrator in New York on a UTC helpdesk, and an event at 02:30 UTC on
    2021-06-02: 22:30 on 2021-06-01 in New York."""
    settings.TIME_ZONE = "UTC"
    admin.time_zone = "America/New_York"
    admin.save()
    return record(
        Event.SIGNOUT,
        subject_label="late@example.org",
        when=dt.datetime(2021, 6, 2, 2, 30, tzinfo=dt.UTC),
    )


def test_l2_days_and_times_are_the_administrators_own(admin_client, admin, late_in_new_york):
    late = late_in_new_york
    page = admin_client.get(AUDIT_URL, {"date_from": "2021-06-01", "date_to": "2021-06-01"})
    assert [event.pk for event, _ in page.context["rows"]] == [late.pk]
    text = page.content.decode()
    assert "2021-06-01<br>22:30:00" in text
    assert "Dates and times in America/New_York" in text
    # In the helpdesk's zone (UTC) the same moment belongs to the 2nd.
    admin.time_zone = ""
    admin.save()
    page = admin_client.get(AUDIT_URL, {"date_from": "2021-06-01", "date_to": "2021-06-01"})
    assert late.pk not in [event.pk for event, _ in page.context["rows"]]


def test_l2_an_export_counts_days_in_the_zone_of_the_administrator_who_asked(
    admin_client, late_in_new_york
):
    from tests.audit.test_export import download, jsonl_rows

    late = late_in_new_york
    rows = jsonl_rows(
        download(admin_client, format="jsonl", date_from="2021-06-01", date_to="2021-06-01")
    )
    assert [row["id"] for row in rows] == [late.pk]
