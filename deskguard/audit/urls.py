"""Mounted under the Agent Portal's namespace at admin/audit/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.audit_list, name="admin-audit"),
    path("export/", views.audit_export, name="admin-audit-export"),
    path("exports/", views.audit_exports, name="admin-audit-exports"),
    path("exports/<int:export_id>/", views.audit_export_detail, name="admin-audit-export-detail"),
    path(
        "exports/<int:export_id>/download/",
        views.audit_export_download,
        name="admin-audit-export-download",
    ),
]
