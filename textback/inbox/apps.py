from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "textback.inbox"
