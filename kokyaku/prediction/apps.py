from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from kokyaku.portfolio.services import ProvidedProbabilities


def snapshot_probabilities(as_of: date) -> ProvidedProbabilities | None:
    """The snapshot's ``model`` source; the services (and scikit-learn with them) load when a snapshot asks."""
    from kokyaku.prediction.services import snapshot_probabilities as provide

    return provide(as_of)


class PredictionConfig(AppConfig):
    name = "kokyaku.prediction"
    label = "prediction"

    def ready(self) -> None:
        # The snapshot asks the models trained as of its date for the "model" probability source.
        from kokyaku.portfolio.services import register_probability_provider

        register_probability_provider(snapshot_probabilities)
        from kokyaku.prediction import job_kinds  # noqa: F401  (registers its background job kinds)
