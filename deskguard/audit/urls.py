"""Mounted under the Agent Portal's namespace at admin/audit/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.audit_list, name="admin-audit"),
    path("export/", views.audit_export, name="admin-audit-export"),
]
