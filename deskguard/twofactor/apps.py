from django.apps import AppConfig


class TwofactorConfig(AppConfig):
    name = "deskguard.twofactor"
    label = "twofactor"
