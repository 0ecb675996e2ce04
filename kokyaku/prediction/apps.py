from django.apps import AppConfig


class PredictionConfig(AppConfig):
    name = "kokyaku.prediction"
    label = "prediction"

    def ready(self) -> None:
        # The snapshot asks the models trained as of its date for the "model" probability source.
        from kokyaku.portfolio.services import register_probability_provider
        from kokyaku.prediction.services import snapshot_probabilities

        register_probability_provider(snapshot_probabilities)
        from kokyaku.prediction import job_kinds  # noqa: F401  (registers its background job kinds)
