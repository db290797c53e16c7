"""Streaming CSV and JSON-lines exports of the audit log (E2).

Rows come from a server-side cursor (`iterator(chunk_size=...)` over
`values_list`), so an export of a million rows holds one chunk in memory, not the
table. The table never holds codes, secrets or passwords (see services.py), so an
export cannot leak them either.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from .models import AuditEvent

CHUNK_ROWS = 2000
# Rows per chunk handed to the server: one write per row would cost a syscall
# (and, behind gunicorn, a socket send) per line.
ROWS_PER_WRITE = 500

# Model fields in export order, and the names the files use for them.
FIELDS = (
    "id",
    "at",
    "event",
    "actor_id",
    "actor_label",
    "subject_id",
    "subject_label",
    "method",
    "ip",
    "user_agent",
    "detail",
)
COLUMNS = (
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
)

# A spreadsheet runs a cell that starts with one of these as a formula
# (OWASP "CSV Injection"): a leading apostrophe makes it text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def csv_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    return csv_safe(value) if isinstance(value, str) else value


def _records(events: QuerySet[AuditEvent]) -> Iterator[dict[str, Any]]:
    rows = events.values_list(*FIELDS).iterator(chunk_size=CHUNK_ROWS)
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        at: dt.datetime = record["time"]
        record["time"] = at.isoformat()  # aware, in UTC: "2025-01-31T12:00:00.123456+00:00"
        yield record


def _batched(lines: Iterable[str]) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= ROWS_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can
    format rows one at a time for a stream (the pattern in Django's docs)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    # Quoting every cell is the other half of OWASP's advice: a cell can never
    # spill into the next one, whatever a user agent string contains.
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield writer.writerow(COLUMNS)
    for record in _records(events):
        record["detail"] = compact_json(record["detail"])
        yield writer.writerow([_csv_cell(value) for value in record.values()])


def jsonl_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    # json.dumps escapes newlines inside strings, so each object stays on one line.
    for record in _records(events):
        yield json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    content_type: str
    lines: Callable[[QuerySet[AuditEvent]], Iterator[str]]


FORMATS = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", csv_lines),
    "jsonl": ExportFormat("jsonl", "application/x-ndjson; charset=utf-8", jsonl_lines),
}


def export_response(
    events: QuerySet[AuditEvent], export_format: ExportFormat
) -> StreamingHttpResponse:
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M%S")
    response = StreamingHttpResponse(
        _batched(export_format.lines(events)), content_type=export_format.content_type
    )
    response["Content-Disposition"] = (
        f'attachment; filename="deskguard-audit-{stamp}.{export_format.extension}"'
    )
    return response
