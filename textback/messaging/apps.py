from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "textback.messaging"
