from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "textback.reports"

    def ready(self) -> None:
        # Register the outbox job: the weekly summary email.
        from textback.reports import weekly  # noqa: F401
