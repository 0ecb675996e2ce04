from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kokyaku.api.urls import api

admin.site.site_header = admin.site.site_title = "Kokyaku"  # instead of "Django administration"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("portfolio/", include("kokyaku.portfolio.urls")),
    path("prediction/", include("kokyaku.prediction.urls")),
    path("imports/", include("kokyaku.imports.urls")),
    path("retention/", include("kokyaku.retention.urls")),
    path("followups/", include("kokyaku.followups.urls")),
    path("assignment/", include("kokyaku.assignment.urls")),
    path("buyers/", include("kokyaku.buyers.urls")),
    path("jobs/", include("kokyaku.jobs.urls")),
    path("", include("kokyaku.web.urls")),
]

# Unknown URLs and crashes under /api/ answer JSON {"detail": ...}, like every other API error (issue 15).
handler400 = "kokyaku.web.views.bad_request"  # a session save refused by a database gone away: the 503
handler404 = "kokyaku.web.views.not_found"
handler500 = "kokyaku.web.views.server_error"
