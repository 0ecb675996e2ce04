from django.urls import URLPattern, URLResolver, path

from kokyaku.portfolio.views import account, criteria, edit, effort, exports, review, snapshots, tables, targets, team

app_name = "portfolio"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", team.team, name="team"),
    path("mine/", tables.mine, name="mine"),
    path("accounts/", tables.accounts, name="accounts"),
    path("owners/", tables.owners, name="owners"),
    path("accounts/<int:account_id>/", account.account, name="account"),
    path("accounts/<int:account_id>/edit/", edit.account_edit, name="account_edit"),
    path("deals/<int:deal_id>/edit/", edit.deal_edit, name="deal_edit"),
    path("accounts/<int:account_id>/activities/", account.account_activity, name="account_activity"),
    path("review/", review.review, name="review"),
    path("criteria/", criteria.criteria, name="criteria"),
    path("criteria/in-use/", criteria.criteria_read, name="criteria_read"),
    path("criteria/preview/", criteria.criteria_preview, name="criteria_preview"),
    path("snapshots/compute/", snapshots.snapshot_compute, name="snapshot_compute"),
    path("effort/", effort.effort, name="effort"),
    path("targets/", targets.targets, name="targets"),
    path("targets/set/", targets.target_set, name="target_set"),
    path("export/team/", exports.team, name="export_team"),
    path("export/mine/", exports.mine, name="export_mine"),
    path("export/accounts/", exports.accounts, name="export_accounts"),
    path("export/jobs/<int:job_id>/", exports.download, name="export_download"),
    path("export/review/", exports.review, name="export_review"),
    path("export/effort/", exports.effort, name="export_effort"),
    path("export/targets/", exports.targets, name="export_targets"),
]
