from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "textback.accounts"
