"""Admin Settings -> Audit log (E2): browse with filters; exports of the filtered set
are written by the task worker and downloaded from their own page (J3)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from deskguard.httputil import AuthenticatedHttpRequest
from deskguard.pagination import KeysetPage, Order, keyset_page, pager_links
from deskguard.portals.access import admin_required

from .export import FORMATS, compact_json
from .exports import audit_export_request, export_path
from .forms import AuditFilterForm
from .models import AuditEvent, AuditExport, Event, ExportStatus
from .selectors import AUDIT_ORDER, audit_events_count_capped, audit_events_filtered
from .services import audit_record

PER_PAGE = 50
EXPORTS_PER_PAGE = 20
EXPORT_ORDER = Order(("id",), descending=True)
# The progress page reloads itself this often (seconds) while the worker writes.
REFRESH_SECONDS = 2


@admin_required
@require_safe
def audit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return _invalid(request, form)
    events = audit_events_filtered(**form.cleaned_data)
    page = keyset_page(events, AUDIT_ORDER, query=request.GET, per_page=PER_PAGE)
    rows = [(event, compact_json(event.detail)) for event in page]
    return _page(request, form, page=page, rows=rows, matching=audit_events_count_capped(events))


@admin_required
@require_POST
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Queue an export of the filtered set; its page shows the progress."""
    export_format = FORMATS.get(request.POST.get("format", ""))
    if export_format is None:
        return HttpResponseBadRequest(
            "Unknown export format: use format=csv or format=jsonl.", content_type="text/plain"
        )
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    export = audit_export_request(
        by=request.user, export_format=export_format, filters=form.submitted()
    )
    return redirect("agent:admin-audit-export-detail", export_id=export.pk)


@admin_required
@require_safe
def audit_exports(request: AuthenticatedHttpRequest) -> HttpResponse:
    exports = AuditExport.objects.select_related("requested_by")
    page = keyset_page(exports, EXPORT_ORDER, query=request.GET, per_page=EXPORTS_PER_PAGE)
    return render(
        request,
        "agent/admin/audit_exports.html",
        {
            "tab": "audit",
            "page": page,
            "pager": pager_links(page, ""),
            "refresh": REFRESH_SECONDS if any(e.in_progress for e in page) else None,
        },
    )


@admin_required
@require_safe
def audit_export_detail(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponse:
    export = get_object_or_404(AuditExport.objects.select_related("requested_by"), pk=export_id)
    return render(
        request,
        "agent/admin/audit_export.html",
        {
            "tab": "audit",
            "export": export,
            "export_format": FORMATS[export.format],
            "filters": AuditFilterForm(export.filters).query_string(),
            "refresh": REFRESH_SECONDS if export.in_progress else None,
        },
    )


@admin_required
@require_safe
def audit_export_download(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponseBase:
    export = get_object_or_404(AuditExport, pk=export_id)
    if export.status != ExportStatus.DONE:
        return _refused(
            request, export, gettext("This export is not ready to download."), status=409
        )
    path = export_path(export)
    if not path.is_file() or path.stat().st_size != export.size:
        return _refused(request, export, gettext("The file of this export is gone."), status=404)
    # Who took a copy of the security log, and of which part, is itself recorded.
    audit_record(
        event=Event.AUDIT_DOWNLOADED,
        request=request,
        detail={
            "format": export.format,
            "filters": AuditFilterForm(export.filters).query_string(),
            "export": export.pk,
            "rows": export.rows_total,
        },
    )
    export_format = FORMATS[export.format]
    stamp = timezone.localtime(export.requested_at).strftime("%Y-%m-%d-%H%M%S")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"deskguard-audit-{stamp}.{export_format.extension}",
        content_type=export_format.content_type,
    )


def _refused(
    request: AuthenticatedHttpRequest, export: AuditExport, message: str, *, status: int
) -> HttpResponse:
    return render(
        request,
        "agent/admin/audit_export.html",
        {
            "tab": "audit",
            "export": export,
            "export_format": FORMATS[export.format],
            "filters": AuditFilterForm(export.filters).query_string(),
            "refused": message,
        },
        status=status,
    )


def _invalid(request: AuthenticatedHttpRequest, form: AuditFilterForm) -> HttpResponse:
    # Show the errors and no rows: a half-applied filter would show the wrong set.
    return _page(request, form, page=None, rows=[], status=400)


def _page(
    request: HttpRequest,
    form: AuditFilterForm,
    *,
    page: KeysetPage[AuditEvent] | None,
    rows: list[tuple[AuditEvent, str]],
    matching: tuple[int, bool] = (0, False),
    status: int = 200,
) -> HttpResponse:
    query_string = form.query_string() if status == 200 else ""
    context = {
        "tab": "audit",
        "form": form,
        "page": page,
        "rows": rows,
        "query_string": query_string,
        "export_filters": sorted(form.submitted().items()) if status == 200 else [],
        "pager": pager_links(page, query_string) if page is not None else {},
        "matching": matching[0],
        "matching_more": matching[1],
        "formats": FORMATS.values(),
    }
    return render(request, "agent/admin/audit.html", context, status=status)
