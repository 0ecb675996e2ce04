from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "kokyaku.portfolio"
    label = "portfolio"
