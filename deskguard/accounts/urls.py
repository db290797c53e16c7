"""Sign-in related URLs, included once under each portal's namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from deskguard.twofactor import views as twofactor_views

from . import views

urlpatterns: list[URLPattern] = [
    path("signin/", views.signin, name="signin"),
    path("signin/verify/", twofactor_views.challenge, name="challenge"),
    path("signout/", views.signout, name="signout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("invitation/<uidb64>/<token>/", views.InvitationView.as_view(), name="invitation"),
]
