from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kokyaku.demo"
    label = "demo"
