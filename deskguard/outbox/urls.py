"""Mounted under the Agent Portal's namespace at admin/mail/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.mail_list, name="admin-mail"),
    path("<int:mail_id>/", views.mail_detail, name="admin-mail-detail"),
    path("<int:mail_id>/message.html", views.mail_html, name="admin-mail-html"),
    path("<int:mail_id>/retry/", views.mail_retry_view, name="admin-mail-retry"),
]
