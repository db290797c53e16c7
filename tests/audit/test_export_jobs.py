"""J3: an export of any size is written by the worker, shows its progress, and never
offers a truncated file that looks complete; files are private, expire, and are
removed by purge_audit_exports."""

from __future__ import annotations

import datetime as dt
import re
import stat
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from deskguard.audit import export, exports
from deskguard.audit.models import AuditEvent, AuditExport, Event, ExportStatus
from tests.audit.conftest import EXPORTS_URL
from tests.audit.test_export import ask, body, download
from tests.tasks import run_queued_tasks


@pytest.fixture
def many(db):
    """2,500 events for one account (bulk, as the log could hold millions), plus noise."""
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            event=Event.SIGNIN_FAILED,
            subject_label="bulk@example.org",
            at=now - dt.timedelta(seconds=n),
        )
        for n in range(2500)
    )
    AuditEvent.objects.create(event=Event.SIGNOUT, subject_label="other@example.org")


def export_of(page_url: str) -> AuditExport:
    return AuditExport.objects.get(pk=int(re.findall(r"\d+", page_url)[-1]))


def test_j3_the_file_holds_exactly_the_filtered_rows_in_batches(admin_client, many):
    response = download(admin_client, format="csv", account="bulk@")
    lines = body(response).splitlines()
    assert len(lines) == 1 + 2500
    assert (
        response.export.rows_total
        == 2500
        == AuditEvent.objects.filter(subject_label="bulk@example.org").count()
    )
    assert int(response["Content-Length"]) == response.export.size == len(body(response).encode())


def test_j3_the_page_shows_the_progress_while_the_worker_writes(admin_client, many, monkeypatch):
    monkeypatch.setattr(export, "CHUNK_ROWS", 500)
    monkeypatch.setattr(exports, "PROGRESS_EVERY_SECONDS", 0)
    page_url = ask(admin_client, format="jsonl", account="bulk@")
    waiting = admin_client.get(page_url).content.decode()
    assert "Waiting for the worker" in waiting
    assert '<meta name="deskguard-refresh" content="2">' in waiting
    seen: list[str] = []
    original = export.export_batches

    def look_between_batches(events):
        for batch in original(events):
            yield batch
            seen.append(admin_client.get(page_url).content.decode())

    monkeypatch.setattr(exports, "export_batches", look_between_batches)
    run_queued_tasks()
    assert "Written 1000 of 2500 events (40%)" in seen[1]
    assert '<progress max="100" value="40"' in seen[1]
    assert "Download" not in seen[1]  # nothing to download before the end
    done = admin_client.get(page_url).content.decode()
    assert "2500 events" in done and "Download JSON lines" in done
    assert "refresh" not in done


