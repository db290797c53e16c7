"""Audit exports as background work (J3): asked for in a request, written by the task
worker (`manage.py db_worker`), downloaded when finished, removed when expired.

No request formats rows: at ~30k rows a second, a million-row export takes longer
than any web worker may hold a request (gunicorn's timeout cut such downloads off
after their 200 had been sent, leaving a truncated file that looked complete). The
worker writes `<id>.<ext>.part`, checks the row count against the filter, and only
then renames it; only a finished export is offered, with its exact size, so a
browser knows a cut download is incomplete.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from deskguard.accounts.models import User

from .export import FORMATS, ExportFormat, export_batches
from .forms import AuditFilterForm
from .models import AuditEvent, AuditExport, ExportStatus
from .selectors import audit_events_filtered
from .tasks import audit_export_task

# The progress on the page moves at least this often while the worker writes.
PROGRESS_EVERY_SECONDS = 1.0
# An export still "being written" this long after it started lost its worker.
STALE_AFTER = dt.timedelta(hours=6)


class ExportIncomplete(Exception):
    """The rows written do not match the filter's count: nothing is offered."""


def export_dir() -> Path:
    path = Path(settings.EXPORT_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def export_path(export: AuditExport, *, part: bool = False) -> Path:
    extension = FORMATS[export.format].extension
    return export_dir() / f"audit-export-{export.pk}.{extension}{'.part' if part else ''}"


@transaction.atomic
def audit_export_request(
    *, by: User, export_format: ExportFormat, filters: dict[str, str]
) -> AuditExport:
    """Queue an export of the events matching `filters` (the filter form's values),
    up to the newest event now. The row and its task commit together."""
    upto = AuditEvent.objects.aggregate(upto=Max("id"))["upto"] or 0
    export = AuditExport.objects.create(
        requested_by=by, format=export_format.name, filters=filters, upto_id=upto
    )
    audit_export_task.enqueue(export.pk)
    return export


def export_events(export: AuditExport) -> QuerySet[AuditEvent]:
    form = AuditFilterForm(export.filters)
    if not form.is_valid():  # validated when asked for; the form cannot have changed
        raise ExportIncomplete(f"the stored filters no longer apply: {form.errors.as_text()}")
    # The days are the requester's, as on the page they filtered (L2), not the worker's.
    requester = export.requested_by
    with timezone.override(requester.zone if requester else timezone.get_default_timezone()):
        events = audit_events_filtered(**form.cleaned_data)
    return events.filter(id__lte=export.upto_id)


def _update(export: AuditExport, **fields: Any) -> None:
    AuditExport.objects.filter(pk=export.pk).update(**fields)


def audit_export_run(export_id: int) -> int:
    """The worker's part: write the file, keep the progress current, finish or fail.
    Returns the rows written. Runs once per export (the claim is a conditional
    UPDATE), so a duplicated task writes nothing."""
    claimed = AuditExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return 0
    export = AuditExport.objects.get(pk=export_id)
    part = export_path(export, part=True)
    try:
        written = _write(export, part)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        _update(
            export,
            status=ExportStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:300],
        )
        raise
    final = export_path(export)
    os.replace(part, final)
    now = timezone.now()
    _update(
        export,
        status=ExportStatus.DONE,
        rows_written=written,
        rows_total=written,
        size=final.stat().st_size,
        finished_at=now,
        expires_at=now + dt.timedelta(hours=settings.EXPORT_KEEP_HOURS),
    )
    return written


def _write(export: AuditExport, part: Path) -> int:
    events = export_events(export)
    total = events.count()
    _update(export, rows_total=total)
    export_format = FORMATS[export.format]
    written, last_progress = 0, time.monotonic()
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        out.write(export_format.header)
        for batch in export_batches(events):
            out.write("".join(export_format.line(record) for record in batch))
            written += len(batch)
            if time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS:
                last_progress = time.monotonic()
                _update(export, rows_written=written)
        out.flush()
        os.fsync(out.fileno())
    # The set is fixed (append-only log, id <= upto_id), so a second count must agree;
    # if it does not, something removed or hid rows and the file is not offered.
    if written != total or written != events.count():
        raise ExportIncomplete(f"wrote {written} rows, the filter matches {total}")
    return written


@dataclass(frozen=True)
class PurgeResult:
    expired: int
    stale: int


def audit_exports_purge(*, now: dt.datetime | None = None) -> PurgeResult:
    """Remove the files of expired exports, and fail exports whose worker died."""
    now = now or timezone.now()
    expired = 0
    for export in AuditExport.objects.filter(status=ExportStatus.DONE, expires_at__lte=now):
        export_path(export).unlink(missing_ok=True)
        expired += AuditExport.objects.filter(pk=export.pk, status=ExportStatus.DONE).update(
            status=ExportStatus.EXPIRED
        )
    stale = 0
    for export in AuditExport.objects.filter(
        status=ExportStatus.RUNNING, started_at__lte=now - STALE_AFTER
    ):
        export_path(export, part=True).unlink(missing_ok=True)
        stale += AuditExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED, finished_at=now, error="The worker stopped before the end."
        )
    return PurgeResult(expired=expired, stale=stale)
