from django.urls import URLPattern, URLResolver, path

from kokyaku.portfolio.views import account, criteria, effort, review, snapshots, tables, targets, team

app_name = "portfolio"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", team.team, name="team"),
    path("mine/", tables.mine, name="mine"),
    path("accounts/", tables.accounts, name="accounts"),
    path("owners/", tables.owners, name="owners"),
    path("accounts/<int:account_id>/", account.account, name="account"),
    path("accounts/<int:account_id>/activities/", account.account_activity, name="account_activity"),
    path("review/", review.review, name="review"),
    path("criteria/", criteria.criteria, name="criteria"),
    path("criteria/preview/", criteria.criteria_preview, name="criteria_preview"),
    path("snapshots/compute/", snapshots.snapshot_compute, name="snapshot_compute"),
    path("effort/", effort.effort, name="effort"),
    path("targets/", targets.targets, name="targets"),
    path("targets/set/", targets.target_set, name="target_set"),
]
