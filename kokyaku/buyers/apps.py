from django.apps import AppConfig


class BuyersConfig(AppConfig):
    name = "kokyaku.buyers"
    label = "buyers"
