"""Sign-in URLs, included once under each portal's namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("signin/", views.signin, name="signin"),
    path("signin/verify/", views.challenge, name="challenge"),
    path("signin/verify/key/", views.challenge_key, name="challenge-key"),
    path("signout/", views.signout, name="signout"),
]
