from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "deskguard.tickets"
    label = "tickets"
