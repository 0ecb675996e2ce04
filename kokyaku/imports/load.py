"""The load-and-upsert pass of an import: read and check every chunk, stage it, then write the target.

PostgreSQL: rows are COPYed into a TEMP staging table; SQLite: inserted with executemany in large
batches (both through :mod:`kokyaku.lib.bulk`). Then one join counts what will be created,
updated and left unchanged, and the target is written (:func:`upsert`). A first load into an
empty table on PostgreSQL goes straight into it instead (:func:`_run_direct`).
"""

# ruff: noqa: S608  - SQL here is assembled from model metadata and constants only; values always travel as parameters
from __future__ import annotations

import time
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kokyaku.imports.context import ImportPass
from kokyaku.imports.errors import Message, gettext_noop
from kokyaku.imports.plans import DealsPlan, Plan, PurchasesPlan
from kokyaku.imports.staging import Stage, aggregate_purchases, check_duplicates
from kokyaku.imports.summary import ImportSummary, keep
from kokyaku.imports.validate import chunk_check
from kokyaku.lib import bulk
from kokyaku.lib.bulk import Kind, execute, fetch

BULK_ROWS = 100_000  # from this many new rows on, indexes and constraints are rebuilt rather than updated


class Fallback(Exception):
    """A direct load met what only the staging path reports precisely; the pass is rolled back and redone."""

    seconds = 0.0


def run(ctx: ImportPass, *, direct: bool) -> None:
    """Read, check and write the whole file; ``direct`` allows writing straight into an empty target.

    Returns early, having written nothing that counts, when the pass is refused (all or nothing
    and a row had a problem): the caller raises and the transaction rolls back.
    """
    plan = ctx.plan
    purchases = isinstance(plan, PurchasesPlan)
    target = plan.target._meta.db_table
    if direct and connection.vendor == "postgresql" and not purchases and not plan.timestamps and _empty(target):
        _run_direct(ctx)
        return
    tables = stage_tables(type(plan))
    deal_stage = Stage(*tables[0])
    line_stage = Stage(*tables[1]) if purchases else None
    lap = _read_check_write(ctx, line_stage or deal_stage, "read, check, stage")
    if ctx.refused:
        return
    summary = ctx.summary
    written = False
    if line_stage is None and connection.vendor == "sqlite" and _empty(target):
        # SQLite's first load into an empty table: the table's UNIQUE external_id finds duplicates
        # as the rows go in; only if it fails does the duplicate query run, to name every row
        # (that query costs 0.6 s per million rows otherwise).
        try:
            with transaction.atomic():
                upsert(plan, deal_stage, summary, first_load=True)
            written = True
        except IntegrityError:
            summary.created = summary.updated = summary.unchanged = 0
    if not written:
        if line_stage is not None:
            aggregate_purchases(ctx, deal_stage, line_stage)
        else:
            check_duplicates(ctx, deal_stage)
        lap = summary.lap("duplicates" if line_stage is None else "sum invoices", lap)
        if ctx.refused:
            return
        upsert(plan, deal_stage, summary)
    for stage in (deal_stage, line_stage):
        if stage is not None:
            stage.drop()


def stage_tables(plan: type[Plan]) -> list[tuple[str, list[tuple[str, Kind]]]]:
    """The staging tables a pass of this plan writes: (name, columns); purchases stage their invoice lines too."""
    if issubclass(plan, PurchasesPlan):
        return [("kk_import_stage", DealsPlan.stage_columns), ("kk_import_lines", PurchasesPlan.line_columns)]
    return [("kk_import_stage", plan.stage_columns)]


def _empty(target: str) -> bool:
    """Whether the target holds no row; on PostgreSQL after locking it against other writers."""
    if connection.vendor == "postgresql":
        execute(f"LOCK TABLE {target} IN SHARE ROW EXCLUSIVE MODE")
    return not fetch(f"SELECT 1 FROM {target} LIMIT 1")


def _run_direct(ctx: ImportPass) -> None:
    """PostgreSQL's first load into an empty table: every row is new, so no staging table, no counting join.

    The target's indexes and constraints are set aside, each chunk is COPYed straight in, and they
    are put back at the end. What staging would have checked is checked by the database: a
    duplicate external id fails the unique constraint, which sends the import back to the staging
    path (``Fallback``) to report every row of it. This saves the backend about 3 of 11 CPU
    seconds per million deals (the staging COPY, the duplicate GROUP BY, the INSERT ... SELECT).
    SQLite gains nothing from it (20.7 s of CPU either way: inserting into the real table costs
    what staging and copying cost), so it always stages.
    """
    target = ctx.plan.target._meta.db_table
    rebuilds = bulk.set_aside([target])
    load = Stage(target, list(ctx.plan.stage_columns), direct=True)
    lap = _read_check_write(ctx, load, "read, check, load")
    if ctx.refused:
        return
    ctx.summary.created = load.rows
    _restore(rebuilds)
    ctx.summary.lap("rebuild indexes, constraints", lap)


