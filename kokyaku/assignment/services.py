"""Writes of the assignment app: policy versions, releases and pins, plans, exclusions, applying a plan.

Every function takes the acting login (``actor``; None is the system: the CLI, cron), checks it
against :mod:`kokyaku.crm.permissions`, validates and writes in one transaction, in bulk (never a
query per account). Bad input raises ``ValidationError`` with a translated message; nothing is
written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.assignment.data import current_fingerprint, plan_inputs
from kokyaku.assignment.models import AccountPin, AccountRelease, Handover, Plan, PlanMove, PolicyVersion
from kokyaku.assignment.signals import plan_applied
from kokyaku.crm.models import Account, Deal, Rep
from kokyaku.crm.permissions import AnyUser, check
from kokyaku.domain import assignment as domain_assignment
from kokyaku.domain.assignment import AssignmentPolicy
from kokyaku.domain.errors import DomainError
from kokyaku.lib import bulk
from kokyaku.lib.refusals import domain_text

RELEASE_REASON_MAX = 500


def _user(actor: AnyUser | None) -> User | None:
    return actor if isinstance(actor, User) else None


# ---- the policy ------------------------------------------------------------------------------


def policy_version_create(
    *,
    actor: AnyUser | None,
    policy: Mapping[str, Any] | AssignmentPolicy,
    value_capacities: Mapping[int, Decimal | float | int | str | None] | None = None,
    note: str = "",
) -> PolicyVersion:
    """Save a new policy version (the newest is the current one). ``value_capacities``: rep id -> most expected value."""
    check(actor, "assignment_policy_update")
    try:
        value = policy if isinstance(policy, AssignmentPolicy) else AssignmentPolicy.from_dict(policy)
    except (DomainError, TypeError) as exc:
        raise ValidationError(domain_text(exc)) from None
    caps: dict[str, float] = {}
    known = set(Rep.objects.filter(pk__in=list(value_capacities or {})).values_list("pk", flat=True))
    for rep_id, raw in (value_capacities or {}).items():
        if raw in (None, ""):
            continue
        if rep_id not in known:
            raise ValidationError(_("Value capacity: there is no rep %(rep)s.") % {"rep": rep_id})
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            amount = Decimal(-1)
        if not amount.is_finite() or amount < 0:
            raise ValidationError(
                _("Value capacity of rep %(rep)s: %(value)r is not an amount of at least 0.") % {"rep": rep_id, "value": raw}
            )
        caps[str(rep_id)] = float(amount)
    with transaction.atomic():
        return PolicyVersion.objects.create(
            policy=value.to_dict(), value_capacities=caps, note=note[:300], created_by=_user(actor)
        )


def rep_assignment_update(*, actor: AnyUser | None, changes: Mapping[int, Mapping[str, Any]]) -> int:
    """Set reps' tier, capacity (accounts) and active flag in bulk.

    ``changes``: ``{rep_id: {"tier": ..., "capacity": ..., "active": ...}}`` (keys left out keep their value).
    """
    check(actor, "assignment_policy_update")
    reps = {r.pk: r for r in Rep.objects.filter(pk__in=list(changes))}
    tiers = set(Rep.Tier.values)
    for rep_id, change in changes.items():
        rep = reps.get(rep_id)
        if rep is None:
            raise ValidationError(_("There is no rep %(rep)s.") % {"rep": rep_id})
        unknown = set(change) - {"tier", "capacity", "active"}
        if unknown:
            raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
        tier = change.get("tier", rep.tier)
        if tier not in tiers:
            raise ValidationError(
                _("Rep %(rep)s: tier %(value)r is not strong or developing.") % {"rep": rep.name, "value": tier}
            )
        capacity = change.get("capacity", rep.capacity)
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise ValidationError(
                _("Rep %(rep)s: capacity %(value)r is not a whole number of accounts.") % {"rep": rep.name, "value": capacity}
            )
        rep.tier, rep.capacity, rep.active = tier, capacity, bool(change.get("active", rep.active))
    with transaction.atomic():
        return Rep.objects.bulk_update(list(reps.values()), ["tier", "capacity", "active"])


def policy_save(
    *,
    actor: AnyUser | None,
    policy: Mapping[str, Any] | AssignmentPolicy,
    reps: Mapping[int, Mapping[str, Any]],
    value_capacities: Mapping[int, Decimal | float | int | str | None] | None = None,
    note: str = "",
) -> PolicyVersion:
    """The policy page's one write: reps' tiers and capacities, and a new policy version, together or not at all."""
    with transaction.atomic():
        rep_assignment_update(actor=actor, changes=reps)
        return policy_version_create(actor=actor, policy=policy, value_capacities=value_capacities, note=note)


# ---- releases and pins ------------------------------------------------------------------------


def account_release(*, actor: AnyUser | None, account: Account, reason: str) -> AccountRelease:
    """A strong rep gives up on an account they own (見切った): it stays theirs until a plan moves it."""
    check(actor, "account_release", owner_id=account.owner_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why you release this account: the developing rep who takes it over reads it."))
    if len(reason) > RELEASE_REASON_MAX:
        raise ValidationError(_("The reason is too long (%(max)s characters at most).") % {"max": RELEASE_REASON_MAX})
    owner = Rep.objects.filter(pk=account.owner_id).first() if account.owner_id else None
    if owner is None or owner.tier != Rep.Tier.STRONG:
        raise ValidationError(_("Only an account owned by a strong rep can be released."))
    with transaction.atomic():
        if AccountRelease.objects.filter(account=account, withdrawn_at__isnull=True, resolved_at__isnull=True).exists():
            raise ValidationError(_("%(account)s is already released.") % {"account": account.name})
        return AccountRelease.objects.create(account=account, rep=owner, reason=reason, created_by=_user(actor))


def account_release_withdraw(*, actor: AnyUser | None, release: AccountRelease) -> AccountRelease:
    """Take a release back (the rep changed their mind); a release a plan already resolved cannot be."""
    account = Account.objects.get(pk=release.account_id)
    check(actor, "account_release", owner_id=account.owner_id)
    with transaction.atomic():
        locked = AccountRelease.objects.select_for_update().get(pk=release.pk)
        if locked.withdrawn_at is not None or locked.resolved_at is not None:
            raise ValidationError(_("This release is no longer open."))
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["withdrawn_at"])
        return locked


def account_pin(*, actor: AnyUser | None, account: Account, note: str = "") -> AccountPin:
    """Pin an account to its owner: no plan moves it. Pinning twice keeps the first pin."""
    check(actor, "account_pin")
    if account.owner_id is None:
        raise ValidationError(_("%(account)s has no owner to pin it to.") % {"account": account.name})
    with transaction.atomic():
        pin, _created = AccountPin.objects.get_or_create(
            account=account, defaults={"note": note[:300], "created_by": _user(actor)}
        )
        return pin


def account_unpin(*, actor: AnyUser | None, account: Account) -> bool:
    """Remove an account's pin; True when there was one."""
    check(actor, "account_pin")
    with transaction.atomic():
        deleted, _rows = AccountPin.objects.filter(account=account).delete()
        return deleted > 0


