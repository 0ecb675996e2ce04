from django.urls import URLPattern, URLResolver, path

from kokyaku.imports import merge_views, views

app_name = "imports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.start, name="start"),
    path("duplicates/", merge_views.duplicates, name="duplicates"),
    path("runs/<int:run_id>/rejects.csv", views.rejects, name="rejects"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("<str:upload_id>/", views.review, name="review"),
    path("<str:upload_id>/preview/", views.preview, name="preview"),
    path("<str:upload_id>/save-mapping/", views.save_mapping, name="save_mapping"),
    path("<str:upload_id>/validate/", views.validate, name="validate"),
    path("<str:upload_id>/import/", views.import_all, name="import"),
    path("<str:upload_id>/import-valid/", views.import_valid, name="import_valid"),
]
