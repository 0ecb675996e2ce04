"""Writes of the follow-up queue: the snapshot's bulk run, and a rep's complete / cancel, a manager's reassign.

:func:`followups_create` runs inside ``snapshot_create``'s transaction (the ``snapshot_written``
signal), so the queue and the snapshot commit or roll back together. It reads what it needs in
a fixed number of queries whatever the portfolio's size (the previous snapshot's dormant and
at-risk rows, the open follow-ups, the reps, the releases) and writes in bulk
(:mod:`kokyaku.lib.bulk`); the rule itself is the domain core's (:mod:`kokyaku.domain.followups`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.assignment.data import releases_open
from kokyaku.assignment.models import Plan
from kokyaku.crm.models import Rep
from kokyaku.crm.permissions import AnyUser, check
from kokyaku.crm.services import churn_record
from kokyaku.domain.followups import DEFAULT_DUE_DAYS, NEEDS_FOLLOW_UP, follow_ups_due, reactivations
from kokyaku.followups.models import FollowUp, QueueState, Reactivation
from kokyaku.lib import bulk
from kokyaku.lib.bulk import read_frame
from kokyaku.portfolio.models import Snapshot, SnapshotRow

TASK_COLUMNS = ("account", "assignee", "reason", "rule", "due_on", "status", "outcome", "note", "snapshot", "created_at")
IN_CHUNK = 10_000  # ids per IN (...) list: within SQLite's bound on parameters
REACTIVATION_COLUMNS = ("account", "snapshot", "previous", "reactivated_on", "revenue")
CLOSING_OUTCOMES = frozenset(FollowUp.Outcome.values) - {"", FollowUp.Outcome.REACTIVATED}


@dataclass(frozen=True)
class FollowUpRun:
    """What one snapshot did to the queue."""

    created: int = 0
    covered: int = 0  # new dormant / at-risk accounts a strong rep keeps: no task
    already_open: int = 0
    unassigned: int = 0
    reactivated: int = 0  # accounts dormant or at risk at the previous snapshot that bought since
    closed_by_reactivation: int = 0
    cancelled_churned: int = 0
    skipped: str = ""  # why nothing ran ("" when it ran)


def _latest_other(snapshot: Snapshot) -> Snapshot | None:
    """The latest snapshot but this one: a later one means this one was rebuilt for a past date; else the previous."""
    return Snapshot.objects.exclude(pk=snapshot.pk).order_by("-as_of", "-created_at", "-id").first()


def _ids_blob(ids: np.ndarray) -> bytes:
    return np.sort(ids).astype("<i8").tobytes()


def _save_state(snapshot: Snapshot, ids: pd.Index, current: np.ndarray) -> None:
    """Keep this snapshot's dormant and at-risk accounts for the next run (and only this one's)."""
    bulk.execute(f"DELETE FROM {QueueState._meta.db_table}")  # noqa: S608 - fixed SQL; a new snapshot has none yet
    every = ids.to_numpy()
    QueueState.objects.create(
        snapshot=snapshot, dormant=_ids_blob(every[current == "dormant"]), at_risk=_ids_blob(every[current == "at_risk"])
    )


def _previous_lifecycle(previous: Snapshot | None, ids: pd.Index) -> np.ndarray:
    """The previous snapshot's lifecycle per account where it was dormant or at risk, "" elsewhere (one query).

    From its :class:`QueueState` when kept, else from its rows.
    """
    out = np.full(len(ids), "", dtype=object)
    if previous is None:
        return out
    state = QueueState.objects.filter(snapshot=previous).first()
    if state is not None:
        for name, blob in (("dormant", state.dormant), ("at_risk", state.at_risk)):
            at = ids.get_indexer(pd.Index(np.frombuffer(bytes(blob), dtype="<i8")))
            out[at[at >= 0]] = name
        return out
    table = SnapshotRow._meta.db_table
    frame = read_frame(
        f"SELECT account_id, lifecycle FROM {table} WHERE snapshot_id = %s AND lifecycle IN (%s, %s)",  # noqa: S608 - fixed SQL
        [previous.pk, *NEEDS_FOLLOW_UP],
        ["account_id", "lifecycle"],
    )
    at = ids.get_indexer(pd.Index(pd.to_numeric(frame["account_id"]).to_numpy(dtype=np.int64)))
    known = at >= 0
    out[at[known]] = frame["lifecycle"].astype(object).to_numpy()[known]
    return out


def _reps() -> pd.DataFrame:
    rows = list(Rep.objects.values_list("id", "tier", "team_id", "active"))
    return pd.DataFrame(rows, columns=["rep_id", "tier", "team_id", "active"])


def _chunks(ids: np.ndarray) -> list[list[int]]:
    return [ids[i : i + IN_CHUNK].tolist() for i in range(0, len(ids), IN_CHUNK)]


def _released(new: np.ndarray) -> pd.DataFrame | None:
    """The open releases (:class:`kokyaku.assignment.models.AccountRelease`: account, the strong rep who released it).

    One query, only when some account became dormant or at risk (none the usual quiet week); a
    released account stays its strong rep's until a plan moves it, and the follow-up goes to the
    developing reps of that rep's team.
    """
    return releases_open() if bool(new.any()) else None


def _record_reactivations(
    snapshot: Snapshot, previous: Snapshot, ids: pd.Index, before: np.ndarray, deals: pd.DataFrame
) -> tuple[int, int]:
    """Write the accounts dormant or at risk at ``previous`` that bought since; close their open follow-ups."""
    if previous.as_of >= snapshot.as_of:
        return 0, 0
    watched = before != ""
    found = reactivations(
        ids.to_numpy()[watched], before[watched], deals, since=previous.as_of, as_of=snapshot.as_of, states=NEEDS_FOLLOW_UP
    )
    if found.empty:
        return 0, 0
    found = found.assign(snapshot_id=snapshot.pk)
    bulk.write(
        Reactivation._meta.db_table,
        bulk.model_columns(Reactivation, REACTIVATION_COLUMNS),
        found,
    )
    mine = Reactivation.objects.filter(snapshot=snapshot)
    closed = FollowUp.objects.filter(status=FollowUp.Status.OPEN, account_id__in=mine.values("account_id")).update(
        status=FollowUp.Status.DONE,
        outcome=FollowUp.Outcome.REACTIVATED,
        closed_at=timezone.now(),
        reactivated_on=Subquery(mine.filter(account_id=OuterRef("account_id")).values("reactivated_on")[:1]),
    )
    return len(found), closed


def followups_create(*, snapshot: Snapshot, accounts: pd.DataFrame, lifecycle: Any, deals: pd.DataFrame) -> FollowUpRun:
    """Update the queue after ``snapshot``: reactivations, churned accounts, then the new follow-ups, in bulk.

    ``accounts`` (``account_id, owner_id``), ``lifecycle`` (aligned) and ``deals`` (the domain's
    columns) are what the snapshot computed from. Only the latest snapshot moves the queue: one
    rebuilt for a past date changes nothing. In order:

    1. accounts dormant or at risk at the previous snapshot that bought since are recorded as
       reactivations, and their open follow-ups close (done, outcome "bought again");
    2. open follow-ups of accounts now churned (a recorded departure) are cancelled;
    3. each account that became dormant or at risk gets a follow-up unless one is open or a
       strong rep owns it (:func:`kokyaku.domain.followups.follow_ups_due`); with no previous
       snapshot, every dormant and at-risk account is new.
    """
    previous = _latest_other(snapshot)
    if previous is not None and previous.as_of > snapshot.as_of:
        return FollowUpRun(skipped="not the latest snapshot")
    ids = pd.Index(pd.to_numeric(accounts["account_id"]).to_numpy(dtype=np.int64))
    current = np.asarray(lifecycle, dtype=object)
    before = _previous_lifecycle(previous, ids)
    reactivated, closed = (0, 0) if previous is None else _record_reactivations(snapshot, previous, ids, before, deals)
    now = timezone.now()
    cancelled = 0
    for chunk in _chunks(ids.to_numpy()[current == "churned"]):  # read from memory: no scan of the snapshot's rows
        cancelled += FollowUp.objects.filter(status=FollowUp.Status.OPEN, account_id__in=chunk).update(
            status=FollowUp.Status.CANCELLED, outcome=FollowUp.Outcome.LEAVING, closed_at=now
        )
    owners = pd.to_numeric(accounts["owner_id"]).to_numpy(dtype=float)
    new = np.isin(current, NEEDS_FOLLOW_UP) & (before != current)
    open_rows = read_frame(
        f"SELECT account_id, assignee_id FROM {FollowUp._meta.db_table} WHERE status = %s",  # noqa: S608 - fixed SQL
        [FollowUp.Status.OPEN],
        ["account_id", "assignee_id"],
    )
    load = pd.to_numeric(open_rows["assignee_id"]).dropna().astype(np.int64).value_counts()
    plan = follow_ups_due(
        ids.to_numpy(),
        previous=before,
        current=current,
        owner_ids=owners,
        reps=_reps(),
        as_of=snapshot.as_of,
        released=_released(new),
        open_follow_ups=pd.to_numeric(open_rows["account_id"]).to_numpy(dtype=np.int64),
        open_load=load,
    )
    tasks = plan.tasks
    frame = pd.DataFrame(
        {
            "account_id": tasks["account_id"].to_numpy(),
            "assignee_id": tasks["assignee_id"].array,
            "reason": tasks["lifecycle"].to_numpy(),
            "rule": tasks["rule"].to_numpy(),
            "due_on": tasks["due_on"].to_numpy(),
            "status": FollowUp.Status.OPEN,
            "outcome": "",
            "note": "",
            "snapshot_id": snapshot.pk,
            "created_at": pd.Timestamp(now).tz_convert(None),
        }
    )
    if len(frame):
        bulk.write(FollowUp._meta.db_table, bulk.model_columns(FollowUp, TASK_COLUMNS), frame)
    _save_state(snapshot, ids, current)
    return FollowUpRun(
        created=len(frame),
        covered=len(plan.covered),
        already_open=len(plan.already_open),
        unassigned=int((tasks["rule"] == "unassigned").sum()),
        reactivated=reactivated,
        closed_by_reactivation=closed,
        cancelled_churned=cancelled,
    )


def on_snapshot_written(
    sender: object, *, snapshot: Snapshot, accounts: pd.DataFrame, lifecycle: Any, deals: pd.DataFrame, **kwargs: Any
) -> None:
    """The ``snapshot_written`` receiver: the queue moves in the snapshot's own transaction."""
    followups_create(snapshot=snapshot, accounts=accounts, lifecycle=lifecycle, deals=deals)


