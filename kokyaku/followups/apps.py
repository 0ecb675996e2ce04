from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "kokyaku.followups"
    label = "followups"

    def ready(self) -> None:
        from kokyaku.followups import services
        from kokyaku.portfolio.signals import snapshot_written

        snapshot_written.connect(services.on_snapshot_written, dispatch_uid="followups.on_snapshot_written")
