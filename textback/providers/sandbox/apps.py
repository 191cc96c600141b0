from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "textback.providers.sandbox"
    label = "sandbox"

    def ready(self) -> None:
        from textback.providers.sandbox import carrier  # noqa: F401  (registers the sandbox delivery-report job with the outbox)
