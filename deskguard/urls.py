from __future__ import annotations

from django.urls import include, path
from django.views.generic import RedirectView

from . import bodies, errors, health

handler400 = bodies.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customer:home"), name="root"),
    path("healthz", health.healthz, name="healthz"),
    path("agent/", include("deskguard.portals.agent.urls")),
    path("portal/", include("deskguard.portals.customer.urls")),
    path("sso/", include("deskguard.sso.urls")),
]
