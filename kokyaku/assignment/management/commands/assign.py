"""`kokyaku assign plan [--json PATH]` and `kokyaku assign apply PLAN_ID [--json PATH]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.assignment.labels import infeasible_message
from kokyaku.assignment.models import Plan
from kokyaku.assignment.services import assignment_apply, assignment_plan
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy, term


def plan_summary(plan: Plan) -> dict[str, Any]:
    """The issue's JSON for scripts: plan id, status, reason, solver seconds, moves, policy fit, baselines."""
    return {
        "plan_id": plan.pk,
        "status": plan.status,
        "reason": plan.reason,
        "seconds": round(plan.solver_seconds, 3),
        "moves": plan.move_count,
        "policy_fit": plan.policy_fit,
        "gap": plan.gap,
        "follow_up": plan.follow_up,
        "baselines": plan.baselines,
        "applied_at": plan.applied_at.isoformat() if plan.applied_at else None,
    }


def _write_json(path: str | None, data: dict[str, Any]) -> None:
    if not path:
        return
    try:
        Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CommandError(_("--json: cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror}) from None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


class Command(KokyakuCommand):
    help = gettext_lazy("Plan the assignment of accounts to reps under the current policy, or apply a stored plan.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        plan = sub.add_parser("plan", help=gettext_lazy("compute and store a plan (nothing moves)"))
        plan.add_argument(
            "--json", dest="json_path", default=None, metavar="PATH", help=gettext_lazy("also write the plan's summary as JSON")
        )
        apply = sub.add_parser("apply", help=gettext_lazy("apply a stored plan (its moves not excluded)"))
        apply.add_argument("plan_id", type=int, help=gettext_lazy("the plan's number, as `kokyaku assign plan` printed it"))
        apply.add_argument(
            "--json", dest="json_path", default=None, metavar="PATH", help=gettext_lazy("also write the applied plan's summary")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "plan":
            try:
                plan = assignment_plan(actor=None)
            except ValidationError as exc:
                raise CommandError(_("cannot plan: %(reason)s") % {"reason": " ".join(exc.messages)}) from None
            _write_json(options["json_path"], plan_summary(plan))
            if plan.status == Plan.Status.INFEASIBLE:
                raise CommandError(
                    _("plan %(id)s: no plan exists: %(reason)s") % {"id": plan.pk, "reason": infeasible_message(plan.reason)}
                )
            rr = plan.baselines.get("round_robin", {})
            eq = plan.baselines.get("equal_split", {})
            self.stdout.write(
                _(
                    "plan %(id)s (%(status)s): %(moves)s moves of %(accounts)s accounts, policy fit %(fit)s (today "
                    "%(before)s; round-robin %(round_robin)s, equal split %(equal_split)s), solved in %(seconds)s s. "
                    "Review it at /assignment/plans/%(id)s/ or apply it with: kokyaku assign apply %(id)s"
                )
                % {
                    "id": plan.pk,
                    "status": term(plan.status, plan.get_status_display()),
                    "moves": f"{plan.move_count:,}",
                    "accounts": f"{plan.accounts:,}",
                    "fit": _pct(plan.policy_fit),
                    "before": _pct(plan.policy_fit_before),
                    "round_robin": _pct(rr.get("policy_fit")),
                    "equal_split": _pct(eq.get("policy_fit")),
                    "seconds": f"{plan.solver_seconds:.2f}",
                }
            )
            return
        found = Plan.objects.filter(pk=options["plan_id"]).first()
        if found is None:
            raise CommandError(_("there is no plan %(id)s") % {"id": options["plan_id"]})
        try:
            moved = assignment_apply(actor=None, plan=found)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        _write_json(options["json_path"], {**plan_summary(found), "moved": moved})
        self.stdout.write(
            _("plan %(id)s applied: %(moved)s accounts have a new owner, each with a hand-over")
            % {"id": found.pk, "moved": f"{moved:,}"}
        )
