from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "deskguard.outbox"
    label = "outbox"
