from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "textback.alerts"

    def ready(self) -> None:
        from textback.alerts import channels, escalation  # noqa: F401  (register the alert jobs with the outbox)
