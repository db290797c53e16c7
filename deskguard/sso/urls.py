from __future__ import annotations

from django.urls import path

from . import views

app_name = "sso"
urlpatterns = [
    path("<slug:slug>/start/", views.start, name="start"),
    path("<slug:slug>/callback/", views.callback, name="callback"),
]
