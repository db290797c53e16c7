"""E2: administrators filter the audit log by event type, account and date range;
each filter works alone and they combine. Bad filter input is refused with 400."""

from __future__ import annotations

import pytest

from deskguard.audit.models import AuditEvent, AuditExport, Event
from tests.audit.conftest import AUDIT_URL, EXPORT_URL, at


@pytest.fixture
def events(record):
    """Four events in March 2021, before the administrator's own sign-in today."""
    failed, passed = Event.SIGNIN_FAILED, Event.SECOND_FACTOR_PASSED
    return {
        "a": record(failed, subject_label="alice@example.org", when=at("2021-03-01", "09:00")),
        "b": record(passed, subject_label="bob@example.org", when=at("2021-03-02", "10:00")),
        "c": record(
            Event.ADMIN_DISABLED,
            actor_label="boss@example.org",
            subject_label="bob@example.org",
            when=at("2021-03-03", "23:59"),
        ),
        "d": record(failed, subject_label="bob@example.org", when=at("2021-03-04", "00:00")),
    }


def shown(response) -> list[int]:
    assert response.status_code == 200, response.content.decode()
    return [event.pk for event, _ in response.context["rows"]]


def ids(events, names: str) -> set[int]:
    return {events[name].pk for name in names}


def test_e2_without_filters_every_event_is_listed_newest_first(admin_client, events):
    listed = shown(admin_client.get(AUDIT_URL))
    assert listed == list(AuditEvent.objects.order_by("-at", "-id").values_list("pk", flat=True))
    assert listed[-4:] == [events[name].pk for name in "dcba"]


def test_e2_the_event_type_filter_shows_only_that_type(admin_client, events):
    listed = shown(admin_client.get(AUDIT_URL, {"event": Event.SIGNIN_FAILED}))
    assert listed == [events["d"].pk, events["a"].pk]


def test_e2_the_account_filter_matches_the_subject_as_a_substring(admin_client, events):
    assert set(shown(admin_client.get(AUDIT_URL, {"account": "alice@"}))) == ids(events, "a")
    assert set(shown(admin_client.get(AUDIT_URL, {"account": "bob@example"}))) == ids(events, "bcd")


def test_e2_the_account_filter_matches_the_actor_too_ignoring_case(admin_client, events):
    assert set(shown(admin_client.get(AUDIT_URL, {"account": "BOSS@Example"}))) == ids(events, "c")


def test_e2_date_from_includes_the_whole_first_day(admin_client, events):
    listed = set(shown(admin_client.get(AUDIT_URL, {"date_from": "2021-03-02"})))
    assert listed & ids(events, "abcd") == ids(events, "bcd")


def test_e2_date_to_includes_the_whole_last_day_and_nothing_after(admin_client, events):
    listed = set(shown(admin_client.get(AUDIT_URL, {"date_to": "2021-03-03"})))
    assert listed == ids(events, "abc")


def test_e2_a_one_day_range_shows_that_day_only(admin_client, events):
    one_day = {"date_from": "2021-03-03", "date_to": "2021-03-03"}
    assert set(shown(admin_client.get(AUDIT_URL, one_day))) == ids(events, "c")


def test_e2_days_are_counted_in_the_helpdesks_time_zone(admin_client, record, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    late = record(Event.SIGNOUT, subject_label="late@example.org", when=at("2021-06-01", "23:30"))
    assert shown(admin_client.get(AUDIT_URL, {"date_to": "2021-06-01"})) == [late.pk]
    assert late.pk not in shown(admin_client.get(AUDIT_URL, {"date_from": "2021-06-02"}))


def test_e2_filters_combine(admin_client, events):
    query = {"event": Event.SIGNIN_FAILED, "account": "bob", "date_from": "2021-03-02"}
    assert shown(admin_client.get(AUDIT_URL, query)) == [events["d"].pk]
    query = {"account": "bob", "date_from": "2021-03-02", "date_to": "2021-03-03"}
    assert set(shown(admin_client.get(AUDIT_URL, query))) == ids(events, "bc")


def test_e2_the_filter_form_shows_the_applied_values(admin_client, events):
    page = admin_client.get(AUDIT_URL, {"account": "bob", "date_from": "2021-03-02"}).content
    assert b'value="bob"' in page and b'value="2021-03-02"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"event": "2fa.everything"}, "Select a valid choice"),
        ({"date_from": "yesterday"}, "Enter a date as YYYY-MM-DD"),
        ({"date_to": "2021-13-01"}, "Enter a date as YYYY-MM-DD"),
        ({"account": "x" * 255}, "at most 254 characters"),
        ({"account": "bob\x00"}, "Null characters are not allowed"),  # a 500 on PostgreSQL
        ({"date_from": "1999-12-31"}, "Enter a date between 2000-01-01 and 2999-12-31"),
        ({"date_to": "9999-12-31"}, "Enter a date between 2000-01-01 and 2999-12-31"),
        ({"date_from": "2021-03-04", "date_to": "2021-03-01"}, "end date is before the start"),
    ],
)
@pytest.mark.parametrize(("url", "extra"), [(AUDIT_URL, {}), (EXPORT_URL, {"format": "csv"})])
def test_e2_bad_filter_input_is_refused_with_400_and_a_clear_message(
    admin_client, events, query, message, url, extra
):
    before = AuditEvent.objects.count()
    send = admin_client.post if url == EXPORT_URL else admin_client.get
    response = send(url, {**query, **extra})
    assert response.status_code == 400
    page = response.content.decode()
    assert "These filters cannot be applied" in page
    assert message in page
    assert response.context["rows"] == []  # no half-filtered list
    assert "export" not in page.lower()  # no export links for a filter that did not apply
    assert AuditEvent.objects.count() == before
    assert not AuditExport.objects.exists()
