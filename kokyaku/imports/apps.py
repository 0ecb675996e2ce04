from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "kokyaku.imports"
    label = "imports"

    def ready(self) -> None:
        from kokyaku.imports import job_kinds  # noqa: F401  (registers its background job kinds)
