from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "textback.messaging"

    def ready(self) -> None:
        from textback.messaging import sending  # noqa: F401  (registers the "sms" job with the outbox)