HAND_OVER_SQL = (
    "SELECT m.account_id, m.to_rep_id, f.id FROM assignment_planmove m "
    "JOIN crm_rep r ON r.id = m.to_rep_id AND r.tier = %s "
    "JOIN portfolio_snapshotrow s ON s.account_id = m.account_id AND s.snapshot_id = %s AND s.lifecycle = %s "
    "LEFT JOIN followups_followup f ON f.account_id = m.account_id AND f.status = %s "
    "WHERE m.plan_id = %s AND NOT m.excluded ORDER BY m.account_id"
)


@dataclass(frozen=True)
class HandOverRun:
    """What an applied assignment plan did to the queue."""

    reassigned: int = 0  # open follow-ups that went to the account's new (developing) owner
    created: int = 0  # dormant accounts moved to a developing rep that had none open


def followups_hand_over(*, plan: Plan) -> HandOverRun:
    """Give each dormant account an applied ``plan`` moved to a developing rep its follow-up, in bulk.

    Dormant means dormant in the snapshot the plan was made on (applying refuses a plan older than
    the latest snapshot). An open follow-up of such an account goes to its new owner (rule "plan");
    one without gets a new follow-up, due in 14 days from today. One read (the plan's moves not
    excluded, with the snapshot's lifecycle and the open follow-up), then one UPDATE per new owner
    (at most the number of reps, in chunks of 10,000 ids) and one bulk write; runs in the plan's
    transaction (the ``plan_applied`` signal).
    """
    if plan.snapshot_id_used is None or plan.applied_at is None:
        return HandOverRun()
    found = read_frame(
        HAND_OVER_SQL,
        [Rep.Tier.DEVELOPING, plan.snapshot_id_used, "dormant", FollowUp.Status.OPEN, plan.pk],
        ["account_id", "assignee_id", "followup_id"],
    )
    if found.empty:
        return HandOverRun()
    found["account_id"] = pd.to_numeric(found["account_id"]).astype(np.int64)
    found["assignee_id"] = pd.to_numeric(found["assignee_id"]).astype(np.int64)
    followup = pd.to_numeric(found["followup_id"], errors="coerce")
    has_open = followup.notna().to_numpy()
    reassigned = 0
    for rep_id, ids in followup[has_open].astype(np.int64).groupby(found.loc[has_open, "assignee_id"]):
        for chunk in _chunks(ids.to_numpy()):
            reassigned += FollowUp.objects.filter(pk__in=chunk).update(assignee_id=int(rep_id), rule=FollowUp.Rule.PLAN)
    fresh = found.loc[~has_open, ["account_id", "assignee_id"]]
    if len(fresh):
        today = pd.Timestamp(timezone.localdate())
        frame = fresh.assign(
            reason=FollowUp.Reason.DORMANT,
            rule=FollowUp.Rule.PLAN,
            due_on=today + pd.Timedelta(days=DEFAULT_DUE_DAYS["dormant"]),
            status=FollowUp.Status.OPEN,
            outcome="",
            note="",
            snapshot_id=plan.snapshot_id_used,
            created_at=pd.Timestamp(timezone.now()).tz_convert(None),
        )
        bulk.write(FollowUp._meta.db_table, bulk.model_columns(FollowUp, TASK_COLUMNS), frame)
    return HandOverRun(reassigned=reassigned, created=len(fresh))


