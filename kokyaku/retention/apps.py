from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "kokyaku.retention"
    label = "retention"
