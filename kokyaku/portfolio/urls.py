from django.urls import URLPattern, URLResolver, path

from kokyaku.portfolio import views

app_name = "portfolio"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.team, name="team"),
    path("mine/", views.mine, name="mine"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/<int:account_id>/", views.account, name="account"),
    path("accounts/<int:account_id>/activities/", views.account_activity, name="account_activity"),
    path("review/", views.review, name="review"),
    path("criteria/", views.criteria, name="criteria"),
    path("criteria/preview/", views.criteria_preview, name="criteria_preview"),
    path("snapshots/compute/", views.snapshot_compute, name="snapshot_compute"),
    path("effort/", views.effort, name="effort"),
    path("targets/", views.targets, name="targets"),
    path("targets/set/", views.target_set, name="target_set"),
]
