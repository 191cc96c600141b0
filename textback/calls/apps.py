from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "textback.calls"

    def ready(self) -> None:
        from textback.calls import actions  # noqa: F401  (registers the "decide_call" job with the outbox)
