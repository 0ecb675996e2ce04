"""Making an assignment plan as a background job (kokyaku/jobs): the plans page's "Make a plan" button.

``assignment_plan`` reads the snapshot, solves (up to its time limit) and stores the plan and its
moves in one transaction: a job killed mid-way leaves no plan behind, and retrying it is safe.
Applying a plan stays a request: it is one UPDATE of the moved accounts and their hand-overs.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kokyaku.assignment.services import assignment_plan
from kokyaku.jobs.registry import Actor, Kind, Outcome, Report, register

PLAN_STEPS = {"loaded": 30, "solved": 85}


def run_plan(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    report(5, "loading")
    plan = assignment_plan(actor=actor, progress=lambda stage: report(PLAN_STEPS.get(stage, 50), stage))
    return {"plan": plan.pk, "status": plan.status, "accounts": plan.accounts, "moves": plan.move_count}


def describe_plan(job_id: int, result: dict[str, Any]) -> Outcome:
    text = gettext("Plan %(id)s made over %(n)s accounts: %(moves)s moves proposed.") % {
        "id": result.get("plan"),
        "n": f"{result.get('accounts', 0):,}",
        "moves": f"{result.get('moves', 0):,}",
    }
    url = reverse("assignment:plan", args=[result["plan"]]) if result.get("plan") else ""
    return Outcome(text, url, gettext("Review the plan"))


register(
    Kind(
        name="assignment_plan",
        label=_("Assignment plan"),
        right="assignment_plan",
        run=run_plan,
        steps={"loading": _("reading the snapshot and the policy"), "loaded": _("solving"), "solved": _("writing the moves")},
        describe=describe_plan,
    )
)
