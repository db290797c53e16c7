"""Admin Settings -> Audit log (E2): browse with filters, export the filtered set."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_safe

from deskguard.httputil import AuthenticatedHttpRequest
from deskguard.pagination import KeysetPage, keyset_page, pager_links
from deskguard.portals.access import admin_required

from .export import FORMATS, compact_json, export_response
from .forms import AuditFilterForm
from .models import AuditEvent, Event
from .selectors import AUDIT_ORDER, audit_events_count_capped, audit_events_filtered
from .services import audit_record

PER_PAGE = 50


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
@require_safe
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    export_format = FORMATS.get(request.GET.get("format", ""))
    if export_format is None:
        return HttpResponseBadRequest(
            "Unknown export format: use format=csv or format=jsonl.", content_type="text/plain"
        )
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return _invalid(request, form)
    # Who took a copy of the security log, and of which part, is itself recorded.
    audit_record(
        event=Event.AUDIT_DOWNLOADED,
        request=request,
        detail={"format": request.GET["format"], "filters": form.query_string()},
    )
    return export_response(audit_events_filtered(**form.cleaned_data), export_format)


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
        "pager": pager_links(page, query_string) if page is not None else {},
        "matching": matching[0],
        "matching_more": matching[1],
    }
    return render(request, "agent/admin/audit.html", context, status=status)
