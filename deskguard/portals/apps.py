from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "deskguard.portals"
    label = "portals"
