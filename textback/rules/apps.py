from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "textback.rules"

    def ready(self) -> None:
        from textback.rules import actions  # noqa: F401  (registers the "followup" job with the outbox)
