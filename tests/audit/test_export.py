"""E2, J3: administrators export exactly the filtered set as CSV or JSON lines, written
by the task worker and downloaded when finished, with spreadsheet formulas
neutralised (OWASP CSV injection)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.http import FileResponse

from deskguard.audit import export
from deskguard.audit.models import AuditEvent, AuditExport, Event
from tests.audit.conftest import AUDIT_URL, EXPORT_URL, at
from tests.tasks import run_queued_tasks

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


def ask(client, **query) -> str:
    """Ask for an export as the audit page's form does; returns its page's URL."""
    response = client.post(EXPORT_URL, query)
    assert response.status_code == 302, response.content
    assert re.fullmatch(r"/agent/admin/audit/exports/\d+/", response["Location"])
    return response["Location"]


def download(client, **query) -> FileResponse:
    """Ask, let the worker write it, follow the page's download link."""
    page_url = ask(client, **query)
    run_queued_tasks()
    page = client.get(page_url)
    assert page.status_code == 200
    link = re.search(r'href="(/agent/admin/audit/exports/\d+/download/)"', page.content.decode())
    assert link is not None, page.content.decode()
    response = client.get(link.group(1))
    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    response.export = page.context["export"]
    return response


def body(response: FileResponse) -> str:
    if not hasattr(response, "_body"):
        response._body = b"".join(response.streaming_content).decode()
    return response._body


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


def test_e2_an_unfiltered_export_holds_the_whole_log_as_it_was_when_asked_for(admin_client, events):
    response = download(admin_client, format="jsonl")
    rows = jsonl_rows(response)
    # The administrator's own sign-in is in it; the download, recorded later, is not.
    assert [row["id"] for row in rows] == list(
        AuditEvent.objects.filter(id__lte=response.export.upto_id)
        .order_by("-at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(rows) == response.export.rows_total == AuditEvent.objects.count() - 1


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


def test_j3_the_worker_reads_the_rows_in_keyset_batches(admin_client, record, monkeypatch):
    """A million rows are never loaded at once: CHUNK_ROWS at a time, each batch one
    short indexed query."""
    for n in range(7):
        record(Event.SIGNOUT, subject_label=f"stream{n}@example.org")
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    sizes: list[int] = []
    original = export.export_batches

    def spy(events):
        for batch in original(events):
            sizes.append(len(batch))
            yield batch

    monkeypatch.setattr("deskguard.audit.exports.export_batches", spy)
    rows = jsonl_rows(download(admin_client, format="jsonl", account="stream"))
    assert sizes == [2, 2, 2, 1]
    assert [row["subject"] for row in rows] == [f"stream{n}@example.org" for n in range(6, -1, -1)]


@pytest.mark.parametrize(
    "query", [{}, {"format": "xlsx"}, {"format": "CSV"}, {"format": "x" * 5000}]
)
def test_e2_an_unknown_export_format_is_refused_with_400(admin_client, events, query):
    response = admin_client.post(EXPORT_URL, query)
    assert response.status_code == 400
    assert b"use format=csv or format=jsonl" in response.content
    assert not AuditExport.objects.exists()


def test_e1_the_export_holds_only_the_logs_columns_and_no_secrets(admin_client, events):
    """The table has no column for codes, secrets or passwords, and the export adds none."""
    (row, *_) = jsonl_rows(download(admin_client, format="jsonl"))
    assert set(row) == set(COLUMNS)
    text = body(download(admin_client, format="csv"))
    assert "correct horse battery staple" not in text
