"""Who may open each page and call each API operation: one rule per route and method, :data:`ROUTES`.

A rule is one of

- ``"public"``: anyone, logged in or not (the login page, the favicon);
- ``"login"``: any logged-in user (the team reads the whole book; writes are rules of their own);
- ``"manager"``: managers and admins (pages decorated ``manager_required``);
- a write of :data:`kokyaku.crm.permissions.RIGHTS`: whoever that write allows, and for its
  ``own_only`` writes a rep only on the records their rep owns (or is assigned).

Keys are ``"METHOD route"``: a web route as Django's URL resolver spells its pattern (without the
leading slash), an API operation as its path in the OpenAPI document. Django admin, ``i18n/`` and
``logout/`` are Django's own and not listed. tests/security/test_rights_matrix.py walks the URL
resolver and the API's routers: a route without a rule here fails it, and every role (anonymous, a rep
on their own record and on another rep's, a manager, an admin) is sent to every route and must be let
in or refused exactly as its rule says.
"""

from __future__ import annotations

ROUTES: dict[str, str] = {
    # web: the shell and settings
    "GET login/": "public",
    "POST login/": "public",
    "GET favicon.ico": "public",
    "GET ": "login",
    "GET settings/company/": "manager",
    "POST settings/company/": "company_settings_update",
    "POST settings/rates/": "company_settings_update",  # the conversion rates are company settings
    "POST settings/lost-reasons/": "lost_reason_create",
    "POST settings/lost-reasons/<int:reason_id>/active/": "lost_reason_set_active",
    "GET tokens/": "login",
    "POST tokens/": "login",
    "POST tokens/<int:token_id>/revoke/": "login",  # one's own tokens only: another's id answers 404
    # web: portfolio
    "GET portfolio/": "login",
    "GET portfolio/mine/": "login",
    "GET portfolio/accounts/": "login",
    "GET portfolio/owners/": "login",
    "GET portfolio/accounts/<int:account_id>/": "login",
    "GET portfolio/accounts/<int:account_id>/edit/": "account_update",
    "POST portfolio/accounts/<int:account_id>/edit/": "account_update",
    "GET portfolio/deals/<int:deal_id>/edit/": "deal_update",
    "POST portfolio/deals/<int:deal_id>/edit/": "deal_update",
    "POST portfolio/accounts/<int:account_id>/activities/": "activity_create",
    "GET portfolio/review/": "login",
    "GET portfolio/criteria/": "manager",
    "POST portfolio/criteria/": "criteria_create",
    "GET portfolio/criteria/in-use/": "login",
    "POST portfolio/criteria/preview/": "manager",
    "POST portfolio/snapshots/compute/": "snapshot_create",
    "GET portfolio/effort/": "login",
    "GET portfolio/targets/": "login",
    "POST portfolio/targets/set/": "target_set",
    "GET portfolio/export/team/": "login",
    "GET portfolio/export/mine/": "login",
    "GET portfolio/export/accounts/": "login",
    "GET portfolio/export/jobs/<int:job_id>/": "manager",  # and only the manager who started the export
    "GET portfolio/export/review/": "login",
    "GET portfolio/export/effort/": "login",
    "GET portfolio/export/targets/": "login",
    # web: prediction, retention
    "GET prediction/": "manager",
    "POST prediction/backtest/": "manager",
    "GET prediction/accounts/<int:account_id>/deals/": "login",
    "GET retention/": "manager",
    # web: imports (users.import_data: managers and admins)
    "GET imports/": "manager",
    "POST imports/": "manager",
    "GET imports/runs/<int:run_id>/rejects.csv": "manager",
    "GET imports/duplicates/": "duplicates_merge",
    "GET imports/jobs/<int:job_id>/": "manager",
    "POST imports/duplicates/": "duplicates_merge",
    "GET imports/<str:upload_id>/": "manager",
    "POST imports/<str:upload_id>/preview/": "manager",
    "POST imports/<str:upload_id>/save-mapping/": "manager",
    "POST imports/<str:upload_id>/validate/": "manager",
    "POST imports/<str:upload_id>/import/": "manager",
    "POST imports/<str:upload_id>/import-valid/": "manager",
    # web: follow-ups
    "GET followups/": "login",
    "POST followups/<int:followup_id>/complete/": "followup_complete",
    "POST followups/<int:followup_id>/cancel/": "followup_cancel",
    "POST followups/<int:followup_id>/reassign/": "followup_reassign",
    "GET followups/stale-deals/": "login",
    "GET followups/dormant/": "login",
    "GET followups/accounts/<int:account_id>/departures/": "login",
    "POST followups/accounts/<int:account_id>/departures/record/": "churn_record",
    "POST followups/departures/<int:churn_id>/withdraw/": "churn_withdraw",
    # web: assignment
    "GET assignment/": "manager",
    "POST assignment/": "assignment_plan",
    "GET assignment/policy/": "manager",
    "POST assignment/policy/": "assignment_policy_update",
    "GET assignment/plans/<int:plan_id>/": "manager",
    "POST assignment/plans/<int:plan_id>/exclude/": "assignment_plan",
    "POST assignment/plans/<int:plan_id>/apply/": "assignment_apply",
    "GET assignment/accounts/<int:account_id>/": "login",
    "POST assignment/accounts/<int:account_id>/": "account_release",
    "POST assignment/handovers/<int:handover_id>/done/": "handover_done",
    # web: buyers
    "GET buyers/": "login",
    "POST buyers/suggestions/compute/": "buyer_suggestions_compute",
    "GET buyers/objections/": "login",
    "POST buyers/objections/from-lost-notes/": "login",  # only the notes of accounts the login may edit
    "GET buyers/accounts/<int:account_id>/": "login",
    "POST buyers/accounts/<int:account_id>/checklist/": "buyer_type_update",
    "POST buyers/accounts/<int:account_id>/type/": "buyer_type_update",
    "POST buyers/accounts/<int:account_id>/suggestion/": "buyer_type_update",
    "POST buyers/accounts/<int:account_id>/key-persons/": "key_person_update",
    "POST buyers/accounts/<int:account_id>/key-persons/<int:person_id>/": "key_person_update",
    "POST buyers/accounts/<int:account_id>/objections/": "objection_update",
    "POST buyers/accounts/<int:account_id>/objections/<int:objection_id>/delete/": "objection_update",
    # web: jobs
    "GET jobs/": "manager",
    "GET jobs/<int:job_id>/": "manager",
    "POST jobs/start/<slug:kind>/": "job_enqueue",
    "POST jobs/<int:job_id>/cancel/": "job_cancel",
    "POST jobs/<int:job_id>/retry/": "job_enqueue",
    # API: crm
    "GET /api/ping": "login",
    "GET /api/accounts": "login",
    "GET /api/accounts/{account_id}": "login",
    "PATCH /api/accounts/{account_id}": "account_update",
    "GET /api/deals": "login",
    "GET /api/deals/{deal_id}": "login",
    "PATCH /api/deals/{deal_id}": "deal_update",
    "GET /api/activities": "login",
    "POST /api/activities": "activity_create",
    "GET /api/activities/{activity_id}": "login",
    "GET /api/reps": "login",
    "GET /api/reps/{rep_id}": "login",
    "GET /api/teams": "login",
    "GET /api/teams/{team_id}": "login",
    # API: portfolio
    "GET /api/portfolio/snapshots": "login",
    "POST /api/portfolio/snapshots": "snapshot_create",
    "GET /api/portfolio/rows": "login",
    "GET /api/portfolio/matrix": "login",
    "GET /api/portfolio/migration": "login",
    "GET /api/portfolio/effort": "login",
    "GET /api/portfolio/targets": "login",
    "PUT /api/portfolio/targets": "target_set",
    # API: imports
    "POST /api/imports/{kind}": "manager",
    "GET /api/imports": "manager",
    "GET /api/imports/{run_id}/rejects": "manager",
    # API: prediction, retention
    "GET /api/prediction/model": "login",
    "GET /api/prediction/deals": "login",
    "GET /api/retention": "manager",
    # API: follow-ups
    "GET /api/followups": "login",
    "POST /api/followups/{followup_id}/complete": "followup_complete",
    "POST /api/followups/{followup_id}/cancel": "followup_cancel",
    "POST /api/followups/{followup_id}/reassign": "followup_reassign",
    "GET /api/followups/queue": "manager",
    "GET /api/followups/stale-deals": "login",
    "POST /api/accounts/{account_id}/churn": "churn_record",
    "POST /api/churns/{churn_id}/withdraw": "churn_withdraw",
    # API: assignment
    "GET /api/assignment/plans": "manager",
    "POST /api/assignment/plans": "assignment_plan",
    "GET /api/assignment/plans/{plan_id}": "manager",
    "GET /api/assignment/plans/{plan_id}/moves": "manager",
    "POST /api/assignment/plans/{plan_id}/exclude": "assignment_plan",
    "POST /api/assignment/plans/{plan_id}/apply": "assignment_apply",
    "POST /api/assignment/accounts/{account_id}/release": "account_release",
    "POST /api/assignment/releases/{release_id}/withdraw": "account_release",
    "PUT /api/assignment/accounts/{account_id}/pin": "account_pin",
    "DELETE /api/assignment/accounts/{account_id}/pin": "account_pin",
    # API: buyers
    "GET /api/buyers/accounts/{account_id}": "login",
    "PUT /api/buyers/accounts/{account_id}/checklist": "buyer_type_update",
    "POST /api/buyers/accounts/{account_id}/type": "buyer_type_update",
    "POST /api/buyers/accounts/{account_id}/suggestion": "buyer_type_update",
    "GET /api/buyers/key-persons": "login",
    "POST /api/buyers/key-persons": "key_person_update",
    "PATCH /api/buyers/key-persons/{person_id}": "key_person_update",
    "DELETE /api/buyers/key-persons/{person_id}": "key_person_update",
    "GET /api/buyers/objections": "login",
    "POST /api/buyers/objections": "objection_update",
    "DELETE /api/buyers/objections/{objection_id}": "objection_update",
    "GET /api/buyers/counts": "login",
    # API: jobs
    "GET /api/jobs": "manager",
    "POST /api/jobs": "job_enqueue",
    "GET /api/jobs/{job_id}": "manager",
    "POST /api/jobs/{job_id}/cancel": "job_cancel",
    "POST /api/jobs/{job_id}/retry": "job_enqueue",
}
