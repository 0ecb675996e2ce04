from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentConfig(AppConfig):
    name = "kokyaku.assignment"
    label = "assignment"
    verbose_name = _("Assignment")

    def ready(self) -> None:
        from kokyaku.assignment import job_kinds  # noqa: F401  (registers its background job kinds)
