"""The two portals (A2) and which kind of account belongs to each."""

from __future__ import annotations

from enum import StrEnum

from django.http import HttpRequest
from django.utils.translation import gettext

from .models import Kind, User


class Portal(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"

    @property
    def kind(self) -> Kind:
        return Kind.AGENT if self is Portal.AGENT else Kind.CONTACT

    @property
    def label(self) -> str:
        # In the language of the page or mail that names it (L4).
        return gettext("Agent Portal") if self is Portal.AGENT else gettext("Customer Portal")

    def url(self, name: str) -> str:
        """A URL name inside this portal's namespace (namespaces equal the values)."""
        return f"{self.value}:{name}"


def portal_of_request(request: HttpRequest) -> Portal | None:
    """The portal a URL belongs to: its namespace ("agent:..." or "customer:...")."""
    match = request.resolver_match
    namespace = match.namespace.split(":")[0] if match else ""
    return Portal(namespace) if namespace in {p.value for p in Portal} else None


def current_portal(request: HttpRequest) -> Portal:
    """The portal of a view mounted in both portals (always under a namespace)."""
    return portal_of_request(request) or Portal.CUSTOMER


def portal_of(user: User) -> Portal:
    return Portal.AGENT if user.kind == Kind.AGENT else Portal.CUSTOMER
