"""Ticket services (A5)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from deskguard.accounts.models import Kind, User

from .models import Message, Status, Ticket


@transaction.atomic
def ticket_create(*, contact: User, subject: str, body: str) -> Ticket:
    if contact.kind != Kind.CONTACT:
        raise ValueError("only contacts open tickets")
    ticket = Ticket.objects.create(contact=contact, subject=subject)
    Message.objects.create(ticket=ticket, author=contact, body=body)
    return ticket


@transaction.atomic
def ticket_reply(*, ticket: Ticket, author: User, body: str) -> Message:
    message = Message.objects.create(ticket=ticket, author=author, body=body)
    # A contact's reply reopens a ticket the agents put on hold or closed.
    if author.kind == Kind.CONTACT and ticket.status != Status.OPEN:
        ticket.status = Status.OPEN
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["status", "updated_at"])
    return message


def ticket_set_status(*, ticket: Ticket, status: Status) -> None:
    ticket.status = status
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["status", "updated_at"])
