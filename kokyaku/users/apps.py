from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "kokyaku.users"
    label = "users"
    verbose_name = _("Users and roles")

    def ready(self) -> None:
        from kokyaku.users.services import roles_ensure

        def _ensure(**kwargs: object) -> None:
            roles_ensure()

        post_migrate.connect(_ensure, sender=self, dispatch_uid="kokyaku_roles_ensure", weak=False)
