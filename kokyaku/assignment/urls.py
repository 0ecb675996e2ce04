from django.urls import URLPattern, URLResolver, path

from kokyaku.assignment.views import accounts, plans, policy

app_name = "assignment"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", plans.plans, name="plans"),
    path("policy/", policy.policy, name="policy"),
    path("plans/<int:plan_id>/", plans.plan, name="plan"),
    path("plans/<int:plan_id>/exclude/", plans.plan_exclude, name="plan_exclude"),
    path("plans/<int:plan_id>/apply/", plans.plan_apply, name="plan_apply"),
    path("accounts/<int:account_id>/", accounts.account, name="account"),
    path("handovers/<int:handover_id>/done/", accounts.handover_done, name="handover_done"),
]