def test_j3_the_file_is_private_and_only_the_finished_name_exists(admin_client, many, export_dir):
    response = download(admin_client, format="jsonl", account="bulk@")
    files = list(export_dir.iterdir())
    assert [f.name for f in files] == [f"audit-export-{response.export.pk}.jsonl"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(export_dir.stat().st_mode) == 0o700


def test_j3_an_export_cut_short_offers_no_file(admin_client, many, monkeypatch, export_dir):
    original = export.export_batches

    def worker_dies(events):
        batches = original(events)
        yield next(batches)
        raise OSError("No space left on device")

    monkeypatch.setattr(exports, "export_batches", worker_dies)
    page_url = ask(admin_client, format="csv")
    run_queued_tasks()
    failed = export_of(page_url)
    assert failed.status == ExportStatus.FAILED
    assert list(export_dir.iterdir()) == []  # not even the partial file
    page = admin_client.get(page_url).content.decode()
    assert "This export failed and no file is offered: OSError: No space left on device" in page
    refused = admin_client.get(f"{page_url}download/")
    assert refused.status_code == 409
    assert b"not ready to download" in refused.content
    assert not AuditEvent.objects.filter(event=Event.AUDIT_DOWNLOADED).exists()


def test_j3_rows_missing_from_the_file_fail_the_export(admin_client, many, monkeypatch):
    original = export.export_batches

    def one_row_lost(events):
        for n, batch in enumerate(original(events)):
            yield batch[1:] if n == 0 else batch

    monkeypatch.setattr(exports, "export_batches", one_row_lost)
    page_url = ask(admin_client, format="csv", account="bulk@")
    run_queued_tasks()
    assert export_of(page_url).status == ExportStatus.FAILED
    assert "wrote 2499 rows, the filter matches 2500" in admin_client.get(page_url).content.decode()


def test_j3_events_recorded_after_the_request_are_not_in_the_file(admin_client, many):
    page_url = ask(admin_client, format="jsonl", account="bulk@")
    AuditEvent.objects.create(event=Event.SIGNIN_FAILED, subject_label="bulk@example.org")
    run_queued_tasks()
    assert export_of(page_url).rows_total == 2500


def test_j3_a_task_run_twice_writes_the_file_once(admin_client, many):
    page_url = ask(admin_client, format="csv", account="other@")
    exported = export_of(page_url)
    assert exports.audit_export_run(exported.pk) == 1
    assert exports.audit_export_run(exported.pk) == 0
    assert run_queued_tasks() == 1  # the queued task finds it done
    exported.refresh_from_db()
    assert (exported.status, exported.rows_total) == (ExportStatus.DONE, 1)


def test_j3_a_finished_file_expires_and_the_purge_removes_it(admin_client, many, export_dir):
    response = download(admin_client, format="csv", account="other@")
    page_url = f"{EXPORTS_URL}{response.export.pk}/"
    assert "kept until" in admin_client.get(page_url).content.decode()
    out = StringIO()
    call_command("purge_audit_exports", stdout=out)
    assert "Removed 0 expired export file(s)" in out.getvalue()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, minutes=1)):
        call_command("purge_audit_exports", stdout=out)
    assert "Removed 1 expired export file(s)" in out.getvalue()
    assert list(export_dir.iterdir()) == []
    assert "was removed after its time ran out" in admin_client.get(page_url).content.decode()
    assert admin_client.get(f"{page_url}download/").status_code == 409


def test_j3_a_file_gone_from_the_folder_is_a_404_not_a_500(admin_client, many, export_dir):
    response = download(admin_client, format="csv", account="other@")
    for path in export_dir.iterdir():
        path.unlink()
    refused = admin_client.get(f"{EXPORTS_URL}{response.export.pk}/download/")
    assert refused.status_code == 404
    assert b"The file of this export is gone." in refused.content


def test_j3_an_abandoned_export_is_failed_by_the_purge(admin_client, many, export_dir):
    page_url = ask(admin_client, format="csv")
    AuditExport.objects.filter(pk=export_of(page_url).pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now() - dt.timedelta(hours=7)
    )
    out = StringIO()
    call_command("purge_audit_exports", stdout=out)
    assert "1 abandoned export(s) marked failed" in out.getvalue()
    assert "The worker stopped before the end." in admin_client.get(page_url).content.decode()


def test_j3_the_exports_list_shows_each_export_and_its_state(admin_client, many):
    download(admin_client, format="csv", account="other@")
    ask(admin_client, format="jsonl")
    page = admin_client.get(EXPORTS_URL).content.decode()
    assert "Ready to download" in page and "Waiting for the worker" in page
    assert '<meta name="deskguard-refresh"' in page


@pytest.mark.parametrize("export_id", ["999999", "0"])
def test_j3_an_unknown_export_is_a_404(admin_client, db, export_id):
    assert admin_client.get(f"{EXPORTS_URL}{export_id}/").status_code == 404
    assert admin_client.get(f"{EXPORTS_URL}{export_id}/download/").status_code == 404


def test_j3_the_export_form_carries_the_filters_but_not_the_page_cursor(admin_client, many):
    first = admin_client.get("/agent/admin/audit/", {"account": "bulk@"}).content.decode()
    older = re.search(r'href="\?([^"]*older=[^"]*)"', first).group(1).replace("&amp;", "&")
    page = admin_client.get(f"/agent/admin/audit/?{older}").content.decode()
    form = page[page.index('action="/agent/admin/audit/export/"') :]
    form = form[: form.index("</form>")]
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
    hidden.pop("csrfmiddlewaretoken", None)
    assert hidden == {"account": "bulk@"}
