from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "textback.rules"

    def ready(self) -> None:
        from textback.rules import retention  # noqa: F401  (register the nightly retention job with the outbox)