def _read_check_write(ctx: ImportPass, stage: Stage, label: str) -> float:
    """Read and check every chunk while a worker thread writes the previous one into ``stage``.

    Records the phase timings under ``label`` and notes dates moved to expected close dates;
    returns the time the phase ended (for the next lap).
    """
    writer = bulk.BackgroundWriter()
    ctx.plan.before_write = writer.wait
    lap = ctx.summary.lap("open, load id maps", ctx.started)
    try:
        _stage_all(ctx, stage, writer)
        writer.wait()
    finally:
        writer.close()
    lap = ctx.summary.lap(label, lap)
    _note_moved_dates(ctx.plan, ctx.summary)
    _note_name_matches(ctx.plan, ctx.summary)
    ctx.summary.notes.extend(ctx.table.notes)
    return lap


def _note_moved_dates(plan: Plan, summary: ImportSummary) -> None:
    moved = getattr(plan, "open_dates_moved", 0)
    if moved:
        text = (
            gettext_noop("%(count)s open deal: the date in closed_on is stored as the expected close date")
            if moved == 1
            else gettext_noop("%(count)s open deals: the date in closed_on is stored as the expected close date")
        )
        summary.notes.append(Message(text, count=f"{moved:,}"))


_WHAT = {"account": gettext_noop("account"), "rep": gettext_noop("rep")}


def _note_name_matches(plan: Plan, summary: ImportSummary) -> None:
    """Say which names were taken as another record's (株式会社ABC商事 for (株)ABC商事): never merged unseen."""
    merged = gettext_noop("%(what)s %(written)s was merged into %(kept)s: written to %(kept)s")
    own = {"accounts": "account", "reps": "rep"}.get(plan.kind)
    for alias, kept in sorted(plan.merged_met.items()):
        summary.notes.append(Message(merged, what=Message(_WHAT[own or "account"]), written=alias, kept=kept))
    for what, refs in plan.ref_maps().items():
        for alias in sorted(refs.via_alias):
            summary.notes.append(Message(merged, what=Message(_WHAT[what]), written=alias, kept=refs.aliases[alias]))
        for written, name in sorted(refs.matched.items()):
            text = gettext_noop(
                "%(what)s %(written)s matched to %(name)s (the same name once legal forms, widths and spaces are set aside)"
            )
            summary.notes.append(Message(text, what=Message(_WHAT[what]), written=written, name=name))


def _stage_all(ctx: ImportPass, stage: Stage, writer: bulk.BackgroundWriter) -> None:
    """Read, check and resolve every chunk; hand the good rows to the writer."""
    plan, summary, rejects, skip_invalid = ctx.plan, ctx.summary, ctx.rejects, ctx.skip_invalid
    for chunk in ctx.table.chunks():
        summary.rows += len(chunk)
        checked = chunk_check(chunk, ctx.mapping, ctx.columns, file=summary.file, timezone=ctx.timezone)
        if len(checked.skipped):
            summary.skipped += len(checked.skipped)
            rejects.write(chunk, checked.skipped, [], f"skipped: {summary.skipped_reason}")
        problems = checked.problems
        bad = checked.bad
        writing = skip_invalid or summary.problem_count + len(problems) == 0
        if writing and len(checked.data):
            prepared = plan.prepare(checked.data)
            problems = sorted([*problems, *prepared.problems], key=lambda p: p.row)
            bad = bad.union(prepared.bad)
            if skip_invalid or not problems:
                writer.submit(stage.batch(prepared.frame))
        if problems:
            keep(summary, problems)
            summary.rejected += len(bad)
            rejects.write(chunk, bad, problems)
        if ctx.progress is not None:
            ctx.progress(ctx.table.done(), ctx.table.total)


