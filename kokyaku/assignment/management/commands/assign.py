"""`kokyaku assign plan [--json PATH]` and `kokyaku assign apply PLAN_ID [--json PATH]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from kokyaku.assignment.labels import infeasible_message
from kokyaku.assignment.models import Plan
from kokyaku.assignment.services import assignment_apply, assignment_plan
from kokyaku.lib.commands import KokyakuCommand


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
        raise CommandError(f"--json: cannot write {path}: {exc.strerror}") from None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


class Command(KokyakuCommand):
    help = "Plan the assignment of accounts to reps under the current policy, or apply a stored plan."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        plan = sub.add_parser("plan", help="compute and store a plan (nothing moves)")
        plan.add_argument("--json", dest="json_path", default=None, metavar="PATH", help="also write the plan's summary as JSON")
        apply = sub.add_parser("apply", help="apply a stored plan (its moves not excluded)")
        apply.add_argument("plan_id", type=int)
        apply.add_argument("--json", dest="json_path", default=None, metavar="PATH", help="also write the applied plan's summary")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "plan":
            try:
                plan = assignment_plan(actor=None)
            except ValidationError as exc:
                raise CommandError(f"cannot plan: {' '.join(exc.messages)}") from None
            _write_json(options["json_path"], plan_summary(plan))
            if plan.status == Plan.Status.INFEASIBLE:
                raise CommandError(f"plan {plan.pk}: no plan exists: {infeasible_message(plan.reason)}")
            rr = plan.baselines.get("round_robin", {})
            eq = plan.baselines.get("equal_split", {})
            self.stdout.write(
                f"plan {plan.pk} ({plan.status}): {plan.move_count:,} moves of {plan.accounts:,} accounts, policy fit "
                f"{_pct(plan.policy_fit)} (today {_pct(plan.policy_fit_before)}; round-robin {_pct(rr.get('policy_fit'))}, "
                f"equal split {_pct(eq.get('policy_fit'))}), solved in {plan.solver_seconds:.2f} s. "
                f"Review it at /assignment/plans/{plan.pk}/ or apply it with: kokyaku assign apply {plan.pk}"
            )
            return
        found = Plan.objects.filter(pk=options["plan_id"]).first()
        if found is None:
            raise CommandError(f"there is no plan {options['plan_id']}")
        try:
            moved = assignment_apply(actor=None, plan=found)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        _write_json(options["json_path"], {**plan_summary(found), "moved": moved})
        self.stdout.write(f"plan {found.pk} applied: {moved:,} accounts have a new owner, each with a hand-over")
