from django.urls import URLPattern, URLResolver, path

from kokyaku.followups.views import departures, dormant, queue, stale

app_name = "followups"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", queue.queue, name="queue"),
    path("<int:followup_id>/complete/", queue.complete, name="complete"),
    path("<int:followup_id>/cancel/", queue.cancel, name="cancel"),
    path("<int:followup_id>/reassign/", queue.reassign, name="reassign"),
    path("stale-deals/", stale.stale, name="stale"),
    path("dormant/", dormant.dormant, name="dormant"),
    path("accounts/<int:account_id>/departures/", departures.departures, name="departures"),
    path("accounts/<int:account_id>/departures/record/", departures.record, name="departure_record"),
    path("departures/<int:churn_id>/withdraw/", departures.withdraw, name="departure_withdraw"),
]
