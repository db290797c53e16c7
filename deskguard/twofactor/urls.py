"""Security pages, included under each portal's settings/profile prefix."""

from __future__ import annotations

from django.urls import path

from . import key_views, views

urlpatterns = [
    path("", views.security, name="security"),
    path("enable/", views.enable, name="security-enable"),
    path("recovery-codes/", views.codes, name="security-codes"),
    path("replace/", views.replace, name="security-replace"),
    path("regenerate/", views.regenerate, name="security-regenerate"),
    path("disable/", views.disable, name="security-disable"),
    path("confirm/", key_views.confirm, name="security-confirm"),
    path("keys/add/", key_views.key_add, name="security-key-add"),
    path("factors/<int:pk>/rename/", key_views.factor_rename, name="security-factor-rename"),
    path("factors/<int:pk>/remove/", key_views.factor_remove, name="security-factor-remove"),
]
