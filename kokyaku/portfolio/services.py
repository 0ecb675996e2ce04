"""Writes of the portfolio app: criteria versions and snapshots.

``snapshot_create`` is the heavy job: it loads accounts and deals in two bulk queries, scores the
whole portfolio with the domain core and writes every row in bulk (``kokyaku.lib.bulk``: COPY
on PostgreSQL, ``executemany`` on SQLite), all inside ONE transaction, so a crash leaves the
previous snapshot exactly as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.crm.models import AccountChurn
from kokyaku.crm.permissions import AnyUser, check
from kokyaku.crm.selectors import company_settings, conversion_rates
from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio import UP_FROM, CriteriaSpec, Thresholds, compute_portfolio
from kokyaku.lib import bulk
from kokyaku.lib.bulk import read_frame
from kokyaku.lib.currency import rate_text
from kokyaku.lib.dates import check_day
from kokyaku.lib.refusals import domain_text
from kokyaku.portfolio.models import Criteria, Snapshot, SnapshotCutoff, SnapshotMigration, SnapshotRow
from kokyaku.portfolio.precompute import store_summaries
from kokyaku.portfolio.selectors.criteria import criteria_cutoffs, criteria_cutoffs_known
from kokyaku.portfolio.selectors.snapshots import snapshots_before
from kokyaku.portfolio.signals import snapshot_written

COPY_CHUNK = 50_000
AT_RISK_FACTOR = 2.0  # at risk: quiet for over twice its own usual gap (and half the dormancy period)
Progress = Callable[[str, int], None]
"""Called with a stage name ("loaded", "computed", "written") and a row count."""


@dataclass(frozen=True)
class ProvidedProbabilities:
    """What a probability provider gives the snapshot: per account id, and a JSON-ready note of why."""

    model_probability: pd.Series | None  # open deals' model probability (the "model" source)
    repeat_probability: pd.Series | None  # P(buys next period) for accounts with history
    note: dict[str, Any]


ProbabilityProvider = Callable[[date], ProvidedProbabilities | None]
_PROVIDERS: list[ProbabilityProvider] = []


def register_probability_provider(provider: ProbabilityProvider) -> None:
    """Let an app above this one feed the snapshot's ``model`` source (the prediction app does, in ready()).

    ``provider(as_of)`` returns the probabilities of the models trained as of that date, or None
    when there is none. Registered once per provider; the last registered one is asked.
    """
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def _provided(as_of: date) -> ProvidedProbabilities | None:
    return _PROVIDERS[-1](as_of) if _PROVIDERS else None


ROW_COLUMNS: tuple[str, ...] = (
    "snapshot_id",
    "account_id",
    "owner_id",
    "unit_price",
    "win_probability",
    "probability_source",
    "expected_value",
    "price_band",
    "probability_band",
    "zone",
    "near_boundary",
    "buyer_type",
    "lifecycle",
    "zone_before",
)

CRITERIA_FIELDS = (
    "price_mode",
    "price_low",
    "price_high",
    "probability_mode",
    "probability_low",
    "probability_high",
    "grid",
    "near_margin",
    "lookback_months",
    "stage_probabilities",
    "note",
)


def criteria_create(*, actor: AnyUser | None, **params: Any) -> Criteria:
    """Save a new criteria version after validating it; it becomes the current criteria.

    ``params`` are :class:`Criteria` fields; those left out are copied from the current version
    (or the defaults). Only managers may do this (``actor=None`` is the system, e.g. cron); the
    version records who made it. Raises ValidationError with a message naming the bad input.
    """
    check(actor, "criteria_create")
    unknown = set(params) - set(CRITERIA_FIELDS)
    if unknown:
        raise ValidationError(_("unknown criteria field(s): %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    current = Criteria.objects.order_by("-created_at", "-id").first()
    base = current.as_params() if current else {}
    criteria = Criteria(**{**base, **params}, created_by=actor if isinstance(actor, User) else None)
    try:
        criteria.to_spec()
    except (DomainError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(_("invalid criteria: %(error)s") % {"error": domain_text(exc)}) from None
    criteria.full_clean(exclude=["created_by"])
    criteria.save()
    return criteria


def criteria_cutoffs_kept(spec: CriteriaSpec, *, snapshot: Snapshot) -> Thresholds:
    """The cut-offs ``spec`` gives on ``snapshot``, exact; a quantile axis the snapshot did not store is computed once and kept.

    The criteria page shows the current version's cut-offs on the latest snapshot on every GET.
    When that version was saved after the snapshot with other percentiles, the snapshot has not
    stored them (``Snapshot.thresholds``) and computing them reads every row (``percentile_cont``:
    0.7-0.9 s per axis at a million accounts). The first request computes them and writes them to
    ``SnapshotCutoff`` (keyed by snapshot and rule); every request after reads them back (one
    query). No actor: a derived value of rows anyone who sees the page may read, written at most
    once per rule (a concurrent first request's row is kept; both computed the same numbers).
    """
    known = criteria_cutoffs_known(spec, snapshot=snapshot)
    missing = [axis for axis, cut in known.items() if cut is None]
    cut = criteria_cutoffs(spec, snapshot=snapshot, known=known)
    if missing:
        values = cut.as_dict()  # NaN (no value to cut) as None
        rules = {"price": spec.price, "probability": spec.probability}
        kept = [
            SnapshotCutoff(
                snapshot=snapshot, axis=axis, low=float(rules[axis].low), high=float(rules[axis].high),
                low_value=values[f"{axis}_low"], high_value=values[f"{axis}_high"],
            )
            for axis in missing
        ]  # fmt: skip
        SnapshotCutoff.objects.bulk_create(kept, ignore_conflicts=True)
    return cut


def sql_days(column: str) -> str:
    """SQL for a date column as whole days since 1970-01-01 (NULL stays NULL)."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def load_portfolio_inputs(as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (accounts, deals) frames with only deals opened up to ``as_of``: two queries.

    accounts: ``account_id, owner_id, buyer_type``; deals: the domain's deal columns and ``currency``.
    """
    accounts = read_frame(
        "SELECT id, owner_id, buyer_type FROM crm_account ORDER BY id", [], ["account_id", "owner_id", "buyer_type"]
    )
    deal_sql = (
        f"SELECT account_id, status, amount, probability, stage, {sql_days('opened_on')}, {sql_days('closed_on')}, currency "  # noqa: S608 - fixed SQL, the date is a bound parameter
        "FROM crm_deal WHERE opened_on <= %s"
    )
    deals = read_frame(
        deal_sql, [as_of], ["account_id", "status", "amount", "probability", "stage", "opened_on", "closed_on", "currency"]
    )
    deals["amount"] = pd.to_numeric(deals["amount"], errors="coerce").astype(float)
    deals["probability"] = pd.to_numeric(deals["probability"], errors="coerce").astype(float)
    stage = deals["stage"].astype(object)
    deals["stage"] = stage.where(stage.notna(), "")
    deals["status"] = deals["status"].astype(object)
    epoch = np.datetime64("1970-01-01", "D")
    for col in ("opened_on", "closed_on"):
        days = pd.to_numeric(deals[col], errors="coerce").to_numpy(dtype=float)
        stamps = np.where(np.isnan(days), np.datetime64("NaT"), epoch + np.nan_to_num(days).astype("timedelta64[D]"))
        deals[col] = pd.to_datetime(stamps.astype("datetime64[ns]"))
    return accounts, deals


def convert_amounts(deals: pd.DataFrame, *, company: str, rates: Mapping[str, Decimal]) -> dict[str, Any] | None:
    """Put ``deals["amount"]`` in the company currency, in place, where ``rates`` has the deal's currency.

    Returns the snapshot's ``notes["currencies"]`` or None when every deal is in ``company``:
    ``{"company": "JPY", "converted": {"USD": {"rate": "151.3", "deals": 3}}, "other": {"GBP": 2}}``,
    ``other`` being the deals without a rate, counted as stored (the pages say so). Vectorised: the
    one comparison over every deal the note always took, then on the foreign deals only one hash
    pass (``pd.factorize``) and integer arrays.
    """
    foreign = (deals["currency"] != company).to_numpy()
    if not foreign.any():
        return None
    codes, uniques = pd.factorize(deals["currency"].to_numpy()[foreign])  # a missing code is -1: never converted
    names = [str(u) for u in uniques]
    counts = np.bincount(codes[codes >= 0], minlength=len(names))
    factor = np.ones(len(names) + 1)  # the extra 1.0 at the end is what code -1 picks
    converted: dict[str, Any] = {}
    other: dict[str, int] = {}
    for i, name in sorted(enumerate(names), key=lambda kv: (-counts[kv[0]], kv[1])):
        if name in rates:
            factor[i] = float(rates[name])
            converted[name] = {"rate": rate_text(rates[name]), "deals": int(counts[i])}
        else:
            other[name] = int(counts[i])
    if converted:
        amounts = deals["amount"].to_numpy(dtype=float, copy=True)
        amounts[foreign] *= factor[codes]
        deals["amount"] = amounts
    return {"company": company, **({"converted": converted} if converted else {}), **({"other": other} if other else {})}


def load_churned(as_of: date) -> pd.DataFrame:
    """Return the recorded departures (``account_id, churned_on``) dated up to ``as_of``, withdrawn ones left out."""
    rows = AccountChurn.objects.filter(withdrawn_at__isnull=True, churned_on__lte=as_of).values_list("account_id", "churned_on")
    frame = pd.DataFrame(list(rows), columns=["account_id", "churned_on"])
    frame["churned_on"] = pd.to_datetime(frame["churned_on"])
    return frame


def _zones_before(previous: Mapping[str, Any] | None, account_ids: pd.Series) -> np.ndarray:
    """Each account's zone in the ``previous`` snapshot (id and row bounds), None where it was not in it: one read.

    The previous snapshot's rows are read as a range of the primary key (its stored bounds), so the
    read does not grow with the snapshots kept. "" (unzoned) travels as "-": the CSV read of
    PostgreSQL would turn an empty text into NULL.
    """
    if previous is None:
        return np.full(len(account_ids), None, dtype=object)
    table = SnapshotRow._meta.db_table
    lo, hi = previous["row_id_min"] or 0, previous["row_id_max"] or 2**62
    frame = read_frame(
        f"SELECT account_id, CASE WHEN zone = '' THEN '-' ELSE zone END FROM {table}"  # noqa: S608 (the table name)
        " WHERE snapshot_id = %s AND id BETWEEN %s AND %s",
        [previous["id"], lo, hi],
        ["account_id", "zone"],
    )
    zones = pd.Series(frame["zone"].replace("-", "").to_numpy(dtype=object), index=frame["account_id"].astype(np.int64))
    before: np.ndarray = zones.reindex(account_ids.to_numpy(dtype=np.int64)).to_numpy(dtype=object)
    before[pd.isna(before)] = None  # NaN -> NULL
    return before


def _rows_frame(snapshot_id: int, accounts: pd.DataFrame, scored: pd.DataFrame, zone_before: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "snapshot_id": snapshot_id,
            "account_id": accounts["account_id"].to_numpy(dtype=np.int64),
            "owner_id": pd.to_numeric(accounts["owner_id"], errors="coerce").astype("Int64").array,
            "unit_price": scored["unit_price"].round(2).to_numpy(),
            "win_probability": scored["win_probability"].to_numpy(),
            "probability_source": scored["probability_source"].to_numpy(),
            "expected_value": scored["expected_value"].round(2).to_numpy(),
            "price_band": scored["price_band"].to_numpy(),
            "probability_band": scored["probability_band"].to_numpy(),
            "zone": scored["zone"].to_numpy(),
            "near_boundary": scored["near_boundary"].to_numpy(),
            "buyer_type": accounts["buyer_type"].fillna("unknown").to_numpy(),
            "lifecycle": scored["lifecycle"].to_numpy(),
            "zone_before": zone_before,
        },
        columns=list(ROW_COLUMNS),
    )
    return out


# The largest snapshot row id so far (0 for none), as an expression inside an INSERT or UPDATE.
_LAST_ROW_ID = Coalesce(Subquery(SnapshotRow.objects.order_by("-id").values("id")[:1]), 0)


def _write_rows(rows: pd.DataFrame) -> None:
    """Insert every row in bulk (COPY on PostgreSQL, executemany on SQLite), then refresh the table's statistics."""
    table = SnapshotRow._meta.db_table
    bulk.write(table, bulk.model_columns(SnapshotRow, ROW_COLUMNS), rows, chunk_rows=COPY_CHUNK)
    bulk.analyze(table)


def _migration_insert(snapshot_id: int, previous: QuerySet[Snapshot]) -> tuple[str, list[Any]]:
    """Store the zone migration per owner from the (first) snapshot of ``previous`` to ``snapshot_id``: ONE INSERT ... SELECT.

    The same figures the review and home pages count live by joining both snapshots' rows (an
    account not in the previous snapshot counts from None); nothing when ``previous`` is empty.
    Each snapshot's rows are read by their stored id range (a range of the primary key; the new
    snapshot's rows are the last ones), not by a scan of every snapshot's rows.
    """
    counts, rows, snapshots = SnapshotMigration._meta.db_table, SnapshotRow._meta.db_table, Snapshot._meta.db_table
    previous_sql, previous_params = previous.values("id", "row_id_min", "row_id_max")[:1].query.sql_with_params()
    # The previous snapshot's id and bounds as scalar subqueries (each evaluated once), so that its
    # rows are read as a range of the primary key.
    prev_id, prev_lo, prev_hi = (f"(SELECT {c} FROM ({previous_sql}) p)" for c in ("id", "row_id_min", "row_id_max"))  # noqa: S608 (column names and Django's SQL)
    return (
        f"INSERT INTO {counts} (snapshot_id, previous_id, owner_id, from_zone, to_zone, accounts)"  # noqa: S608 (table names and Django's SQL)
        f" SELECT %s, {prev_id}, a.owner_id, b.zone, a.zone, COUNT(*) FROM {rows} a"
        f" LEFT JOIN {rows} b ON b.snapshot_id = {prev_id} AND b.account_id = a.account_id"
        f" AND b.id BETWEEN COALESCE({prev_lo}, 0) AND COALESCE({prev_hi}, {2**62})"
        f" WHERE a.snapshot_id = %s AND a.id >= COALESCE((SELECT row_id_min FROM {snapshots} WHERE id = %s), 0)"
        f" AND {prev_id} IS NOT NULL GROUP BY a.owner_id, b.zone, a.zone",
        [snapshot_id, *previous_params * 4, snapshot_id, snapshot_id, *previous_params],
    )


def _migration_from_rows(snapshot_id: int, previous_id: int | None) -> tuple[str, list[Any]]:
    """Store the zone migration per owner of a new snapshot from its rows' ``zone_before``: ONE INSERT ... SELECT.

    The rows carry their zone in ``previous_id`` (written with them), so this is one GROUP BY over
    the new snapshot's rows (the last block of the primary key), no join. Nothing without a previous.
    """
    counts, rows, snapshots = SnapshotMigration._meta.db_table, SnapshotRow._meta.db_table, Snapshot._meta.db_table
    return (
        f"INSERT INTO {counts} (snapshot_id, previous_id, owner_id, from_zone, to_zone, accounts)"  # noqa: S608 (table names)
        f" SELECT %s, %s, owner_id, zone_before, zone, COUNT(*) FROM {rows}"
        f" WHERE snapshot_id = %s AND id >= COALESCE((SELECT row_id_min FROM {snapshots} WHERE id = %s), 0)"
        " AND %s IS NOT NULL GROUP BY owner_id, zone_before, zone",
        [snapshot_id, previous_id, snapshot_id, snapshot_id, previous_id],
    )


def _insert_migration(snapshot_id: int, previous: QuerySet[Snapshot]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(*_migration_insert(snapshot_id, previous))


# Any move, and a move up (the domain's UP_FROM, as selectors.review's _UP), over SnapshotMigration's columns.
_MOVED_SQL = "from_zone IS NOT NULL AND from_zone <> to_zone"
_UP_SQL = " OR ".join(
    "(to_zone = '{}' AND from_zone IN ({}))".format(zone, ", ".join(f"'{z}'" for z in below)) for zone, below in UP_FROM.items()
)


def _move_totals_sql(source: str) -> tuple[str, str]:
    """SQL for the moves up and down summed over ``source`` (SnapshotMigration rows): two scalar subqueries."""
    up = f"(SELECT COALESCE(SUM(accounts) FILTER (WHERE {_MOVED_SQL} AND ({_UP_SQL})), 0) FROM {source})"  # noqa: S608 (fixed SQL)
    down = f"(SELECT COALESCE(SUM(accounts) FILTER (WHERE {_MOVED_SQL} AND NOT ({_UP_SQL})), 0) FROM {source})"  # noqa: S608 (fixed SQL)
    return up, down


def _finish(snapshot: Snapshot, seconds: float, previous_id: int | None) -> None:
    """Count the zone migration against ``previous_id`` and store the time, the rows' last id and that snapshot.

    On PostgreSQL one statement (the INSERT as a data-modifying CTE of the snapshot's UPDATE), so the
    snapshot runs no more queries than before the counts were stored; elsewhere two.
    """
    insert_sql, insert_params = _migration_from_rows(snapshot.pk, previous_id)
    counts = SnapshotMigration._meta.db_table
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(insert_sql, insert_params)
        snapshot.seconds = seconds
        snapshot.row_id_max = _LAST_ROW_ID
        snapshot.migration_previous_id = previous_id
        fields = ["seconds", "row_id_max", "migration_previous"]
        if previous_id is not None:  # the totals in the same UPDATE
            up, down = _move_totals_sql(f"{counts} WHERE snapshot_id = %s AND previous_id = %s")
            snapshot.moves_up = RawSQL(up, [snapshot.pk, previous_id])  # noqa: S611 (fixed SQL)
            snapshot.moves_down = RawSQL(down, [snapshot.pk, previous_id])  # noqa: S611 (fixed SQL)
            fields += ["moves_up", "moves_down"]
        snapshot.save(update_fields=fields)
        return
    table, rows = Snapshot._meta.db_table, SnapshotRow._meta.db_table
    up, down = _move_totals_sql("counted") if previous_id is not None else ("NULL", "NULL")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH counted AS ({insert_sql} RETURNING from_zone, to_zone, accounts) UPDATE {table} SET seconds = %s,"  # noqa: S608 (table names)
            f" row_id_max = COALESCE((SELECT MAX(id) FROM {rows}), 0), migration_previous_id = %s,"
            f" moves_up = {up}, moves_down = {down} WHERE id = %s",
            [*insert_params, seconds, previous_id, snapshot.pk],
        )


def count_migration(snapshot_id: int, previous_id: int) -> None:
    """Store the zone migration from ``previous_id`` to ``snapshot_id`` (the migration that fills in older snapshots)."""
    _insert_migration(snapshot_id, Snapshot.objects.filter(pk=previous_id))
    Snapshot.objects.filter(pk=snapshot_id).update(migration_previous_id=previous_id)


def snapshot_create(
    *,
    actor: AnyUser | None,
    as_of: date | None = None,
    criteria: Criteria | None = None,
    progress: Progress | None = None,
    model_probability: Mapping[int, float] | pd.Series | None = None,
    repeat_probability: Mapping[int, float] | pd.Series | None = None,
    use_models: bool = True,
) -> Snapshot:
    """Compute the portfolio as of a date and store it as a new snapshot, atomically.

    Managers only; ``actor`` None is the system (``kokyaku snapshot``, cron, the demo). Only deals
    opened up to ``as_of`` (default: today) count, with the status they had then. ``criteria``
    defaults to the current version (created with defaults on first use). ``model_probability``
    maps account id -> predicted probability of its open deals (the "model" source);
    ``repeat_probability`` account id -> P(buys in the next period) for accounts with history and
    nothing open (also "model"). When neither is given and ``use_models`` is true, the registered
    provider (the prediction app: the models trained as of ``as_of``, where they serve) gives them.
    The snapshot's ``notes`` keep how each axis was cut and which model served and why. Any error
    rolls everything back: the previous snapshot stays current.
    """
    as_of = check_day(as_of or timezone.localdate(), "as_of")
    started = time.perf_counter()
    notify: Progress = progress or (lambda stage, count: None)
    check(actor, "snapshot_create")
    with transaction.atomic():
        if criteria is None:
            criteria = Criteria.objects.order_by("-created_at", "-id").first() or criteria_create(actor=None)
        spec = criteria.to_spec()
        settings = company_settings()
        dormancy_days = int(settings.dormancy_days)
        accounts, deals = load_portfolio_inputs(as_of)
        notify("loaded", len(deals))
        notes: dict[str, Any] = {}
        rates = conversion_rates()
        currencies = convert_amounts(deals, company=settings.currency, rates=rates)
        if currencies is not None:
            notes["currencies"] = currencies
        if model_probability is None and repeat_probability is None and use_models:
            provided = _provided(as_of)
            if provided is not None:
                model_probability, repeat_probability, notes["models"] = (
                    provided.model_probability,
                    provided.repeat_probability,
                    provided.note,
                )
        ids = accounts["account_id"]
        model = (
            None if model_probability is None else pd.Series(model_probability, dtype=float).reindex(ids).to_numpy(dtype=float)
        )
        repeat = (
            None if repeat_probability is None else pd.Series(repeat_probability, dtype=float).reindex(ids).to_numpy(dtype=float)
        )
        result = compute_portfolio(
            accounts["account_id"].to_numpy(),
            deals,
            as_of=as_of,
            criteria=spec,
            dormancy_days=dormancy_days,
            model_probability=model,
            repeat_probability=repeat,
            at_risk_factor=AT_RISK_FACTOR,
            churned=load_churned(as_of),
        )
        notes["bands"] = result.band_notes_dict()
        notify("computed", len(result.frame))
        # Ids only grow, so this snapshot's rows lie after the last row id when the snapshot is
        # inserted and up to the last one once they are written: both read in the same statements
        # (from the end of the primary key, no scan). This object does not learn them (it reads its
        # rows' bounds once if scanned); every snapshot read from the database has them.
        snapshot = Snapshot.objects.create(
            as_of=as_of,
            criteria=criteria,
            thresholds=result.thresholds.as_dict(),
            notes=notes,
            account_count=len(result.frame),
            row_id_min=_LAST_ROW_ID + 1,
        )
        # The snapshot just before this one: each row keeps the account's zone there, and the
        # migration is counted against it (home and review read both without joining two snapshots).
        previous = snapshots_before(snapshot).values("id", "row_id_min", "row_id_max").first()
        _write_rows(_rows_frame(snapshot.pk, accounts, result.frame, _zones_before(previous, accounts["account_id"])))
        notify("written", len(result.frame))
        snapshot_written.send(
            sender=Snapshot, snapshot=snapshot, accounts=accounts, lifecycle=result.frame["lifecycle"].to_numpy(), deals=deals
        )
        # The zone migration against the snapshot just before this one, for home and review, and
        # which snapshot that is, in the same statement as the snapshot's time and last row id.
        snapshot.seconds = round(time.perf_counter() - started, 3)  # up to the count, which takes a fraction of it
        _finish(snapshot, snapshot.seconds, None if previous is None else int(previous["id"]))
        store_summaries(snapshot, money=(settings.currency, rates))  # the effort sums' revenue at the same rates
        snapshot.row_id_min = snapshot.row_id_max = snapshot.migration_previous_id = None
        snapshot.moves_up = snapshot.moves_down = None  # written by the database (on SQLite as expressions)
    return snapshot


def snapshot_delete(*, actor: AnyUser | None, snapshot: Snapshot) -> None:
    """Delete a snapshot and its rows (managers only; ``actor`` None is the system)."""
    check(actor, "snapshot_delete")
    with transaction.atomic():
        SnapshotRow.objects.filter(snapshot=snapshot).delete()
        snapshot.delete()
