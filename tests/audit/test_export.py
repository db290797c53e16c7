"""E2: administrators export exactly the filtered set as CSV or JSON lines, streamed,
with spreadsheet formulas neutralised (OWASP CSV injection)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.http import StreamingHttpResponse

from deskguard.audit import export
from deskguard.audit.models import AuditEvent, Event
from tests.audit.conftest import AUDIT_URL, EXPORT_URL, at

COLUMNS = [
    "id",
    "time",
    "event",
    "actor_id",
    "actor",
    "subject_id",
    "subject",
    "method",
    "client_address",
    "user_agent",
    "detail",
]


@pytest.fixture
def events(record, agent, admin):
    return [
        record(
            Event.SECOND_FACTOR_FAILED,
            subject=agent,
            method="password+totp",
            detail={"failures": 3, "note": "äöü"},
            ip="2001:db8::1",
            when=at("2021-04-01", "08:00"),
        ),
        record(
            Event.ADMIN_DISABLED,
            actor=admin,
            subject=agent,
            detail={},
            ip="198.51.100.2",
            when=at("2021-04-02", "09:30"),
        ),
        record(Event.SIGNIN_FAILED, subject_label="ghost@example.org", when=at("2021-04-03")),
    ]


def download(client, **query) -> StreamingHttpResponse:
    response = client.get(EXPORT_URL, query)
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return response


def body(response: StreamingHttpResponse) -> str:
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(body(response), newline=""))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def jsonl_rows(response) -> list[dict]:
    text = body(response)
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def listed_ids(client, **query) -> list[int]:
    """What the list page shows for the same filters (the first page is enough here)."""
    return [event.pk for event, _ in client.get(AUDIT_URL, query).context["rows"]]


def test_e2_csv_export_holds_a_header_and_every_filtered_event_newest_first(
    admin_client, events, agent
):
    rows = csv_rows(download(admin_client, format="csv", account="agent@example.com"))
    assert [int(row["id"]) for row in rows] == [events[1].pk, events[0].pk]
    assert [int(row["id"]) for row in rows] == listed_ids(admin_client, account="agent@example.com")
    disabled, failed = rows
    assert disabled == {
        "id": str(events[1].pk),
        "time": "2021-04-02T09:30:00+00:00",
        "event": "2fa.admin_disabled",
        "actor_id": str(events[1].actor_id),
        "actor": "admin@example.com",
        "subject_id": str(agent.pk),
        "subject": "agent@example.com",
        "method": "",
        "client_address": "198.51.100.2",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        "detail": "{}",
    }
    assert failed["method"] == "password+totp"
    assert failed["client_address"] == "2001:db8::1"
    assert json.loads(failed["detail"]) == {"failures": 3, "note": "äöü"}


def test_e2_jsonl_export_holds_one_object_per_filtered_event_with_iso_times(
    admin_client, events, agent
):
    rows = jsonl_rows(download(admin_client, format="jsonl", date_to="2021-04-02"))
    assert [row["id"] for row in rows] == [events[1].pk, events[0].pk]
    assert [row["id"] for row in rows] == listed_ids(admin_client, date_to="2021-04-02")
    assert set(rows[0]) == set(COLUMNS)
    failed = rows[1]
    assert dt.datetime.fromisoformat(failed["time"]) == events[0].at
    assert failed["time"] == "2021-04-01T08:00:00+00:00"
    assert failed["event"] == "2fa.failed"
    assert failed["actor_id"] is None and failed["actor"] == ""
    assert failed["subject_id"] == agent.pk and failed["subject"] == "agent@example.com"
    assert failed["client_address"] == "2001:db8::1"
    assert failed["detail"] == {"failures": 3, "note": "äöü"}


def test_e2_every_filter_narrows_the_export_like_the_list(admin_client, events):
    for query in [
        {"event": Event.SIGNIN_FAILED},
        {"account": "ghost"},
        {"date_from": "2021-04-02", "date_to": "2021-04-02"},
        {"event": Event.SECOND_FACTOR_FAILED, "account": "agent@", "date_from": "2021-04-01"},
    ]:
        expected = listed_ids(admin_client, **query)
        assert expected, query
        assert [
            row["id"] for row in jsonl_rows(download(admin_client, format="jsonl", **query))
        ] == expected
        assert [
            int(r["id"]) for r in csv_rows(download(admin_client, format="csv", **query))
        ] == expected


def test_e2_an_unfiltered_export_holds_the_whole_log(admin_client, events):
    rows = jsonl_rows(download(admin_client, format="jsonl"))
    assert [row["id"] for row in rows] == list(
        AuditEvent.objects.order_by("-at", "-id").values_list("pk", flat=True)
    )


def test_e2_an_export_that_matches_nothing_is_a_header_or_empty(admin_client, events):
    assert csv_rows(download(admin_client, format="csv", account="nobody")) == []
    assert body(download(admin_client, format="jsonl", account="nobody")) == ""


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_e2_csv_cells_that_start_like_a_formula_get_a_leading_apostrophe(
    admin_client, record, hostile
):
    record(Event.SIGNIN_FAILED, subject_label=f"{hostile}@x.example", user_agent=hostile)
    rows = csv_rows(download(admin_client, format="csv", account="@x.example"))
    assert len(rows) == 1
    assert rows[0]["user_agent"] == "'" + hostile
    assert rows[0]["subject"] == f"'{hostile}@x.example"
    # JSON lines is data, not a spreadsheet: the value comes back as recorded.
    (row,) = jsonl_rows(download(admin_client, format="jsonl", account="@x.example"))
    assert row["user_agent"] == hostile


def test_e2_csv_cells_that_are_not_formulas_are_left_alone(admin_client, events):
    rows = csv_rows(download(admin_client, format="csv", account="agent@"))
    assert {row["method"] for row in rows} == {"", "password+totp"}
    assert all(not value.startswith("'") for row in rows for value in row.values())


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("csv", "text/csv; charset=utf-8", "csv"),
        ("jsonl", "application/x-ndjson; charset=utf-8", "jsonl"),
    ],
)
def test_e2_the_export_is_a_download_with_a_dated_filename(
    admin_client, events, fmt, content_type, extension
):
    response = download(admin_client, format=fmt)
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert re.fullmatch(
        rf'attachment; filename="deskguard-audit-\d{{4}}-\d{{2}}-\d{{2}}-\d{{6}}\.{extension}"',
        disposition,
    ), disposition
    assert response["Cache-Control"] == "no-store"


def test_e2_the_export_streams_in_pieces_instead_of_building_one_body(
    admin_client, record, monkeypatch
):
    for n in range(7):
        record(Event.SIGNOUT, subject_label=f"stream{n}@example.org")
    monkeypatch.setattr(export, "ROWS_PER_WRITE", 2)
    response = download(admin_client, format="jsonl", account="stream")
    assert response.streaming
    pieces = list(response.streaming_content)
    assert len(pieces) == 4  # 7 rows, 2 per write
    assert sum(piece.count(b"\n") for piece in pieces) == 7


def test_e2_the_export_reads_rows_through_a_chunked_iterator(admin_client, events, monkeypatch):
    """A million rows must not be loaded at once: the rows come from
    QuerySet.iterator(chunk_size=2000), not from a cached list."""
    seen: list[int | None] = []
    original = type(AuditEvent.objects.all()).iterator

    def spy(self, chunk_size=None):
        seen.append(chunk_size)
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(type(AuditEvent.objects.all()), "iterator", spy)
    assert len(jsonl_rows(download(admin_client, format="jsonl"))) >= 3
    assert seen == [2000]


@pytest.mark.parametrize(
    "query", [{}, {"format": "xlsx"}, {"format": "CSV"}, {"format": "x" * 5000}]
)
def test_e2_an_unknown_export_format_is_refused_with_400(admin_client, events, query):
    response = admin_client.get(EXPORT_URL, query)
    assert response.status_code == 400
    assert b"use format=csv or format=jsonl" in response.content


def test_e1_the_export_holds_only_the_logs_columns_and_no_secrets(admin_client, events):
    """The table has no column for codes, secrets or passwords, and the export adds none."""
    (row, *_) = jsonl_rows(download(admin_client, format="jsonl"))
    assert set(row) == set(COLUMNS)
    text = body(download(admin_client, format="csv"))
    assert "correct horse battery staple" not in text
