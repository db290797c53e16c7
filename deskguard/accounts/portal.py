"""The two portals (A2) and which kind of account belongs to each."""

from __future__ import annotations

from enum import StrEnum

from .models import Kind, User


class Portal(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"

    @property
    def kind(self) -> Kind:
        return Kind.AGENT if self is Portal.AGENT else Kind.CONTACT

    @property
    def label(self) -> str:
        return "Agent Portal" if self is Portal.AGENT else "Customer Portal"

    def url(self, name: str) -> str:
        """A URL name inside this portal's namespace (namespaces equal the values)."""
        return f"{self.value}:{name}"


def portal_of(user: User) -> Portal:
    return Portal.AGENT if user.kind == Kind.AGENT else Portal.CUSTOMER
