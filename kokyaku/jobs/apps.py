from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "kokyaku.jobs"
    label = "jobs"
    # each app registers its own kinds from its ready() (portfolio/job_kinds.py, imports/job_kinds.py, ...)
