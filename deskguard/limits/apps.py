from django.apps import AppConfig


class LimitsConfig(AppConfig):
    name = "deskguard.limits"
    label = "limits"
