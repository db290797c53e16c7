from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "deskguard.audit"
    label = "audit"
