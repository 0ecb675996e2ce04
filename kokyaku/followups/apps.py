from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "kokyaku.followups"
    label = "followups"

    def ready(self) -> None:
        from kokyaku.assignment.signals import plan_applied
        from kokyaku.followups import services
        from kokyaku.portfolio.signals import snapshot_written

        snapshot_written.connect(services.on_snapshot_written, dispatch_uid="followups.on_snapshot_written")
        plan_applied.connect(services.on_plan_applied, dispatch_uid="followups.on_plan_applied")