# ---- plan, review, apply ----------------------------------------------------------------------


def _rep_rows(reps: pd.DataFrame) -> list[dict[str, Any]]:
    """The domain's rep table as JSON-ready rows (what the review page reads, adjusted for exclusions)."""
    ints = ("rep_id", "capacity", "accounts_before", "accounts_after", "moved_in", "moved_out", "fit_after")
    rows: list[dict[str, Any]] = []
    for r in reps.to_dict("records"):
        row: dict[str, Any] = {k: int(r[k]) for k in ints}
        row.update(tier=str(r["tier"]), active=bool(r["active"]), value_before=float(r["value_before"]))
        row.update(value_after=float(r["value_after"]))
        row["value_capacity"] = None if pd.isna(r["value_capacity"]) else float(r["value_capacity"])
        rows.append(row)
    return rows


def assignment_plan(
    *,
    actor: AnyUser | None,
    policy: PolicyVersion | None = None,
    time_limit: float = 10.0,
    progress: Callable[[str], None] | None = None,
) -> Plan:
    """Compute and store a plan under ``policy`` (None: the current version, else the default policy).

    An infeasible plan is stored too (status "infeasible" with its reason, no moves): the page shows why.
    ``progress`` hears "loaded" (the inputs read) and "solved" (before writing), for the job's progress bar.
    """
    check(actor, "assignment_plan")
    version = policy if policy is not None else PolicyVersion.objects.order_by("-created_at", "-id").first()
    inputs = plan_inputs(version)
    if progress is not None:
        progress("loaded")
    try:
        result = domain_assignment.plan_assignment(inputs.accounts, inputs.reps, policy=inputs.policy, time_limit=time_limit)
    except DomainError as exc:
        raise ValidationError(domain_text(exc)) from None
    if progress is not None:
        progress("solved")
    with transaction.atomic():
        plan = Plan.objects.create(
            policy_version=version, snapshot_id_used=inputs.snapshot_id, status=result.status, method=result.method,
            reason=result.reason.to_dict() if result.reason is not None else None, accounts=len(inputs.accounts),
            move_count=result.move_count if result.policy_fit is not None else 0,
            follow_up=int(result.accounts["follow_up"].sum()) if result.policy_fit is not None else 0,
            policy_fit=result.policy_fit, policy_fit_before=result.policy_fit_before, gap=result.gap,
            baselines={name: b.to_dict() for name, b in result.baselines.items()},
            reps=_rep_rows(result.reps), solver_seconds=result.solver_seconds, seconds=result.seconds,
            fingerprint=inputs.fingerprint, created_by=_user(actor),
        )  # fmt: skip
        if result.policy_fit is not None and result.move_count:
            moves = result.moves
            frame = pd.DataFrame(
                {
                    "plan_id": plan.pk,
                    "account_id": moves["account_id"].to_numpy(dtype=np.int64),
                    "from_rep_id": pd.to_numeric(moves["owner_before"], errors="coerce").to_numpy(dtype=float),
                    "to_rep_id": pd.to_numeric(moves["owner_after"], errors="coerce").to_numpy(dtype=float),
                    "reason": moves["reason"].astype(str).to_numpy(),
                    "term": moves["term"].astype(object).where(moves["term"].notna(), "").astype(str).to_numpy(),
                    "excluded": False,
                }
            )
            columns = bulk.model_columns(PlanMove, ["plan", "account", "from_rep", "to_rep", "reason", "term", "excluded"])
            bulk.write(PlanMove._meta.db_table, columns, frame)
    return plan


