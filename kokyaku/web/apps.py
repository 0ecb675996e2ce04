from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kokyaku.web"
    label = "web"
