"""Security pages, included under each portal's settings/profile prefix."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.security, name="security"),
    path("enable/", views.enable, name="security-enable"),
    path("recovery-codes/", views.codes, name="security-codes"),
    path("replace/", views.replace, name="security-replace"),
    path("regenerate/", views.regenerate, name="security-regenerate"),
    path("disable/", views.disable, name="security-disable"),
]
