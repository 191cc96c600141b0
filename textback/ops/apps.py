from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "textback.ops"
