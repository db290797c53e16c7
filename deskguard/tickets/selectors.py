"""Which tickets an account may see (A5)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from deskguard.accounts.models import Kind, User
from deskguard.pagination import Order

from .models import Ticket

# Most recently updated first; (updated_at, id) and (contact, updated_at, id) are
# indexed in this order, so a page reads 25 index entries, not every ticket (J1).
TICKET_ORDER = Order(("updated_at", "id"), descending=True)


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related("contact")
    return tickets if user.kind == Kind.AGENT else tickets.filter(contact=user)


def ticket_get_for(user: User, ticket_id: int) -> Ticket:
    """404, not 403, for another contact's ticket: its existence is not revealed."""
    return get_object_or_404(tickets_visible_to(user), pk=ticket_id)
