from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "kokyaku.imports"
    label = "imports"
