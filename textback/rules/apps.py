from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "textback.rules"

    def ready(self) -> None:
        # Register the outbox jobs: follow-ups, the nightly retention and the on-call escalation.
        from textback.rules import actions, paging, retention  # noqa: F401
