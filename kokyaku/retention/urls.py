from django.urls import URLPattern, URLResolver, path

from kokyaku.retention.views import page

app_name = "retention"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", page.retention, name="retention"),
]
