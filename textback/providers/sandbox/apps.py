from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "textback.providers.sandbox"
    label = "sandbox"
