from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "textback.rules"

    def ready(self) -> None:
        # Register the outbox jobs: "followup" and the nightly retention.
        from textback.rules import actions, retention  # noqa: F401
