from django.urls import URLPattern, URLResolver, path

from kokyaku.buyers.views import account, objections, team

app_name = "buyers"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", team.team, name="team"),
    path("suggestions/compute/", team.compute, name="compute"),
    path("objections/", objections.objections, name="objections"),
    path("objections/from-lost-notes/", objections.from_lost_notes, name="from_lost_notes"),
    path("accounts/<int:account_id>/", account.account, name="account"),
    path("accounts/<int:account_id>/checklist/", account.checklist, name="checklist"),
    path("accounts/<int:account_id>/type/", account.buyer_type, name="type"),
    path("accounts/<int:account_id>/suggestion/", account.suggestion, name="suggestion"),
    path("accounts/<int:account_id>/key-persons/", account.key_person, name="key_person_add"),
    path("accounts/<int:account_id>/key-persons/<int:person_id>/", account.key_person, name="key_person"),
    path("accounts/<int:account_id>/objections/", account.objection, name="objection_add"),
    path("accounts/<int:account_id>/objections/<int:objection_id>/delete/", account.objection, name="objection_delete"),
]
