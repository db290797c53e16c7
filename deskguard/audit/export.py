"""CSV and JSON-lines formats of the audit log (E2), and reading the rows for them.

Rows are read in keyset batches of CHUNK_ROWS (`WHERE (at, id) < last ORDER BY at
DESC, id DESC LIMIT n`): each batch is one short query served by the (at, id) index,
so an export of ten million rows holds one batch in memory and no long transaction
or server-side cursor. The table never holds codes, secrets or passwords (see
services.py), so an export cannot leak them either.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from deskguard.pagination import keyset_after

from .models import AuditEvent
from .selectors import AUDIT_ORDER

CHUNK_ROWS = 2000

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


def export_batches(events: QuerySet[AuditEvent]) -> Iterator[list[dict[str, Any]]]:
    """The events as export records, newest first, CHUNK_ROWS at a time."""
    ordered = events.order_by(*AUDIT_ORDER.order_by())
    last: tuple[dt.datetime, int] | None = None
    while True:
        page = ordered if last is None else ordered.filter(keyset_after(AUDIT_ORDER, last))
        rows = list(page.values_list(*FIELDS)[:CHUNK_ROWS])
        if not rows:
            return
        last = (rows[-1][1], rows[-1][0])
        batch = []
        for row in rows:
            record = dict(zip(COLUMNS, row, strict=True))
            at: dt.datetime = record["time"]
            record["time"] = at.isoformat()  # aware, in UTC: "2025-01-31T12:00:00.123456+00:00"
            batch.append(record)
        yield batch


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer formats
    one row at a time (the pattern in Django's docs)."""

    def write(self, value: str) -> str:
        return value


# Quoting every cell is the other half of OWASP's advice: a cell can never spill
# into the next one, whatever a user agent string contains.
_CSV = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)


def csv_line(record: dict[str, Any]) -> str:
    record = {**record, "detail": compact_json(record["detail"])}
    line: str = _CSV.writerow([_csv_cell(value) for value in record.values()])
    return line


def jsonl_line(record: dict[str, Any]) -> str:
    # json.dumps escapes newlines inside strings, so each object stays on one line.
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    extension: str
    content_type: str
    header: str
    line: Callable[[dict[str, Any]], str]


FORMATS = {
    "csv": ExportFormat(
        "csv", "CSV", "csv", "text/csv; charset=utf-8", _CSV.writerow(COLUMNS), csv_line
    ),
    "jsonl": ExportFormat(
        "jsonl", "JSON lines", "jsonl", "application/x-ndjson; charset=utf-8", "", jsonl_line
    ),
}
