from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "textback.rules"
