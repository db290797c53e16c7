from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "deskguard.sso"
    label = "sso"
