from django.urls import URLPattern, URLResolver, path

from kokyaku.imports import views

app_name = "imports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.start, name="start"),
    path("runs/<int:run_id>/rejects.csv", views.rejects, name="rejects"),
    path("<str:upload_id>/", views.review, name="review"),
]
