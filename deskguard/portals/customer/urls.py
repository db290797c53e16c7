from __future__ import annotations

from django.urls import include, path

from . import views

app_name = "customer"
urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/new/", views.ticket_new, name="ticket-new"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password, name="password"),
    path("profile/security/", include("deskguard.twofactor.urls")),
    path("", include("deskguard.signin.urls")),
    path("", include("deskguard.accounts.urls")),
]
