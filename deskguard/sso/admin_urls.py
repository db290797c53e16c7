"""Mounted under the Agent Portal's namespace at admin/sso/."""

from __future__ import annotations

from django.urls import path

from . import admin_views

urlpatterns = [
    path("", admin_views.provider_list, name="admin-sso"),
    path("new/", admin_views.provider_new, name="admin-sso-new"),
    path("confirm/", admin_views.provider_confirm, name="admin-sso-confirm"),
    path("<int:provider_id>/", admin_views.provider_edit, name="admin-sso-edit"),
    path("<int:provider_id>/delete/", admin_views.provider_delete, name="admin-sso-delete"),
]
