from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "kokyaku.jobs"
    label = "jobs"

    def ready(self) -> None:
        # the built-in kinds (snapshot, import, train) register themselves with the job layer
        from kokyaku.jobs import kinds  # noqa: F401
