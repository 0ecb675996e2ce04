from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kokyaku.api"
    label = "api"
