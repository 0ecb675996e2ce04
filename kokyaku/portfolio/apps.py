from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "kokyaku.portfolio"
    label = "portfolio"

    def ready(self) -> None:
        from kokyaku.portfolio import job_kinds  # noqa: F401  (registers its background job kinds)
