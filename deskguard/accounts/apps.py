from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "deskguard.accounts"
    label = "accounts"
