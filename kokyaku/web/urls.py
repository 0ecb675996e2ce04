from django.templatetags.static import static
from django.urls import path
from django.utils.functional import lazy
from django.views.generic.base import RedirectView

from kokyaku.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("settings/company/", views.company_settings, name="company_settings"),
    path("settings/rates/", views.conversion_rate, name="conversion_rate"),
    path("settings/lost-reasons/", views.lost_reason_add, name="lost_reason_add"),
    path("settings/lost-reasons/<int:reason_id>/active/", views.lost_reason_toggle, name="lost_reason_toggle"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    # Pages without our <link rel="icon"> (the admin, the API docs) make browsers ask for /favicon.ico.
    # Lazy: in production the name comes from collectstatic's manifest, which does not exist yet when
    # collectstatic itself loads these URLs. Temporary (302): the target's hashed name changes with the file.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("kokyaku/favicon.svg"), permanent=False)),
]