def upsert(plan: Plan, stage: Stage, summary: ImportSummary, *, first_load: bool = False) -> None:
    """Count created / updated / unchanged with one join, then write the target.

    SQLite: one ``INSERT ... SELECT ... ON CONFLICT (external_id) DO UPDATE ... WHERE <changed>``.
    PostgreSQL: the table is locked against other writers (reads go on), then one ``UPDATE ... FROM``
    for the changed rows and one plain ``INSERT ... SELECT`` of the new ones: with the counts known
    and no concurrent writer, ON CONFLICT's per-row speculative insertion is pure overhead (10.3 s
    against 7.7 s for 1M rows in a measurement; see docs/benchmarks.md).
    """
    lap = time.perf_counter()
    target = plan.target._meta.db_table
    postgres = connection.vendor == "postgresql"
    insert_cols = [c for c, _t in stage.columns if c != "_row"]
    updates = plan.update_values()
    changed = " OR ".join(_distinct(f"t.{c}", e.format(s="s", t="t")) for c, e in updates.items()) or "FALSE"
    if postgres:
        execute(f"LOCK TABLE {target} IN SHARE ROW EXCLUSIVE MODE")
    staged = int(fetch(f"SELECT COUNT(*) FROM {stage.name}")[0][0])
    existing = -1  # unknown: the counting join tells
    if first_load:
        existing = 0  # the caller saw the table empty, in this transaction
    elif staged >= BULK_ROWS:
        existing = int(fetch(f"SELECT COUNT(*) FROM {target}")[0][0])
    if existing == 0:
        summary.created = staged  # an empty table: no join needed to know
    else:
        counts = fetch(
            f"SELECT COALESCE(SUM(CASE WHEN t.id IS NULL THEN 1 ELSE 0 END), 0),"
            f" COALESCE(SUM(CASE WHEN t.id IS NOT NULL AND ({changed}) THEN 1 ELSE 0 END), 0), COUNT(*)"
            f" FROM {stage.name} s LEFT JOIN {target} t ON t.external_id = s.external_id"
        )[0]
        summary.created, summary.updated = int(counts[0]), int(counts[1])
        summary.unchanged = int(counts[2]) - summary.created - summary.updated
    if not summary.created and not summary.updated:
        summary.lap("count, write", lap)
        return
    params: list[Any] = []
    select = [f"s.{c}" for c in insert_cols]
    cols = list(insert_cols)
    sets = dict(updates)
    stamp: Any = None
    if plan.timestamps:
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        cols += ["created_at", "updated_at"]
        select += ["%s", "%s"]
        params += [stamp, stamp]
    # Accounts and deals carry a version (kokyaku.crm.conflicts): an import's change refuses an edit begun before it.
    versioned = any(f.name == "version" for f in plan.target._meta.concrete_fields)
    if postgres and summary.updated:
        assignments = [f"{c} = {e.format(s='s', t='t')}" for c, e in sets.items()]
        if versioned:
            assignments.append("version = t.version + 1")
        if plan.timestamps:
            assignments.append("updated_at = %s")
        execute(
            f"UPDATE {target} t SET {', '.join(assignments)} FROM {stage.name} s"
            f" WHERE t.external_id = s.external_id AND ({changed})",
            [stamp] if plan.timestamps else [],
        )
    if postgres and not summary.created:
        summary.lap("count, write", lap)
        return
    # A bulk load into a table no bigger than itself: indexes and constraints are set aside and put
    # back afterwards (kokyaku.lib.bulk.set_aside says why). Same transaction, so still atomic.
    big = summary.created >= BULK_ROWS and summary.created >= existing
    rebuilds = bulk.set_aside([target]) if big else []
    if postgres or first_load:
        new_only = "" if existing == 0 else f" WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE t.external_id = s.external_id)"
        execute(f"INSERT INTO {target} ({', '.join(cols)}) SELECT {', '.join(select)} FROM {stage.name} s{new_only}", params)
    else:
        assignments = [f"{c} = {e.format(s='excluded', t=target)}" for c, e in sets.items()]
        if versioned:
            assignments.append(f"version = {target}.version + 1")
        if plan.timestamps:
            assignments.append("updated_at = excluded.updated_at")
        where = " OR ".join(_distinct(f"{target}.{c}", e.format(s="excluded", t=target)) for c, e in updates.items())
        conflict = f"DO UPDATE SET {', '.join(assignments)} WHERE {where}" if updates else "DO NOTHING"
        execute(
            f"INSERT INTO {target} ({', '.join(cols)}) SELECT {', '.join(select)} FROM {stage.name} s WHERE TRUE"
            f" ON CONFLICT (external_id) {conflict}",
            params,
        )
    lap = summary.lap("count, write", lap)
    if big:
        _restore(rebuilds)
        summary.lap("rebuild indexes, constraints", lap)


def _restore(rebuilds: list[bulk.Rebuild]) -> None:
    """Put back what ``bulk.set_aside`` dropped. A duplicate external id (a direct load checks none) fails
    the unique constraint: that becomes a ``Fallback`` to the staging path, which names the rows."""
    try:
        bulk.restore(rebuilds)
    except bulk.DuplicateKeys:
        raise Fallback("duplicate external ids") from None


def _distinct(a: str, b: str) -> str:
    return f"{a} IS DISTINCT FROM {b}" if connection.vendor == "postgresql" else f"{a} IS NOT {b}"
