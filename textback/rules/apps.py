from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "textback.rules"

    def ready(self) -> None:
        from textback.rules import paging  # noqa: F401  (register the escalation job with the outbox)