def plan_moves_exclude(*, actor: AnyUser | None, plan: Plan, move_ids: Iterable[int], excluded: bool = True) -> int:
    """Exclude (or include back) moves of a plan not applied yet; returns how many changed."""
    check(actor, "assignment_plan")
    ids = list(move_ids)
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if locked.applied_at is not None:
            raise ValidationError(_("Plan %(id)s is already applied.") % {"id": plan.pk})
        found = PlanMove.objects.filter(plan=locked, pk__in=ids)
        if found.count() != len(set(ids)):
            raise ValidationError(_("Some of these moves are not moves of plan %(id)s.") % {"id": plan.pk})
        return found.exclude(excluded=excluded).update(excluded=excluded)


def assignment_apply(*, actor: AnyUser | None, plan: Plan) -> int:
    """Apply a plan's moves (those not excluded) in one transaction; return how many owners changed.

    Refuses, moving nothing, a plan already applied, a plan with no plan (infeasible), and a plan
    made on data that changed since (owners, buyer types, reps, pins, releases, the snapshot, the
    policy). Each move writes an :class:`OwnerChange` (who, when, why, previous owner) and a
    :class:`Handover` for the new owner; the account's open deals move with it (won and lost ones
    keep the rep who worked them); releases of moved accounts are resolved. Then ``plan_applied``
    is sent in the same transaction: the follow-up queue gives each dormant account moved to a
    developing rep its follow-up (``kokyaku.followups.services.followups_hand_over``).
    """
    check(actor, "assignment_apply")
    now = timezone.now()
    user = _user(actor)
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if locked.applied_at is not None:
            raise ValidationError(
                _("Plan %(id)s was already applied on %(when)s.") % {"id": plan.pk, "when": f"{locked.applied_at:%Y-%m-%d %H:%M}"}
            )
        if locked.status == Plan.Status.INFEASIBLE or locked.reason is not None:
            raise ValidationError(_("Plan %(id)s has no moves to apply: no plan exists under this policy.") % {"id": plan.pk})
        if current_fingerprint(locked.policy_version) != locked.fingerprint:
            raise ValidationError(
                _(
                    "The accounts, reps, pins, releases or the portfolio changed since plan %(id)s was made: "
                    "make a new plan. Nothing was moved."
                )
                % {"id": plan.pk}
            )
        accepted = PlanMove.objects.filter(plan=locked, excluded=False)
        expected = accepted.count()
        # One joined UPDATE (PostgreSQL, and SQLite since 3.33): a correlated subquery per account
        # made PostgreSQL scan the moves once per account (7 s for 7,000 moves).
        moved = bulk.execute(
            "UPDATE crm_account SET owner_id = m.to_rep_id, updated_at = %s, version = crm_account.version + 1 "
            "FROM assignment_planmove m "
            "WHERE m.plan_id = %s AND NOT m.excluded AND m.account_id = crm_account.id",
            [now, locked.pk],
        )
        if moved != expected:  # the fingerprint makes this unreachable short of a concurrent write
            raise ValidationError(_("Plan %(id)s could not move every account: nothing was moved.") % {"id": plan.pk})
        # Open deals move with their account (whoever held them); won and lost ones keep the rep who worked them.
        bulk.execute(
            "UPDATE crm_deal SET owner_id = m.to_rep_id, version = crm_deal.version + 1 FROM assignment_planmove m "
            "WHERE m.plan_id = %s AND NOT m.excluded AND m.account_id = crm_deal.account_id AND crm_deal.status = %s",
            [locked.pk, Deal.Status.OPEN],
        )
        bulk.execute(
            "INSERT INTO assignment_ownerchange "
            "(plan_id, account_id, from_rep_id, to_rep_id, reason, term, changed_by_id, changed_at) "
            "SELECT plan_id, account_id, from_rep_id, to_rep_id, reason, term, %s, %s FROM assignment_planmove "
            "WHERE plan_id = %s AND NOT excluded ORDER BY id",
            [user.pk if user else None, now, locked.pk],
        )
        bulk.execute(
            "INSERT INTO assignment_handover (change_id, rep_id, account_id, done_at) "
            "SELECT id, to_rep_id, account_id, NULL FROM assignment_ownerchange WHERE plan_id = %s AND to_rep_id IS NOT NULL",
            [locked.pk],
        )
        AccountRelease.objects.filter(
            withdrawn_at__isnull=True, resolved_at__isnull=True, account_id__in=accepted.values("account_id")
        ).update(resolved_at=now, resolved_by_plan=locked)
        locked.applied_at, locked.applied_by = now, user
        locked.save(update_fields=["applied_at", "applied_by"])
        plan_applied.send(sender=Plan, plan=locked)  # the follow-up queue: dormant accounts moved to developing reps
    plan.applied_at, plan.applied_by = locked.applied_at, locked.applied_by
    return moved


def handover_done(*, actor: AnyUser | None, handover: Handover) -> Handover:
    """The new owner marks a hand-over done (they have read the reason and taken the account on)."""
    check(actor, "handover_done", owner_id=handover.rep_id)
    with transaction.atomic():
        Handover.objects.filter(pk=handover.pk, done_at__isnull=True).update(done_at=timezone.now())
    handover.refresh_from_db()
    return handover
