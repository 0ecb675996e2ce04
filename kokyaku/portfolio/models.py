"""Criteria versions, snapshots and their per-account rows.

Criteria rows are immutable: a change is a new row, and the newest row is the current criteria.
Each snapshot points at the criteria version it used, so old portfolios stay explainable.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, OrderBy, Q
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.models import Account, Rep, money_field
from kokyaku.domain.portfolio import DEFAULT_GRID, DEFAULT_STAGE_PROBABILITIES, AxisRule, CriteriaSpec


def _default_grid() -> dict[str, dict[str, str]]:
    return {k: dict(v) for k, v in DEFAULT_GRID.items()}


def _default_stages() -> dict[str, float]:
    return dict(DEFAULT_STAGE_PROBABILITIES)


class AxisMode(models.TextChoices):
    QUANTILE = "quantile", _("Quantiles of the portfolio")
    ABSOLUTE = "absolute", _("Absolute thresholds")


class Zone(models.TextChoices):
    A = "A", _("Zone A")
    B = "B", _("Zone B")
    C = "C", _("Zone C")
    NONE = "", _("Unzoned")


class Band(models.TextChoices):
    HIGH = "high", _("High")
    MID = "mid", _("Mid")
    LOW = "low", _("Low")
    NONE = "", _("Unknown")


class ProbabilitySource(models.TextChoices):
    MODEL = "model", _("Prediction model")
    REP = "rep", _("Rep's estimate")
    STAGE = "stage", _("Stage table")
    HISTORY = "history", _("Purchase history")
    NONE = "none", _("None")


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    NEW = "new", _("New customer")
    ACTIVE = "active", _("Active customer")
    AT_RISK = "at_risk", _("At risk")
    DORMANT = "dormant", _("Dormant")
    CHURNED = "churned", _("Churned")


class Criteria(models.Model):
    """One version of the classification criteria (分類基準). Never edited: save a new version."""

    price_mode = models.CharField(_("unit price cut by"), max_length=10, choices=AxisMode.choices, default=AxisMode.QUANTILE)
    price_low = models.FloatField(_("unit price: low threshold"), default=1 / 3)
    price_high = models.FloatField(_("unit price: high threshold"), default=2 / 3)
    probability_mode = models.CharField(
        _("win probability cut by"), max_length=10, choices=AxisMode.choices, default=AxisMode.QUANTILE
    )
    probability_low = models.FloatField(_("win probability: low threshold"), default=1 / 3)
    probability_high = models.FloatField(_("win probability: high threshold"), default=2 / 3)
    grid = models.JSONField(_("grid (price band → probability band → zone)"), default=_default_grid)
    near_margin = models.FloatField(_("near-boundary margin (relative)"), default=0.1)
    lookback_months = models.PositiveSmallIntegerField(_("unit price look-back (months)"), default=24)
    stage_probabilities = models.JSONField(_("probability per stage or ヨミ rank (%)"), default=_default_stages)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        verbose_name = _("criteria version")
        verbose_name_plural = _("criteria versions")

    def __str__(self) -> str:
        return f"criteria #{self.pk}"

    def to_spec(self) -> CriteriaSpec:
        """Return the domain value for these criteria (raises DomainError if they are invalid)."""
        return CriteriaSpec(
            price=AxisRule(self.price_mode, float(self.price_low), float(self.price_high)),  # type: ignore[arg-type]
            probability=AxisRule(self.probability_mode, float(self.probability_low), float(self.probability_high)),  # type: ignore[arg-type]
            grid=self.grid,
            near_margin=float(self.near_margin),
            lookback_months=int(self.lookback_months),
            stage_probabilities={str(k): float(v) for k, v in dict(self.stage_probabilities).items()},
        )

    def as_params(self) -> dict[str, Any]:
        """Return the editable fields, e.g. to pre-fill a form for the next version."""
        return {
            "price_mode": self.price_mode,
            "price_low": self.price_low,
            "price_high": self.price_high,
            "probability_mode": self.probability_mode,
            "probability_low": self.probability_low,
            "probability_high": self.probability_high,
            "grid": self.grid,
            "near_margin": self.near_margin,
            "lookback_months": self.lookback_months,
            "stage_probabilities": self.stage_probabilities,
        }


class Snapshot(models.Model):
    """The portfolio computed as of a date with one criteria version (スナップショット)."""

    class Status(models.TextChoices):
        READY = "ready", _("Ready")

    as_of = models.DateField(_("as of"))
    criteria = models.ForeignKey(Criteria, verbose_name=_("criteria"), on_delete=models.PROTECT, related_name="snapshots")
    thresholds = models.JSONField(_("thresholds used"), default=dict)
    # How each axis was cut (ties broken, all values equal ...) and which probability models served and why.
    notes = models.JSONField(_("notes"), default=dict, blank=True)
    account_count = models.PositiveIntegerField(_("accounts"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.READY)
    seconds = models.FloatField(_("computed in (s)"), default=0.0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The id range of the snapshot's rows (written in one block), kept so that reading the rows in
    # one pass (selectors' snapshot_scan) needs no MIN/MAX(id) over a table that grows with every
    # snapshot kept (851 ms at a million accounts). Null: unknown (read the range from the rows).
    row_id_min = models.BigIntegerField(null=True, blank=True, editable=False)
    row_id_max = models.BigIntegerField(null=True, blank=True, editable=False)
    # The snapshot the zone migration (SnapshotMigration) was counted against when this one was
    # made: the one just before it then. Null: not counted (made before it was stored, or that
    # snapshot is gone); readers count live.
    migration_previous = models.ForeignKey(
        "self", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    # The moves up and down, every owner together, of the migration counted against
    # migration_previous, summed in the statement that counts it: home's two totals without summing
    # the SnapshotMigration rows (127,000 at a million accounts: 30-65 ms). Null: not stored (summed
    # from those rows).
    moves_up = models.PositiveIntegerField(null=True, blank=True, editable=False)
    moves_down = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The first month of the effort sums stored with this snapshot (EffortMonth: that month up to
    # the as-of day). Null: none stored (made before they were); the effort figures are read live.
    effort_from = models.DateField(null=True, blank=True, editable=False)
    # The team's grid counted when the snapshot was made: cell code -> [accounts, expected value]
    # (selectors.team.matrix_cells). Null: not stored; the team matrix is counted from the rows.
    matrix_cells = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        # Latest as-of first: a snapshot rebuilt today for a past date is not the current one.
        ordering = ["-as_of", "-created_at", "-id"]
        get_latest_by = ["as_of", "created_at", "id"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        indexes = [models.Index(fields=["as_of"])]

    def __str__(self) -> str:
        return f"snapshot #{self.pk} ({self.as_of})"


class NullsLastIndex(models.Index):
    """An index ordered ``DESC NULLS LAST`` on PostgreSQL; plain ``DESC`` on SQLite (nulls sort last there anyway).

    SQLite refuses the NULLS LAST modifier in an index but orders NULL lowest, so a descending
    index already yields them last: the same order as ``F(...).desc(nulls_last=True)`` queries.
    """

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "sqlite":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        saved = self.expressions
        self.expressions = tuple(OrderBy(e.expression, descending=e.descending) if isinstance(e, OrderBy) else e for e in saved)
        try:
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        finally:
            self.expressions = saved


# A snapshot row whose zone changed since the snapshot its migration was counted against.
MOVED = Q(zone_before__isnull=False) & ~Q(zone=F("zone_before"))


class SnapshotRow(models.Model):
    """One account in one snapshot. Written in bulk by ``snapshot_create``, never edited.

    The three foreign keys carry no database constraint (``db_constraint=False``): on PostgreSQL
    Django's deferred FK constraints fire three trigger checks per row at commit, which made up a
    third of a million-row snapshot's time. The rows are derived, append-only facts written only
    by ``snapshot_create`` from ids it read in the same transaction; deletes still cascade (or set
    the owner to NULL) through Django's collector, as tested.
    """

    snapshot = models.ForeignKey(
        Snapshot,
        verbose_name=_("snapshot"),
        on_delete=models.CASCADE,
        related_name="rows",
        db_constraint=False,
        db_index=False,  # the unique (snapshot, account) index serves it
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="snapshot_rows", db_constraint=False
    )
    owner = models.ForeignKey(
        Rep,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="snapshot_rows",
        db_constraint=False,
        db_index=False,  # only a rep's deletion looks rows up by owner alone; pages use (snapshot, owner, zone)
    )
    unit_price = money_field(_("unit price"), null=True)
    win_probability = models.FloatField(_("win probability"), null=True, blank=True)
    probability_source = models.CharField(
        _("probability source"), max_length=10, choices=ProbabilitySource.choices, default=ProbabilitySource.NONE
    )
    expected_value = money_field(_("expected value"), null=True)
    price_band = models.CharField(_("unit price band"), max_length=4, choices=Band.choices, blank=True, default="")
    probability_band = models.CharField(_("probability band"), max_length=4, choices=Band.choices, blank=True, default="")
    zone = models.CharField(_("zone"), max_length=1, choices=Zone.choices, blank=True, default="")
    near_boundary = models.BooleanField(_("near a boundary"), default=False)
    buyer_type = models.CharField(
        _("buyer type"), max_length=16, choices=Account.BuyerType.choices, default=Account.BuyerType.UNKNOWN
    )
    lifecycle = models.CharField(_("lifecycle"), max_length=10, choices=Lifecycle.choices, default=Lifecycle.PROSPECT)
    # The account's zone in the snapshot this one's migration was counted against
    # (``snapshot.migration_previous``), written with the row; None: the account was not in it (or
    # nothing was counted). Home and review list the moves from it without joining both snapshots.
    zone_before = models.CharField(max_length=1, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["snapshot", "account"]
        verbose_name = _("snapshot row")
        verbose_name_plural = _("snapshot rows")
        constraints = [models.UniqueConstraint(fields=["snapshot", "account"], name="snapshotrow_unique_account")]
        # Each index costs time on every snapshot write (a million rows at a time), so only those the
        # selectors need: the unique (snapshot, account) pair (also serves an account's history, one
        # probe per snapshot) and per-rep pages (owner, zone). An (account, snapshot) index would
        # take a million random inserts into an index that grows with every snapshot kept.
        indexes = [
            models.Index(fields=["snapshot", "owner", "zone"], name="snaprow_owner_zone"),
            # Only the rows that moved zone (about one in ten), by expected value: home's and the
            # review's "largest moves" read the first few in order instead of sorting the snapshot.
            NullsLastIndex(
                F("snapshot"), F("expected_value").desc(nulls_last=True), F("account"), name="snaprow_moves", condition=MOVED
            ),
            # Every row by expected value: the accounts table's and the API's default order read a page
            # from here instead of sorting the snapshot (page 50 of 100,000 rows: 25 ms against 150 ms).
            NullsLastIndex(F("snapshot"), F("expected_value").desc(nulls_last=True), F("account"), name="snaprow_value"),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}/{self.account_id} {self.zone or '-'}"


class SnapshotMigration(models.Model):
    """How many of a snapshot's accounts, per owner, went from one zone to another since the snapshot before.

    Counted when the snapshot is made (one INSERT ... SELECT over both snapshots' rows), so that
    home and review read a few hundred rows instead of joining both snapshots (issue 18). Rows are
    never edited; they go with either snapshot.
    """

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="migration_counts")
    previous = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="+", db_index=False)
    owner_id = models.BigIntegerField(null=True, blank=True)  # the owner in ``snapshot`` (a rep id)
    from_zone = models.CharField(max_length=1, null=True, blank=True)  # None: the account was not in ``previous``
    to_zone = models.CharField(max_length=1, blank=True, default="")
    accounts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("zone migration count")
        verbose_name_plural = _("zone migration counts")

    def __str__(self) -> str:
        return f"{self.snapshot_id}<-{self.previous_id} {self.owner_id}: {self.from_zone}->{self.to_zone} {self.accounts}"


class EffortMonth(models.Model):
    """Activity minutes or won revenue per month, rep and zone (this snapshot's zones), summed when the snapshot is made.

    Covers the months from ``snapshot.effort_from`` up to the as-of day (the as-of month up to that
    day), as recorded then: the effort page and API read whole months of a range from here and
    only the days outside them (after the as-of day: the live tail) from the activities and deals
    (issue 18). ``per_rep`` False: the team's sum (rep None); True: one rep's (None: no rep).
    """

    class Kind(models.IntegerChoices):
        MINUTES = 0, _("activity minutes")
        REVENUE = 1, _("won revenue")

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="effort_months", db_index=False)
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    per_rep = models.BooleanField(default=True)
    rep_id = models.BigIntegerField(null=True, blank=True)  # the activity's rep / the won deal's owner
    zone = models.CharField(max_length=1, blank=True, default="")
    month = models.DateField()  # its first day
    minutes = models.BigIntegerField(null=True, blank=True)
    revenue = money_field(_("won revenue"), null=True)

    class Meta:
        verbose_name = _("effort month")
        verbose_name_plural = _("effort months")
        indexes = [models.Index(fields=["snapshot", "per_rep", "rep_id", "month"], name="effortmonth_rep")]

    def __str__(self) -> str:
        return f"{self.snapshot_id} {self.month:%Y-%m} {self.rep_id} {self.zone or '-'}"


class SnapshotCutoff(models.Model):
    """The exact cut-offs a quantile rule the snapshot was not made with gives on its rows, computed once.

    A criteria version saved after the latest snapshot, with other percentiles than the snapshot's
    own, has cut-offs the snapshot did not store (``Snapshot.thresholds``). The criteria page shows
    them on every GET until the next snapshot; computing them (``percentile_cont`` over every row:
    0.7-0.9 s per axis at a million accounts) is done on the first GET and kept here, keyed by the
    rule (axis, low and high quantiles), so each GET after is one lookup and any version with the same
    rule shares the row. Never edited; goes with the snapshot.
    """

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="+", db_index=False)
    axis = models.CharField(max_length=12)  # "price" or "probability"
    low = models.FloatField()  # the rule's quantiles, 0-1
    high = models.FloatField()
    low_value = models.FloatField(null=True, blank=True)  # the cut-offs; None: no value to cut (NaN)
    high_value = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("snapshot cut-off")
        verbose_name_plural = _("snapshot cut-offs")
        constraints = [models.UniqueConstraint(fields=["snapshot", "axis", "low", "high"], name="snapshotcutoff_rule")]

    def __str__(self) -> str:
        return f"{self.snapshot_id} {self.axis} {self.low:g}-{self.high:g}"