def on_plan_applied(sender: object, *, plan: Plan, **kwargs: Any) -> None:
    """The ``plan_applied`` receiver: the queue follows the accounts a plan moved, in the plan's transaction."""
    followups_hand_over(plan=plan)


def _open(followup: FollowUp) -> None:
    if followup.status != FollowUp.Status.OPEN:
        raise ValidationError(
            _("follow-up %(id)s is already %(status)s.") % {"id": followup.pk, "status": followup.get_status_display()}
        )


def _close(followup: FollowUp, *, actor: AnyUser | None, status: str, outcome: str, note: str) -> FollowUp:
    followup.status = status
    followup.outcome = outcome
    followup.note = (note or "").strip()
    followup.closed_at = timezone.now()
    followup.closed_by = actor if isinstance(actor, User) else None
    followup.save(update_fields=["status", "outcome", "note", "closed_at", "closed_by"])
    return followup


@transaction.atomic
def followup_complete(*, actor: AnyUser | None, followup: FollowUp, outcome: str, note: str = "") -> FollowUp:
    """Mark a follow-up done with its outcome (and a note); the assignee or a manager.

    The outcome "the customer is leaving" also records the departure (dated today, the note as the
    reason), so the next snapshot calls the account churned.
    """
    check(actor, "followup_complete", owner_id=followup.assignee_id)
    _open(followup)
    if outcome not in CLOSING_OUTCOMES:
        raise ValidationError(
            _("outcome: %(value)r is not one of %(choices)s.")
            % {"value": outcome, "choices": ", ".join(sorted(CLOSING_OUTCOMES))}
        )
    if outcome == FollowUp.Outcome.LEAVING:
        if not (note or "").strip():
            raise ValidationError(_("note: say why the customer is leaving."))
        churn_record(actor=None, account=followup.account, churned_on=timezone.localdate(), reason=note)
    return _close(followup, actor=actor, status=FollowUp.Status.DONE, outcome=outcome, note=note)


@transaction.atomic
def followup_cancel(*, actor: AnyUser | None, followup: FollowUp, note: str = "") -> FollowUp:
    """Cancel a follow-up that is no longer needed (say why in the note); the assignee or a manager."""
    check(actor, "followup_cancel", owner_id=followup.assignee_id)
    _open(followup)
    return _close(followup, actor=actor, status=FollowUp.Status.CANCELLED, outcome="", note=note)


@transaction.atomic
def followup_reassign(*, actor: AnyUser | None, followup: FollowUp, assignee_id: int, due_on: date | None = None) -> FollowUp:
    """Give an open follow-up to another active rep (and optionally a new due date); managers only."""
    check(actor, "followup_reassign")
    _open(followup)
    rep = Rep.objects.filter(pk=assignee_id).first()
    if rep is None:
        raise ValidationError(_("assignee: rep %(id)s does not exist.") % {"id": assignee_id})
    if not rep.active:
        raise ValidationError(_("assignee: rep %(id)s (%(name)s) is not active.") % {"id": assignee_id, "name": rep.name})
    followup.assignee = rep
    followup.due_on = due_on or followup.due_on
    followup.save(update_fields=["assignee", "due_on"])
    return followup
