from __future__ import annotations

from django.urls import include, path
from django.views.generic import RedirectView

from . import bodies, health

handler400 = bodies.bad_request

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customer:home"), name="root"),
    path("healthz", health.healthz, name="healthz"),
    path("agent/", include("deskguard.portals.agent.urls")),
    path("portal/", include("deskguard.portals.customer.urls")),
    path("sso/", include("deskguard.sso.urls")),
]
