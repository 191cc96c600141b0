from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "textback.accounts"

    def ready(self) -> None:
        from textback.accounts import mail  # noqa: F401  (registers the "email" job with the outbox)
